import { describe, it, expect } from 'vitest';
import { DEFAULT_ENGINE_OPTIONS, Engine, type RemediationContext } from '../../../src/engine/engine.js';
import { callsFailAsWatched, decisiveRoot, failingThroughCalls, isAnotherFailure, undecidedPair, victimOf } from '../../../src/engine/same-failure.js';
import { buildDependencyGraph } from '../../../src/topology/dependency-graph.js';
import { alert, deploy, MIN, T0 } from '../../support/alerts.js';
import type { Alert } from '../../../src/model/alert.js';
import type { Change } from '../../../src/model/change.js';
import type { IncidentReport } from '../../../src/model/incident.js';
import type { TraceDelta } from '../../../src/model/trace-aggregate.js';
import { emptyCallStats, addCall } from '../../../src/model/trace-aggregate.js';

function calls(caller: string, callee: string, bucketMinute: number, n: number, errors: number, uninstrumented = false): TraceDelta['edges'][number] {
  const s = emptyCallStats();
  for (let i = 0; i < n; i++) addCall(s, 20, i < errors);
  return { caller, callee, bucket: T0 + bucketMinute * MIN, calleeUninstrumented: uninstrumented, calleeKind: uninstrumented ? 'database' : 'service', ...s };
}

/** One trace delta a minute, from 40 minutes before T0 to 34 after, holding the calls `at` gives for that minute. */
function everyMinute(at: (minute: number) => TraceDelta['edges']): TraceDelta[] {
  return Array.from({ length: 75 }, (_, k) => ({ edges: at(k - 40), services: [] }));
}

function topology(errorsToDb: number, minute: number): TraceDelta {
  return {
    edges: [calls('frontend', 'checkout', minute, 100, errorsToDb), calls('checkout', 'orders-db', minute, 100, errorsToDb, true), calls('cart', 'orders-db', minute, 50, errorsToDb / 2, true)],
    services: [],
  };
}

/** A root cause as victimOf reads it: its service, score and the kinds of its evidence. */
function cause(service: string, score: number, ...kinds: string[]) {
  return { service, score, evidence: kinds.map((kind) => ({ kind, detail: '' })) };
}

/** victimOf's tests: an open incident blaming `cache` since T0, a cluster beginning four minutes in, the group gap. */
const open = new Map([['cache', [{ id: 'inc-cache', onset: T0 }]]]);
const at = T0 + 4 * MIN;
const gap = 30 * MIN;

