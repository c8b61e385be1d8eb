// After a trace flush, incidents whose trace windows the new data does not touch keep their ranking instead of all
// being re-ranked; every other change still re-ranks. Each case is checked against an engine that re-ranks.
import { describe, it, expect } from 'vitest';
import { Engine, type RemediationContext } from '../../../src/engine/engine.js';
import { alert, callsToOwnDatabases, deploy, MIN, T0 } from '../../support/alerts.js';
import type { TraceDelta } from '../../../src/model/trace-aggregate.js';
import { emptyCallStats, addCall } from '../../../src/model/trace-aggregate.js';

function minute(m: number, errorsToDb: number): TraceDelta {
  const edge = (caller: string, callee: string, n: number, errors: number, db: boolean) => {
    const s = emptyCallStats();
    for (let i = 0; i < n; i++) addCall(s, 20, i < errors);
    return { caller, callee, bucket: T0 + m * MIN, calleeUninstrumented: db, calleeKind: db ? ('database' as const) : ('service' as const), ...s };
  };
  // checkout's failures on the database reach frontend through its calls to checkout.
  return { edges: [edge('frontend', 'checkout', 50, errorsToDb, false), edge('checkout', 'orders-db', 50, errorsToDb, true)], services: [] };
}

/** Runbook suggestions that name the deploys they were offered (rollback targets): they read deploys up to now. */
const suggestRollbacks = (incident: RemediationContext) => incident.recentDeploys.map((d) => ({ runbook: 'rollback', action: 'rollback', target: `${d.service}@${d.version}` }));

/** The same inputs into an engine that keeps rankings and one that always re-ranks (reuse off). */
function pair() {
  const keeping = new Engine({ settleMs: 0, suggestRemediations: suggestRollbacks });
  const reranking = new Engine({ settleMs: 0, reuseAcrossAnalyses: false, suggestRemediations: suggestRollbacks });
  const both = (f: (e: Engine) => void) => [keeping, reranking].forEach(f);
  both((e) => {
    for (let m = -40; m < 12; m++) e.applyTraceDelta(minute(m, 0));
    e.applyAlerts([alert('checkout', 'HighErrorRate', 0), alert('frontend', 'HighErrorRate', 1)]);
  });
  /** Both analyse `minutes` after T0: the kept engine's report and the re-ranking engine's. */
  const analyze = (minutes: number) => ({ kept: keeping.analyze(T0 + minutes * MIN)[0]!, reranked: reranking.analyze(T0 + minutes * MIN)[0]! });
  return { both, analyze };
}

describe('rankings kept across a trace flush', () => {
  it('keeps the ranking of an incident whose windows closed before the new minutes, identical to re-ranking', () => {
    const { both, analyze } = pair();
    const first = analyze(12).kept;
    both((e) => e.applyTraceDelta(minute(12, 0)));
    const { kept: later, reranked: laterReranked } = analyze(13);
    expect(later).toBe(first); // the cached report itself: not re-ranked
    expect(later).toEqual(laterReranked);
  });

  it('re-ranks when late traces land inside its windows', () => {
    const { both, analyze } = pair();
    const first = analyze(12).kept;
    // Spans for minutes 0–5 arrive late (a collector caught up): the database failed then.
    both((e) => {
      for (let m = 0; m < 6; m++) e.applyTraceDelta(minute(m, 40));
    });
    const { kept: later, reranked: laterReranked } = analyze(13);
    expect(later).not.toBe(first);
    expect(later.rootCauses[0]!.service).toBe('orders-db');
    expect(later).toEqual(laterReranked);
  });

  it('re-ranks while its windows are still open', () => {
    const { both, analyze } = pair();
    const open = analyze(5).kept;
    both((e) => e.applyTraceDelta(minute(12, 0)));
    const { kept: later, reranked: laterReranked } = analyze(6);
    expect(later).not.toBe(open);
    expect(later).toEqual(laterReranked);
  });

  it('re-ranks after a deploy, even one dated before the ranking', () => {
    const { both, analyze } = pair();
    const closed = analyze(12).kept;
    both((e) => e.applyChanges([deploy('checkout', -3)]));
    both((e) => e.applyTraceDelta(minute(13, 0)));
    const { kept: afterDeploy, reranked: afterDeployReranked } = analyze(13);
    expect(afterDeploy).not.toBe(closed);
    expect(afterDeploy.rootCauses.find((c) => c.service === 'checkout')!.evidence.some((e) => e.kind === 'deploy')).toBe(true);
    expect(afterDeploy).toEqual(afterDeployReranked);
  });

  it('reads a failed rollout as evidence, never as what a rollback starts from', () => {
    const { both, analyze } = pair();
    // v2 completed; the rollout of v3 after it failed: what runs now is not known, so only v2 is offered.
    both((e) => e.applyChanges([deploy('checkout', -9, 'v2'), { ...deploy('checkout', -3, 'v3'), failed: true }]));
    const { kept, reranked } = analyze(12);
    expect(kept.remediations.map((r) => r.target)).toEqual(['checkout@v2']);
    const evidence = kept.rootCauses.find((c) => c.service === 'checkout')!.evidence.find((e) => e.kind === 'deploy')!.detail;
    expect(evidence).toBe('checkout tried to deploy v3 (from v1) 3 min before the first alert; the rollout failed');
    expect(kept).toEqual(reranked);
  });

  it('re-ranks once a deploy that was dated ahead of the ranking comes within now', () => {
    const { both, analyze } = pair();
    // A deploy event whose clock runs ahead: dated 12:30 into the incident, known at 12:00.
    both((e) => e.applyChanges([{ ...deploy('checkout', 12.5), id: 'ahead' }]));
    const first = analyze(12).kept;
    expect(first.remediations).toEqual([]);
    both((e) => e.applyTraceDelta(minute(12, 0)));
    const { kept: later, reranked: laterReranked } = analyze(13);
    expect(later.remediations.map((r) => r.target)).toEqual(['checkout@v2']);
    expect(later).toEqual(laterReranked);
  });

  it('re-ranks when pruning dropped buckets its baseline read', () => {
    const { both, analyze } = pair();
    const first = analyze(12).kept;
    // Retention 6 h: pruning at T0 + 6 h − 30 min drops the minutes before T0 − 30 min, inside the baseline window.
    const at = T0 + 6 * 60 * MIN - 30 * MIN;
    both((e) => e.prune(at));
    both((e) => e.applyTraceDelta(minute(12, 0)));
    const { kept: later, reranked: laterReranked } = analyze(13);
    expect(later).not.toBe(first);
    expect(later).toEqual(laterReranked);
  });
});