describe('engine', () => {
  it('counts failure alerts of other incidents near the onset only when no calls were seen around it (decision 020)', () => {
    // checkout and cart both call orders-db, which raises nothing. The clustering is set to join nothing, so
    // checkout's alert opens an incident of its own, and cart's alert, a minute later, another.
    const snapshot = (minute: number): TraceDelta => ({
      edges: [calls('frontend', 'checkout', minute, 5, 0), calls('checkout', 'orders-db', minute, 5, 0, true), calls('cart', 'orders-db', minute, 5, 0, true)],
      services: [],
    });
    const rootOfCheckout = (deltas: TraceDelta[]): string | undefined => {
      const e = new Engine({ cluster: { ...DEFAULT_ENGINE_OPTIONS.cluster, minWeight: 10 } });
      for (const d of deltas) e.applyTraceDelta(d);
      e.applyAlerts([alert('checkout', 'HighErrorRate', 0), alert('cart', 'HighErrorRate', 1)]);
      return e.analyze(T0 + 5 * MIN, { final: true }).find((inc) => inc.services.includes('checkout'))?.rootCauses[0]?.service;
    };
    // The traces are a snapshot of the call graph an hour before: cart's alert shows orders-db failing beside checkout.
    expect(rootOfCheckout([snapshot(-60)])).toBe('orders-db');
    // Calls seen around the onset, even healthy ones elsewhere (the traces carry traffic, not a snapshot): the
    // incident's ranking stands on its own alerts.
    const around = [-1, 0, 1].map((m): TraceDelta => ({ edges: [calls('frontend', 'checkout', m, 5, 0)], services: [] }));
    expect(rootOfCheckout([snapshot(-60), ...around])).toBe('checkout');
  });

  it('reports one incident for a cascade with the silent database ranked first', () => {
    const e = new Engine();
    for (let m = -20; m < -2; m++) e.applyTraceDelta(topology(0, m));
    for (let m = -2; m < 5; m++) e.applyTraceDelta(topology(40, m));
    e.applyAlerts([alert('checkout', 'HighErrorRate', 0), alert('frontend', 'HighErrorRate', 1), alert('cart', 'HighErrorRate', 2)]);
    const [inc, ...rest] = e.analyze(T0 + 5 * MIN);
    expect(rest).toHaveLength(0);
    expect(inc!.status).toBe('open');
    expect(inc!.services).toEqual(['cart', 'checkout', 'frontend']);
    expect(inc!.rootCauses[0]!.service).toBe('orders-db');
    expect(inc!.openedAt).toBe(new Date(T0).toISOString());
    expect(inc!.title).toBe('HighErrorRate on checkout (+2 alerts, 3 services)');
  });

  it('keeps the incident id across analyses and resolves it when every alert resolved', () => {
    const e = new Engine();
    e.applyAlerts([alert('a', 'E', 0)]);
    const first = e.analyze(T0 + MIN)[0]!;
    e.applyAlerts([alert('a', 'E', 0, { status: 'resolved', endsAt: T0 + 3 * MIN })]);
    const later = e.analyze(T0 + 4 * MIN)[0]!;
    expect(later.id).toBe(first.id);
    expect(later.status).toBe('resolved');
    // An HA peer resending the old firing state must not reopen it.
    e.applyAlerts([alert('a', 'E', 0)]);
    expect(e.analyze(T0 + 5 * MIN)[0]!.status).toBe('resolved');
    // Long after resolution the incident is no longer reported.
    expect(e.analyze(T0 + 3 * 60 * MIN)).toHaveLength(0);
  });

  it('ignores alerts that start after the analysis time and reports recent deploys as evidence', () => {
    const e = new Engine();
    e.applyChanges([deploy('a', -4, 'v7')]);
    e.applyAlerts([alert('a', 'E', 0), alert('b', 'E', 30)]);
    const reports = e.analyze(T0 + 10 * MIN);
    expect(reports).toHaveLength(1);
    const evidence = reports[0]!.rootCauses[0]!.evidence.map((x) => x.detail);
    expect(evidence).toContain('a deployed v7 (from v1) 4 min before the first alert');
  });

  it('lists similar past incidents from history', () => {
    const e = new Engine();
    e.setHistory([
      { id: 'INC-1', title: 'db down', openedAt: '2026-01-01T00:00:00Z', resolvedAt: '2026-01-01T01:00:00Z', rootCause: { service: 'orders-db', category: 'dependency' }, alerts: [{ service: 'checkout', alertname: 'HighErrorRate' }, { service: 'cart', alertname: 'HighErrorRate' }] },
      { id: 'INC-2', title: 'other', openedAt: '2026-01-02T00:00:00Z', resolvedAt: '2026-01-02T01:00:00Z', rootCause: { service: 'search', category: 'deploy' }, alerts: [{ service: 'search', alertname: 'HighLatency' }] },
    ]);
    e.applyAlerts([alert('checkout', 'HighErrorRate', 0), alert('cart', 'HighErrorRate', 0)]);
    const inc = e.analyze(T0 + MIN)[0]!;
    expect(inc.similarIncidents.map((s) => s.id)).toEqual(['INC-1']);
    expect(inc.similarIncidents[0]!.rootCause).toBe('orders-db');
    expect(inc.rootCauses.map((r) => r.service)).toContain('orders-db');
  });

  it('tells the runbook matcher what the alerts say and which runbooks fixed similar incidents of the same root', () => {
    const seen: RemediationContext[] = [];
    const e = new Engine({ suggestRemediations: (incident) => (seen.push(incident), []) });
    const past = (id: string, root: string, runbook: string, cartAlert: string) => ({
      id,
      title: id,
      openedAt: '2026-01-01T00:00:00Z',
      resolvedAt: '2026-01-01T01:00:00Z',
      rootCause: { service: root, category: 'dependency' as const },
      alerts: [{ service: 'checkout', alertname: 'HighErrorRate' }, { service: 'cart', alertname: cartAlert }],
      remediation: { runbook, target: root },
    });
    e.setHistory([
      past('INC-1', 'checkout', 'scale-deployment', 'HighErrorRate'),
      past('INC-2', 'checkout', 'restart-deployment', 'HighLatency'),
      past('INC-3', 'cart', 'rollback-deployment', 'HighErrorRate'),
    ]);
    e.applyAlerts([alert('checkout', 'HighErrorRate', 0), alert('cart', 'HighErrorRate', 0)]);
    const inc = e.analyze(T0 + MIN, { final: true })[0]!;
    expect(inc.rootCauses[0]!.service).toBe('checkout');
    const context = seen.find((c) => c.id === inc.id)!;
    expect(context.alertSignals).toEqual(['failure']);
    // Only the fixes of incidents caused by the top suspect, the most similar first; INC-3's rollback was cart's.
    expect(inc.similarIncidents.map((s) => s.id)).toEqual(['INC-1', 'INC-3', 'INC-2']);
    expect(context.fixedBefore).toEqual(['scale-deployment', 'restart-deployment']);
    expect(inc.rootCauses[0]!.evidence.find((x) => x.kind === 'history')!.detail).toMatch(
      /^matches INC-1 \([01]\.\d\d\), INC-2 \(0\.\d\d\); root cause was checkout; INC-1 was fixed with scale-deployment on checkout$/,
    );
  });

  it('opens a brand-new incident only after its first alert settled, unless the analysis is final', () => {
    const e = new Engine();
    const seen = T0 + MIN;
    e.applyAlerts([alert('a', 'E', 0)], seen);
    expect(e.analyze(seen + 5_000)).toHaveLength(0);
    expect(e.held).toBe(1);
    expect(e.analyze(seen + 15_000)).toHaveLength(1);
    expect(e.held).toBe(0);
    // An alert that joins an existing incident joins at once.
    e.applyAlerts([alert('a', 'F', 0)], seen + 16_000);
    expect(e.analyze(seen + 16_001)[0]!.alerts).toHaveLength(2);
    const f = new Engine();
    f.applyAlerts([alert('b', 'E', 0)], seen);
    expect(f.analyze(seen + 1, { final: true })).toHaveLength(1);
  });
  it('does not open a second incident for clusters whose top root cause is an open incident\'s, minutes apart', () => {
    // A silent cache fails for `a` first and for `b` 25 minutes later (too far apart for any alert relation): the
    // second pair of alerts clusters alone, but its ranking names the same root, so it joins the first incident.
    const failingFrom = (minute: number, m: number): number => (m >= minute ? 40 : 0);
    const engine = (): Engine => {
      const e = new Engine();
      for (let m = -40; m < 35; m++) {
        e.applyTraceDelta({
          edges: [
            calls('a1', 'a', m, 100, failingFrom(-2, m)),
            calls('a', 'cache', m, 100, failingFrom(-2, m), true),
            calls('b1', 'b', m, 100, failingFrom(23, m)),
            calls('b', 'cache', m, 100, failingFrom(23, m), true),
          ],
          services: [],
        });
      }
      return e;
    };
    const firstPair = [alert('a', 'HighErrorRate', 0), alert('a1', 'HighErrorRate', 1)];
    const secondPair = [alert('b', 'HighErrorRate', 25), alert('b1', 'HighErrorRate', 26)];

    const live = engine();
    live.applyAlerts(firstPair);
    const [first] = live.analyze(T0 + 5 * MIN);
    expect(first!.rootCauses[0]!.service).toBe('cache');
    live.applyAlerts(secondPair);
    const reports = live.analyze(T0 + 30 * MIN);
    expect(reports.map((r) => r.id)).toEqual([first!.id]);
    expect(reports[0]!.services).toEqual(['a', 'a1', 'b', 'b1']);
    expect(reports[0]!.rootCauses[0]!.service).toBe('cache');

    // The same when both clusters first open in one analysis (a replay): the second sees the incident the first opened.
    const replayed = engine();
    replayed.applyAlerts([...firstPair, ...secondPair]);
    expect(replayed.analyze(T0 + 30 * MIN, { final: true }).map((r) => r.services)).toEqual([['a', 'a1', 'b', 'b1']]);
  });

  it('joins a cluster whose own ranking is undecided when it names the open incident\'s decisive root first', () => {
    // The cache fails for `a` first; 25 minutes later `b` fails on the cache and, a little less, on its queue: b's
    // ranking puts the cache first by less than the margin, and the open incident already blames the cache.
    const deltas = everyMinute((m) => [
      calls('a1', 'a', m, 100, m >= -2 ? 40 : 0),
      calls('a', 'cache', m, 100, m >= -2 ? 40 : 0, true),
      calls('b', 'cache', m, 100, m >= 23 ? 40 : 0, true),
      calls('b', 'queue', m, 100, m >= 23 ? 16 : 0, true),
    ]);
    const e = new Engine();
    for (const delta of deltas) e.applyTraceDelta(delta);
    e.applyAlerts([alert('a', 'HighErrorRate', 0), alert('a1', 'HighErrorRate', 1)]);
    const [first] = e.analyze(T0 + 5 * MIN);
    expect(decisiveRoot(first!.rootCauses)).toBe('cache');
    // b's alert alone ranks the cache first, the queue 0.095 behind: not decisive, but naming the open incident's root.
    const alone = new Engine();
    for (const delta of deltas) alone.applyTraceDelta(delta);
    alone.applyAlerts([alert('b', 'HighErrorRate', 25)]);
    const [own] = alone.analyze(T0 + 30 * MIN);
    expect(own!.rootCauses.slice(0, 2).map((c) => c.service)).toEqual(['cache', 'queue']);
    expect(decisiveRoot(own!.rootCauses)).toBeUndefined();
    e.applyAlerts([alert('b', 'HighErrorRate', 25)]);
    const reports = e.analyze(T0 + 30 * MIN);
    expect(reports.map((r) => r.id)).toEqual([first!.id]);
    expect(reports[0]!.services).toEqual(['a', 'a1', 'b']);
  });

  it('joins a cluster decisive on its root to an open incident that names that root first, undecided (decision 040)', () => {
    // The other way round: `b` fails first, on the cache and, a little less, on its queue, so its incident names the
    // cache first by less than the margin. 25 minutes later the cache fails for `a`, whose ranking blames it decisively.
    const deltas = (queueErrors: number) =>
      everyMinute((m) => [
        calls('b', 'cache', m, 100, m >= -2 ? 40 : 0, true),
        calls('b', 'queue', m, 100, m >= -2 ? queueErrors : 0, true),
        calls('a1', 'a', m, 100, m >= 23 ? 40 : 0),
        calls('a', 'cache', m, 100, m >= 23 ? 40 : 0, true),
      ]);
    const run = (queueErrors: number) => {
      const e = new Engine();
      for (const delta of deltas(queueErrors)) e.applyTraceDelta(delta);
      e.applyAlerts([alert('b', 'HighErrorRate', 0)]);
      const [first] = e.analyze(T0 + 5 * MIN);
      e.applyAlerts([alert('a', 'HighErrorRate', 25), alert('a1', 'HighErrorRate', 26)]);
      return { first: first!, reports: e.analyze(T0 + 30 * MIN) };
    };
    const undecided = run(16);
    expect(undecided.first.rootCauses.slice(0, 2).map((c) => c.service)).toEqual(['cache', 'queue']);
    expect(decisiveRoot(undecided.first.rootCauses)).toBeUndefined();
    expect(undecided.reports.map((r) => r.id)).toEqual([undecided.first.id]);
    expect(undecided.reports[0]!.services).toEqual(['a', 'a1', 'b']);
    expect(undecided.reports[0]!.rootCauses[0]!.service).toBe('cache');
    // The same in one final analysis (a replay), whichever cluster opens first.
    const replayed = new Engine();
    for (const delta of deltas(16)) replayed.applyTraceDelta(delta);
    replayed.applyAlerts([alert('b', 'HighErrorRate', 0), alert('a', 'HighErrorRate', 25), alert('a1', 'HighErrorRate', 26)]);
    expect(replayed.analyze(T0 + 30 * MIN, { final: true }).map((r) => r.services)).toEqual([['a', 'a1', 'b']]);
    // When b's incident names its queue first, a's cache is not its root: two incidents.
    const queueFirst = run(60);
    expect(queueFirst.first.rootCauses[0]!.service).toBe('queue');
    expect(queueFirst.reports).toHaveLength(2);
  });

  it('joins clusters whose undecided rankings suspect the same two services in the same order, and only those', () => {
    // `a` and `b` each call two databases that topology cannot tell apart; both fail for `a` from minute -2 and for `b`
    // from minute 23, and `b`'s calls to y-db fail a little more (`yExtra`). Each cluster ranks the twins within the
    // margin of each other: neither ranking is decisive.
    const twins = (yExtra: number) =>
      everyMinute((m) => [
        calls('a', 'x-db', m, 100, m >= -2 ? 40 : 0, true),
        calls('a', 'y-db', m, 100, m >= -2 ? 40 : 0, true),
        calls('b', 'x-db', m, 100, m >= 23 ? 40 : 0, true),
        calls('b', 'y-db', m, 100, m >= 23 ? 40 + yExtra : 0, true),
      ]);
    const run = (yExtra: number) => {
      const e = new Engine();
      for (const delta of twins(yExtra)) e.applyTraceDelta(delta);
      e.applyAlerts([alert('a', 'HighErrorRate', 0)]);
      const [first] = e.analyze(T0 + 5 * MIN);
      e.applyAlerts([alert('b', 'HighErrorRate', 25)]);
      return { first: first!, reports: e.analyze(T0 + 30 * MIN) };
    };
    const suspects = (r: IncidentReport) => r.rootCauses.slice(0, 2).map((c) => c.service);

    const same = run(0);
    expect(suspects(same.first)).toEqual(['x-db', 'y-db']);
    expect(decisiveRoot(same.first.rootCauses)).toBeUndefined();
    expect(same.reports.map((r) => r.id)).toEqual([same.first.id]);
    expect(same.reports[0]!.services).toEqual(['a', 'b']);
    // The same in one final analysis (a replay): the second cluster sees the incident the first opened.
    const replayed = new Engine();
    for (const delta of twins(0)) replayed.applyTraceDelta(delta);
    replayed.applyAlerts([alert('a', 'HighErrorRate', 0), alert('b', 'HighErrorRate', 25)]);
    expect(replayed.analyze(T0 + 30 * MIN, { final: true }).map((r) => r.services)).toEqual([['a', 'b']]);

    // The other way round: b's ranking suspects y-db first, so it is not the same undecided pair, and stays apart.
    const swapped = run(4);
    expect(swapped.reports).toHaveLength(2);
    const second = swapped.reports.find((r) => r.id !== swapped.first.id)!;
    expect(suspects(second)).toEqual(['y-db', 'x-db']);
    expect(decisiveRoot(second.rootCauses)).toBeUndefined();
  });

  it('keeps a cluster with another top root cause, or starting past the group gap, as an incident of its own', () => {
    const e = new Engine();
    for (let m = -40; m < 80; m++) {
      e.applyTraceDelta({
        edges: [calls('a', 'cache', m, 100, m >= -2 ? 40 : 0, true), calls('b', 'queue', m, 100, m >= 23 && m < 60 ? 40 : 0, true), calls('c', 'cache', m, 100, m >= 68 ? 40 : 0, true)],
        services: [],
      });
    }
    e.applyAlerts([alert('a', 'HighErrorRate', 0)]);
    e.analyze(T0 + 5 * MIN);
    e.applyAlerts([alert('b', 'HighErrorRate', 25)]);
    const two = e.analyze(T0 + 30 * MIN);
    expect(two.map((r) => r.rootCauses[0]!.service).sort()).toEqual(['cache', 'queue']);
    // 70 minutes after the first: past the 30-minute group gap, a new incident although it blames the cache again.
    e.applyAlerts([alert('c', 'HighErrorRate', 70)]);
    expect(e.analyze(T0 + 75 * MIN)).toHaveLength(3);
  });
  it('never sends a warning of a future problem to the incident that blames its service: it stands alone', () => {
    const e = new Engine();
    e.applyAlerts([alert('a', 'HighErrorRate', 0)]);
    expect(e.analyze(T0 + MIN)[0]!.rootCauses[0]!.service).toBe('a');
    e.applyAlerts([alert('a', 'CertificateExpiringSoon', 2)]);
    expect(e.analyze(T0 + 3 * MIN)).toHaveLength(2);
  });
  it('joins incidents only on a decisive top root cause: one that leads the next by at least 0.1', () => {
    const cause = (service: string, score: number) => ({ service, score, evidence: [] });
    expect(decisiveRoot([cause('cache', 0.7), cause('queue', 0.6)])).toBe('cache');
    expect(decisiveRoot([cause('cache', 0.7), cause('queue', 0.65)])).toBeUndefined();
    expect(decisiveRoot([cause('cache', 0.4)])).toBe('cache');
    expect(decisiveRoot([])).toBeUndefined();
    expect(decisiveRoot(undefined)).toBeUndefined();
  });

  it('pairs the first two suspects of an undecided ranking only, and only when no third ties the second', () => {
    const cause = (service: string, score: number) => ({ service, score, evidence: [] });
    expect(undecidedPair([cause('x-db', 0.77), cause('y-db', 0.7), cause('api', 0.33)])).toBe('x-db\u0000y-db');
    expect(undecidedPair([cause('y-db', 0.77), cause('x-db', 0.7)])).toBe('y-db\u0000x-db'); // the order counts
    expect(undecidedPair([cause('x-db', 0.7), cause('y-db', 0.6)])).toBeUndefined(); // decisive
    // Three alike: which two come first is the tie-break's, not the evidence's.
    expect(undecidedPair([cause('x-db', 0.59), cause('y-db', 0.59), cause('risk-api', 0.59)])).toBeUndefined();
    expect(undecidedPair([cause('x-db', 0.7)])).toBeUndefined();
    expect(undecidedPair(undefined)).toBeUndefined();
  });
  it('calls alerts another failure only when both rankings are decisive and neither lists the other\'s root', () => {
    const cause = (service: string, score: number) => ({ service, score, evidence: [] });
    const open = [cause('scheduler-db', 0.7), cause('scheduler', 0.4)];
    expect(isAnotherFailure(open, [cause('auth', 0.75), cause('auth-db', 0.3)])).toBe(true);
    expect(isAnotherFailure(open, [cause('auth', 0.75), cause('scheduler-db', 0.3)])).toBe(false); // may be its victim
    expect(isAnotherFailure([...open, cause('auth', 0.2)], [cause('auth', 0.75)])).toBe(false); // the incident lists it
    expect(isAnotherFailure(open, [cause('auth', 0.75), cause('auth-db', 0.7)])).toBe(false); // undecided alone
    expect(isAnotherFailure([cause('scheduler-db', 0.7), cause('scheduler', 0.65)], [cause('auth', 0.75)])).toBe(false); // undecided open
    expect(isAnotherFailure(open, [cause('scheduler-db', 0.75)])).toBe(false); // the same root
    expect(isAnotherFailure(undefined, [cause('auth', 0.75)])).toBe(false); // not ranked yet
  });

  it('joins a lone symptom alert to the earlier incident of a root it ranks close behind its own service (decision 013)', () => {
    // The cache fails for `a` (and so `a1`) from minute -2. `v` reaches the cache through `w` on a few sampled calls
    // that happen to succeed: its alert clusters alone and ranks `v` first on nothing but itself, the cache second.
    const deltas = everyMinute((m) => [
      calls('a1', 'a', m, 100, m >= -2 ? 40 : 0),
      calls('a', 'cache', m, 100, m >= -2 ? 40 : 0, true),
      calls('v', 'w', m, 3, 0),
      calls('w', 'cache', m, 3, 0, true),
    ]);
    const run = (late: Alert, changes: Change[] = []): IncidentReport[] => {
      const e = new Engine();
      for (const d of deltas) e.applyTraceDelta(d);
      e.applyChanges(changes);
      e.applyAlerts([alert('a', 'HighErrorRate', 0), alert('a1', 'HighErrorRate', 1)]);
      const [first] = e.analyze(T0 + 3 * MIN);
      expect(decisiveRoot(first!.rootCauses)).toBe('cache');
      e.applyAlerts([late]);
      return e.analyze(T0 + 10 * MIN);
    };
    const alone = new Engine();
    for (const d of deltas) alone.applyTraceDelta(d);
    alone.applyAlerts([alert('v', 'HighErrorRate', 4)]);
    const [own] = alone.analyze(T0 + 10 * MIN);
    expect(own!.rootCauses.slice(0, 2).map((c) => c.service)).toEqual(['v', 'cache']);
    expect(own!.rootCauses[0]!.evidence.map((e) => e.kind)).toEqual(['alerts']);

    expect(run(alert('v', 'HighErrorRate', 4)).map((r) => r.services)).toEqual([['a', 'a1', 'v']]);
    // Its own CPU running out says the trouble may start at `v`: it stays an incident of its own.
    expect(run(alert('v', 'ContainerCpuUsageHigh', 4)).map((r) => r.services).sort()).toEqual([['a', 'a1'], ['v']]);
    // An alert older than the incident's first one is not its victim.
    expect(run(alert('v', 'HighErrorRate', -1)).map((r) => r.services).sort()).toEqual([['a', 'a1'], ['v']]);
    // `v` deployed just before its alert: that may be its own failure. Deployed 21 minutes before, it is a victim still
    // (decision 013, addendum).
    expect(run(alert('v', 'HighErrorRate', 4), [deploy('v', 2)]).map((r) => r.services).sort()).toEqual([['a', 'a1'], ['v']]);
    expect(run(alert('v', 'HighErrorRate', 4), [deploy('v', -17)]).map((r) => r.services)).toEqual([['a', 'a1', 'v']]);
  });

  it('finds a victim only among the top three candidates of symptom alerts whose first suspect has nothing against it', () => {
    const symptoms = [alert('v', 'HighErrorRate', 4), alert('v', 'HighRequestLatency', 5)];
    const ranking = [cause('v', 0.6, 'alerts'), cause('w', 0.3, 'topology'), cause('cache', 0.2, 'topology')];
    expect(victimOf(symptoms, ranking, at, open, gap)).toBe('inc-cache');
    expect(victimOf(symptoms, [...ranking.slice(0, 2), cause('x', 0.25), ranking[2]!], at, open, gap)).toBeUndefined(); // fourth
    for (const kind of ['traces', 'error-origin', 'saturation', 'deploy', 'history']) {
      expect(victimOf(symptoms, [cause('v', 0.6, 'alerts', kind), ...ranking.slice(1)], at, open, gap)).toBeUndefined();
    }
    // A deploy of the first suspect too long before the onset to count for half of a cause keeps nothing apart
    // (decision 013, addendum): 21 minutes before is exp(−21/20) ≈ 0.35; 10 minutes before, 0.61.
    const deployed = [cause('v', 0.6, 'alerts', 'deploy'), ...ranking.slice(1)];
    expect(victimOf(symptoms, deployed, at, open, gap, (s) => (s === 'v' ? 0.35 : 0))).toBe('inc-cache');
    expect(victimOf(symptoms, deployed, at, open, gap, (s) => (s === 'v' ? 0.61 : 0))).toBeUndefined();
    expect(victimOf(symptoms, [cause('v', 0.6, 'alerts', 'deploy', 'traces'), ...ranking.slice(1)], at, open, gap, () => 0.35)).toBeUndefined();
    expect(victimOf([...symptoms, alert('v', 'TargetDown', 4)], ranking, at, open, gap)).toBeUndefined();
    expect(victimOf([...symptoms, alert('v', 'RequestRateDrop', 4)], ranking, at, open, gap)).toBeUndefined();
    expect(victimOf([...symptoms, alert('v', 'CertificateExpiringSoon', 4)], ranking, at, open, gap)).toBeUndefined();
    expect(victimOf(symptoms, ranking, T0 - MIN, open, gap)).toBeUndefined(); // before the incident began
    expect(victimOf(symptoms, ranking, T0 + 31 * MIN, open, gap)).toBeUndefined(); // past the group gap
    expect(victimOf(symptoms, ranking, T0, open, gap)).toBe('inc-cache'); // at the same minute
    expect(victimOf(symptoms, [cause('cache', 0.6, 'traces')], at, open, gap)).toBeUndefined(); // the root itself first: not a victim (decision 008 joins it)
  });

  it('finds a victim further down only in a dependency the cluster calls whose calls show it failing (decision 038)', () => {
    const symptoms = [alert('v', 'HighErrorRate', 4)];
    const ranking = [cause('v', 0.5, 'alerts'), cause('w', 0.35, 'topology', 'history'), cause('x', 0.3, 'topology'), cause('cache', 0.2, 'topology', 'traces')];
    const cacheFailing = (s: string) => s === 'cache';
    expect(victimOf(symptoms, ranking, at, open, gap, () => 1, cacheFailing)).toBe('inc-cache');
    // It is asked with the incident whose root the candidate is (decision 041 reads the calls since it began).
    expect(victimOf(symptoms, ranking, at, open, gap, () => 1, (s, inc) => s === 'cache' && inc.id === 'inc-cache' && inc.onset === T0)).toBe('inc-cache');
    // Merely reachable, or its calls not failing: no victim.
    expect(victimOf(symptoms, ranking, at, open, gap, () => 1, () => false)).toBeUndefined();
    // The first suspect with evidence of its own still keeps the cluster apart.
    expect(victimOf(symptoms, [cause('v', 0.5, 'alerts', 'error-origin'), ...ranking.slice(1)], at, open, gap, () => 1, cacheFailing)).toBeUndefined();
    expect(victimOf(symptoms, ranking, T0 + 31 * MIN, open, gap, () => 1, cacheFailing)).toBeUndefined(); // past the group gap
  });

  it('reads the calls into an open incident\'s root since that incident began, against the calls before it (decision 041)', () => {
    // The cache fails for `a` (and so `a1`) from minute -2, and for `v`, which calls it directly beside three healthy
    // dependencies. `v` alerts 25 minutes in: its window's baseline (the 30 minutes before it) is mostly the failure's
    // own minutes, so against it the calls into the cache look as they have for a while, and ranked alone `v` puts the
    // cache fifth, on the topology floor. Since the cache's incident began, against the calls before it, they fail.
    const traced = (direct = true): Engine => {
      const e = new Engine();
      for (let m = -40; m < 40; m++) {
        const failing = m >= -2;
        e.applyTraceDelta({
          edges: [
            calls('a1', 'a', m, 100, failing ? 40 : 0),
            calls('a', 'cache', m, 100, failing ? 40 : 0, true),
            ...(direct ? [calls('v', 'cache', m, 4, failing ? 2 : 0, true)] : [calls('v', 'w', m, 4, 0), calls('w', 'cache', m, 4, failing ? 2 : 0, true)]),
            calls('v', 'b1', m, 3, 0),
            calls('v', 'b2', m, 3, 0),
            calls('v', 'b3', m, 3, 0),
          ],
          services: [],
        });
      }
      return e;
    };
    const run = (late: Alert, direct = true): IncidentReport[] => {
      const e = traced(direct);
      e.applyAlerts([alert('a', 'HighErrorRate', 0), alert('a1', 'HighErrorRate', 1)]);
      const [first] = e.analyze(T0 + 3 * MIN);
      expect(decisiveRoot(first!.rootCauses)).toBe('cache');
      e.applyAlerts([late]);
      return e.analyze(T0 + 32 * MIN);
    };
    const alone = traced();
    alone.applyAlerts([alert('v', 'HighErrorRate', 25)]);
    const [own] = alone.analyze(T0 + 32 * MIN);
    expect(own!.rootCauses.map((c) => c.service).indexOf('cache')).toBe(4);
    expect(own!.rootCauses[4]!.evidence.map((e) => e.kind)).toEqual(['topology']);

    const joined = run(alert('v', 'HighErrorRate', 25));
    expect(joined.map((r) => r.services)).toEqual([['a', 'a1', 'v']]);
    expect(joined[0]!.rootCauses[0]!.service).toBe('cache');
    // A latency alert: the cache's calls fail, but no slower than before, and explain no slowness.
    expect(run(alert('v', 'HighRequestLatency', 25)).map((r) => r.services).sort()).toEqual([['a', 'a1'], ['v']]);
    // Through `w`, two calls away: `v` does not call the cache itself.
    expect(run(alert('v', 'HighErrorRate', 25), false).map((r) => r.services).sort()).toEqual([['a', 'a1'], ['v']]);
  });

  it('asks how calls went since an open incident began only of that incident\'s root', () => {
    const graph = buildDependencyGraph([{ caller: 'v', callee: 'w', stats: { calls: 5 }, calleeUninstrumented: false, calleeKind: 'service' as const, lastSeen: T0 }]);
    const signal = (errorRateBase: number, errorAnomaly: number) => ({
      incoming: { callsNow: 20, errorRateNow: 0.4, errorRateBase, meanLatencyNow: 10, meanLatencyBase: 10, errorAnomaly, latencyAnomaly: 0 },
      callers: [],
      originErrorRateNow: 0,
      originErrorRateBase: null,
      originAnomaly: 0,
      versionSplit: null,
      versions: null,
    });
    const asOfWindow = new Map([['w', signal(0.4, 0)]]); // the failure's own minutes in the baseline
    const sinceOnset = new Map([['w', signal(0, 0.8)]]);
    const asked: number[] = [];
    const fails = failingThroughCalls(graph, [alert('v', 'HighErrorRate', 25)], asOfWindow, (onset) => {
      asked.push(onset);
      return sinceOnset;
    });
    expect(fails('w')).toBe(false);
    expect(asked).toEqual([]);
    expect(fails('w', { id: 'inc-w', onset: T0 - 2 * MIN })).toBe(true);
    expect(asked).toEqual([T0 - 2 * MIN]);
    expect(failingThroughCalls(graph, [alert('v', 'HighRequestLatency', 25)], asOfWindow, () => sinceOnset)('w', { id: 'inc-w', onset: T0 })).toBe(false);
  });

  it('lets a history match of the first suspect keep a cluster apart, unless its calls into an open root fail (decision 042)', () => {
    const symptoms = [alert('v', 'HighErrorRate', 4)];
    const cacheFailing = (s: string) => s === 'cache';
    const remembered = cause('v', 0.59, 'alerts', 'history');
    for (const ranking of [
      [remembered, cause('cache', 0.3, 'topology', 'traces')],
      [remembered, cause('w', 0.3, 'topology'), cause('cache', 0.21, 'topology', 'traces')],
      [remembered, cause('w', 0.3, 'topology'), cause('x', 0.25, 'topology'), cause('y', 0.22, 'topology'), cause('cache', 0.21, 'traces')],
    ]) {
      expect(victimOf(symptoms, ranking, at, open, gap, () => 1, cacheFailing)).toBe('inc-cache');
      // Its place in the ranking alone does not outweigh the past: the calls into it must fail.
      expect(victimOf(symptoms, ranking, at, open, gap, () => 1, () => false)).toBeUndefined();
    }
    // Evidence of now against the first suspect still keeps the cluster apart.
    const failingItself = [cause('v', 0.6, 'alerts', 'history', 'error-origin'), cause('cache', 0.3, 'traces')];
    expect(victimOf(symptoms, failingItself, at, open, gap, () => 1, cacheFailing)).toBeUndefined();
  });

  it('reads calls as failing the way the alerts watch: errors, slowness, or either', () => {
    const change = (errorAnomaly: number, latencyAnomaly: number) => ({ callsNow: 20, errorRateNow: 0, errorRateBase: 0, meanLatencyNow: 0, meanLatencyBase: 0, errorAnomaly, latencyAnomaly });
    const errors = [alert('v', 'HighErrorRate', 0)];
    const latency = [alert('v', 'HighRequestLatency', 0)];
    expect(callsFailAsWatched(errors, change(0.5, 0))).toBe(true);
    expect(callsFailAsWatched(errors, change(0, 0.9))).toBe(false); // slower calls explain no errors
    expect(callsFailAsWatched(latency, change(0.9, 0))).toBe(false); // a dependency failing fast explains no slowness
    expect(callsFailAsWatched(latency, change(0, 0.5))).toBe(true);
    expect(callsFailAsWatched([...errors, ...latency], change(0, 0.5))).toBe(true);
    expect(callsFailAsWatched(errors, change(0.1, 0))).toBe(false); // barely worse than usual
    expect(callsFailAsWatched(errors, null)).toBe(false); // too few calls to tell
  });

  it('asks for a dependency the alerts\' own services call directly, its calls into it failing', () => {
    const graph = buildDependencyGraph(
      ['v>w', 'w>cache', 'u>cache'].map((pair) => {
        const [caller, callee] = pair.split('>') as [string, string];
        return { caller, callee, stats: { calls: 5 }, calleeUninstrumented: false, calleeKind: 'service' as const, lastSeen: T0 };
      }),
    );
    const failing = { callsNow: 20, errorRateNow: 0.4, errorRateBase: 0, meanLatencyNow: 10, meanLatencyBase: 10, errorAnomaly: 0.8, latencyAnomaly: 0 };
    const signals = new Map(['w', 'cache', 'v', 'u'].map((s) => [s, { incoming: failing, callers: [], originErrorRateNow: 0, originErrorRateBase: null, originAnomaly: 0, versionSplit: null, versions: null }]));
    const fails = failingThroughCalls(graph, [alert('v', 'HighErrorRate', 0), alert('u', 'HighErrorRate', 1)], signals);
    expect(['w', 'cache', 'v', 'u', 'unknown'].map((service) => fails(service))).toEqual([true, true, false, false, false]);
    expect(failingThroughCalls(graph, [alert('v', 'HighErrorRate', 0)], signals)('cache')).toBe(false); // two calls away
    expect(failingThroughCalls(graph, [alert('v', 'HighRequestLatency', 0)], signals)('w')).toBe(false); // fails fast, v is slow
    expect(failingThroughCalls(graph, [alert('v', 'HighErrorRate', 0)], new Map())('w')).toBe(false); // no calls to tell
  });

  it('does not join an open incident whose ranking is undecided between its top two root causes', () => {
    // `a` fails on both of its databases alike, and each database has one healthy caller besides: x-db and y-db tie.
    // Later `c` fails on x-db alone and ranks it first decisively; the tie says nothing about which one `a` is about.
    const e = new Engine();
    for (let m = -40; m < 35; m++) {
      e.applyTraceDelta({
        edges: [
          calls('a', 'x-db', m, 100, m >= -2 ? 40 : 0, true),
          calls('a', 'y-db', m, 100, m >= -2 ? 40 : 0, true),
          calls('c', 'x-db', m, 100, m >= 23 ? 40 : 0, true),
          calls('d', 'y-db', m, 100, 0, true),
        ],
        services: [],
      });
    }
    e.applyAlerts([alert('a', 'HighErrorRate', 0)]);
    const [undecided] = e.analyze(T0 + 5 * MIN);
    const [first, second] = undecided!.rootCauses;
    expect([first!.service, second!.service].sort()).toEqual(['x-db', 'y-db']);
    expect(second!.score).toBe(first!.score);
    e.applyAlerts([alert('c', 'HighErrorRate', 25)]);
    const reports = e.analyze(T0 + 30 * MIN);
    expect(reports).toHaveLength(2);
    expect(reports.find((r) => r.id !== undecided!.id)!.rootCauses[0]!.service).toBe('x-db');
  });
});