describe('periodic re-ranks per analysis (maxPeriodicReranks)', () => {
  /** Three unrelated services, each alone on its own database; traces healthy until `failingFrom`. */
  function threeIncidents(options: { maxPeriodicReranks: number }) {
    const e = new Engine({ settleMs: 0, ...options });
    const traces = (m: number, errors: number) => callsToOwnDatabases(['a', 'b', 'c'], m, errors);
    for (let m = -40; m < 6; m++) e.applyTraceDelta(traces(m, 0));
    e.applyAlerts([alert('a', 'HighErrorRate', 0), alert('b', 'HighErrorRate', 0), alert('c', 'HighErrorRate', 0)]);
    const tops = (reports: ReturnType<Engine['analyze']>) => reports.map((r) => `${r.services[0]}:${r.rootCauses[0]!.service}`).sort();
    expect(tops(e.analyze(T0 + 6 * MIN))).toEqual(['a:a', 'b:b', 'c:c']);
    // Late spans: each database failed from minute 0, inside every incident's (still open) trace window.
    for (let m = 0; m < 6; m++) e.applyTraceDelta(traces(m, 20));
    return { e, tops };
  }

  it('re-ranks at most that many incidents per analysis and leaves the rest, counted, for the next ones', () => {
    const { e, tops } = threeIncidents({ maxPeriodicReranks: 1 });
    const at = T0 + 7 * MIN;
    expect(tops(e.analyze(at)).filter((t) => t.endsWith('-db'))).toHaveLength(1);
    expect(e.deferredReranks).toBe(2);
    expect(tops(e.analyze(at + 1000)).filter((t) => t.endsWith('-db'))).toHaveLength(2);
    expect(e.deferredReranks).toBe(1);
    expect(tops(e.analyze(at + 2000))).toEqual(['a:a-db', 'b:b-db', 'c:c-db']);
    expect(e.deferredReranks).toBe(0);
  });

  it('always re-ranks an incident whose alerts changed, and a final analysis re-ranks every due one', () => {
    const { e, tops } = threeIncidents({ maxPeriodicReranks: 0 });
    e.applyAlerts([alert('b', 'HighLatency', 1)]);
    expect(tops(e.analyze(T0 + 7 * MIN))).toEqual(['a:a', 'b:b-db', 'c:c']);
    expect(e.deferredReranks).toBe(2);
    expect(tops(e.analyze(T0 + 7 * MIN + 1000, { final: true }))).toEqual(['a:a-db', 'b:b-db', 'c:c-db']);
    expect(e.deferredReranks).toBe(0);
  });
});
