import { describe, it, expect } from 'vitest';
import type { IncidentReport } from '../../../src/model/incident.js';
import { ActionRefs, ACTION_IDS } from '../../../src/slack/action-refs.js';
import { describeIncidentContext, sameRootIncidents, type IncidentContext } from '../../../src/slack/incident-context.js';
import { describeService } from '../../../src/slack/service-overview.js';
import { fitLines, truncate, escapeMrkdwn, fitBlocks, section, LIMITS } from '../../../src/slack/render/block-kit.js';
import { renderBlocksAsText } from '../../../src/slack/render/blocks-as-text.js';
import { renderChannelMessage } from '../../../src/slack/render/channel-message.js';
import { renderIncidentDetail } from '../../../src/slack/render/incident-detail.js';
import { renderIncidentList } from '../../../src/slack/render/incident-list.js';
import { renderServiceOverview } from '../../../src/slack/render/service-view.js';
import { renderThreadNote } from '../../../src/slack/render/thread-notes.js';
import { strongestEvidence } from '../../../src/slack/render/suspects.js';
import { renderHelp, renderUnknownIncident, renderUnknownService } from '../../../src/slack/render/help.js';
import { formatAge } from '../../../src/slack/render/text-format.js';
import { buildScenarioEngine, NOW } from '../../integration/slack/slack-scenario.js';
import { expectWithinBlockKitLimits } from './block-limits.js';

const MIN = 60_000;

function scenario() {
  const engine = buildScenarioEngine();
  const reports = engine.analyze(NOW);
  const report = reports[0]!;
  return { engine, reports, report, ctx: describeIncidentContext(engine, report, NOW) };
}

/** An incident of 500 alerts over 100 services with ten suspects and long evidence. */
function hugeIncident(): { report: IncidentReport; ctx: IncidentContext } {
  const services = Array.from({ length: 100 }, (_, i) => `service-with-a-rather-long-name-${i}`);
  const report: IncidentReport = {
    id: 'inc-huge00000001',
    title: `HighErrorRate on ${services[0]} (+499 alerts, 100 services) ${'and a very long title '.repeat(10)}`,
    status: 'open',
    openedAt: new Date(NOW - 30 * MIN).toISOString(),
    alerts: Array.from({ length: 500 }, (_, i) => `fp-${i}`),
    services,
    rootCauses: Array.from({ length: 10 }, (_, i) => ({
      service: services[i]!,
      score: 0.9 - i * 0.05,
      evidence: Array.from({ length: 6 }, (_, k) => ({ kind: k === 0 ? 'deploy' : 'traces', detail: `evidence ${k} ${'x'.repeat(800)}` })),
    })),
    similarIncidents: Array.from({ length: 5 }, (_, i) => ({ id: `INC-${1000 + i}`, similarity: 0.8, rootCause: services[i]! })),
    remediations: Array.from({ length: 12 }, (_, i) => ({ runbook: `restart-${i}`, action: 'rollout restart', target: services[i]! })),
  };
  const ctx: IncidentContext = {
    incidentId: report.id,
    severity: 'critical',
    firingAlerts: 480,
    resolvedAlerts: 20,
    alertNames: Array.from({ length: 10 }, (_, i) => ({ name: `Alert${i}`, count: 50 })),
    serviceAlerts: [],
    firstAlertAt: NOW - 30 * MIN,
    resolvedAt: null,
    timeline: Array.from({ length: 30 }, (_, i) => ({ at: NOW - (30 - i) * MIN, kind: 'alerts-joined' as const, text: `17 alerts joined: ${'y'.repeat(60)}` })),
    timelineOmitted: 12,
  };
  return { report, ctx };
}

describe('strongestEvidence', () => {
  it('puts what changed and where the trouble starts before the rest, unknown kinds last', () => {
    const kinds = ['history', 'mystery', 'onset', 'topology', 'alerts', 'traces', 'saturation', 'error-origin', 'deploy'];
    const ordered = strongestEvidence({ service: 'cart', score: 0.5, evidence: kinds.map((kind) => ({ kind, detail: kind })) });
    expect(ordered.map((e) => e.kind)).toEqual(['deploy', 'error-origin', 'saturation', 'traces', 'alerts', 'topology', 'onset', 'history', 'mystery']);
  });
});

describe('Block Kit helpers', () => {
  it('truncates by code points with an ellipsis', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 3)).toBe('abc');
    expect([...truncate('🔥'.repeat(10), 5)].length).toBe(5);
  });
  it('escapes mrkdwn control characters so names cannot inject mentions or links', () => {
    expect(escapeMrkdwn('<!channel> & <http://x|y>')).toBe('&lt;!channel&gt; &amp; &lt;http://x|y&gt;');
  });
  it('fits whole lines and counts the rest', () => {
    const text = fitLines(Array.from({ length: 100 }, (_, i) => `line ${i} ${'z'.repeat(80)}`), 1000);
    expect(text.length).toBeLessThanOrEqual(1000);
    expect(text).toMatch(/…and \d+ more$/);
  });
  it('keeps at most 50 blocks and says how many were left out', () => {
    const blocks = fitBlocks(Array.from({ length: 70 }, () => section('x')));
    expect(blocks).toHaveLength(50);
    expect(JSON.stringify(blocks[49])).toContain('21 more blocks');
  });
  it('formats ages', () => {
    expect(formatAge(30_000)).toBe('under a minute');
    expect(formatAge(12 * MIN)).toBe('12 min');
    expect(formatAge(125 * MIN)).toBe('2 h 5 min');
    expect(formatAge(50 * 60 * MIN)).toBe('2 d 2 h');
  });
});

describe('renderChannelMessage', () => {
  it('leads with severity and title, then the top suspect with its strongest evidence and a Confirm button', () => {
    const { report, ctx } = scenario();
    const refs = new ActionRefs();
    const m = renderChannelMessage({ report, context: ctx, confirmation: null, rejected: [], now: NOW, refs });
    expectWithinBlockKitLimits(m.blocks);
    const text = renderBlocksAsText(m.blocks);
    const lines = text.split('\n');
    expect(lines[0]).toBe(':red_circle: CRITICAL · HighErrorRate on checkout (+2 alerts, 3 services)');
    expect(text.indexOf('1. payments-db')).toBeGreaterThan(0);
    expect(text.indexOf('1. payments-db')).toBeLessThan(text.indexOf('2. payments'));
    expect(text).toContain('Affected services (3)');
    expect(text).toContain('3 firing, 0 resolved');
    expect(m.text).toBe('CRITICAL: HighErrorRate on checkout (+2 alerts, 3 services) — top suspect payments-db (0.70)');
    // Button values are opaque ids that resolve (server-side) to what the button means.
    const confirm = m.blocks.find((b) => b.type === 'section' && b.accessory?.type === 'button') as { accessory: { action_id: string; value: string } };
    expect(confirm.accessory.action_id).toBe(ACTION_IDS.confirmRootCause);
    expect(confirm.accessory.value).toMatch(/^r[0-9a-f]{16}$/);
    expect(new Map(refs.entries()).get(confirm.accessory.value)).toEqual({ kind: 'suspect', incidentId: report.id, service: 'payments-db' });
    expect(text).toContain('[ Not it… ]');
  });

  it('offers the first suggested runbook with a Propose button while open, and none once resolved', () => {
    const { report, ctx } = scenario();
    const remediations = [
      { runbook: 'failover-database', action: 'http', target: 'https://dbops.example.com/api/v1/databases/payments-db/failover' },
      { runbook: 'restart-deployment', action: 'kubernetes.restart', target: 'deployment/production/payments' },
    ];
    const refs = new ActionRefs();
    const m = renderChannelMessage({ report: { ...report, remediations }, context: ctx, confirmation: null, rejected: [], now: NOW, refs });
    const text = renderBlocksAsText(m.blocks);
    expect(text).toContain('*Suggested runbook:* *failover-database*: http on `https://dbops.example.com/api/v1/databases/payments-db/failover` · 1 more in `/rca`    [ Propose ]');
    expect(text).not.toContain('restart-deployment');
    const propose = m.blocks.find((b) => b.type === 'section' && (b.accessory as { action_id?: string } | undefined)?.action_id === ACTION_IDS.proposeRunbook) as {
      accessory: { value: string };
    };
    expect(new Map(refs.entries()).get(propose.accessory.value)).toEqual({ kind: 'runbook', incidentId: report.id, runbook: 'failover-database', target: remediations[0]!.target });
    const one = renderBlocksAsText(renderChannelMessage({ report: { ...report, remediations: remediations.slice(1) }, context: ctx, confirmation: null, rejected: [], now: NOW, refs: new ActionRefs() }).blocks);
    expect(one).toContain('*Suggested runbook:* *restart-deployment*: kubernetes.restart on `deployment/production/payments`    [ Propose ]');
    const resolved = renderChannelMessage({ report: { ...report, status: 'resolved', remediations }, context: { ...ctx, resolvedAt: NOW }, confirmation: null, rejected: [], now: NOW, refs: new ActionRefs() });
    expect(renderBlocksAsText(resolved.blocks)).not.toContain('Suggested runbook');
    expect(renderBlocksAsText(renderChannelMessage({ report, context: ctx, confirmation: null, rejected: [], now: NOW, refs: new ActionRefs() }).blocks)).not.toContain('Suggested runbook');
  });

  it('shows who confirmed the root cause, and drops that suspect’s Confirm button', () => {
    const { report, ctx } = scenario();
    const m = renderChannelMessage({ report, context: ctx, confirmation: { service: 'payments-db', userId: 'U0ALICE', at: NOW, via: 'confirm' }, rejected: ['payments'], now: NOW, refs: new ActionRefs() });
    const text = renderBlocksAsText(m.blocks);
    expect(text).toContain('Root cause confirmed:* `payments-db` by @U0ALICE');
    expect(text).toMatch(/1\. payments-db\* — score 0\.70 :white_check_mark: _confirmed_\n/);
    expect(text).toContain('2. payments* — score 0.44 :x: _not it_');
  });

  it('gives a section and a Confirm button only to suspects that score near the first, listing the rest with their scores', () => {
    const { report, ctx } = scenario();
    const cause = (service: string, score: number) => ({ service, score, evidence: [{ kind: 'topology', detail: `${service}: evidence` }] });
    const render = (rootCauses: ReturnType<typeof cause>[], rejected: string[] = []) =>
      renderBlocksAsText(renderChannelMessage({ report: { ...report, rootCauses }, context: ctx, confirmation: null, rejected, now: NOW, refs: new ActionRefs() }).blocks);
    const text = render([cause('payments-db', 0.6), cause('payments', 0.3), cause('ledger', 0.12), cause('cart', 0.05)]);
    expect(text).toContain('*2. payments* — score 0.30    [ Confirm root cause ]');
    expect(text).not.toContain('3. ledger');
    expect(text).toContain('Also suspected: ledger (0.12), cart (0.05)');
    // Under a quarter of the first's score is a bystander however high it is, and 0.1 is the least anyone gets a button at.
    expect(render([cause('payments-db', 0.9), cause('payments', 0.2)])).toContain('Also suspected: payments (0.20)');
    expect(render([cause('cart', 0.3), cause('redis-cache', 0.08)])).toContain('Also suspected: redis-cache (0.08)');
    // A suspect someone called "not it" keeps its line, so the mark stays in view.
    expect(render([cause('payments-db', 0.6), cause('cart', 0.05)], ['cart'])).toContain('*2. cart* — score 0.05 :x: _not it_');
  });

  it('says RESOLVED in the header once resolved', () => {
    const { report, ctx } = scenario();
    const m = renderChannelMessage({ report: { ...report, status: 'resolved' }, context: { ...ctx, resolvedAt: NOW }, confirmation: null, rejected: [], now: NOW, refs: new ActionRefs() });
    expect(renderBlocksAsText(m.blocks).split('\n')[0]).toContain(':white_check_mark: RESOLVED');
    expect(m.text.startsWith('Resolved:')).toBe(true);
  });

  it('stays within Block Kit limits for a 500-alert incident, summarising with counts', () => {
    const { report, ctx } = hugeIncident();
    const m = renderChannelMessage({ report, context: ctx, confirmation: null, rejected: [], now: NOW, refs: new ActionRefs() });
    expectWithinBlockKitLimits(m.blocks);
    const text = renderBlocksAsText(m.blocks);
    expect(text).toContain('480 firing, 20 resolved');
    expect(text).toContain('Affected services (100)');
    expect(text).toContain('and 92 more');
    expect(text).toContain('and 5 more names');
    expect(m.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
  });
});

describe('renderIncidentDetail', () => {
  it('lists ranked causes with evidence, the timeline (deploy before first alert) and runbook Propose buttons', () => {
    const { report, ctx } = scenario();
    const refs = new ActionRefs();
    const withRunbook: IncidentReport = { ...report, remediations: [{ runbook: 'rollback-deploy', action: 'rollback', target: 'payments' }], similarIncidents: [{ id: 'INC-1001', similarity: 0.81, rootCause: 'payments-db' }] };
    const m = renderIncidentDetail(withRunbook, ctx, NOW, refs);
    expectWithinBlockKitLimits(m.blocks);
    const text = renderBlocksAsText(m.blocks);
    expect(text).toContain('5. inventory');
    expect(text).toMatch(/08:56 UTC` Deploy: payments v2\.4\.1 \(from v1\)\n`09:00 UTC` First alert: HighErrorRate on checkout/);
    expect(text).toContain('INC-1001 — similarity 0.81, root cause `payments-db`');
    const propose = m.blocks.find((b) => b.type === 'section' && (b.accessory as { action_id?: string } | undefined)?.action_id === ACTION_IDS.proposeRunbook) as { accessory: { value: string } };
    expect(new Map(refs.entries()).get(propose.accessory.value)).toEqual({ kind: 'runbook', incidentId: report.id, runbook: 'rollback-deploy', target: 'payments' });
  });

  it('says what fixed each similar past incident, where the history says, in /rca and in the channel message', () => {
    const engine = buildScenarioEngine();
    const past = (id: string, remediation?: { runbook: string; target: string }) => ({
      id,
      title: id,
      openedAt: '2026-01-01T00:00:00Z',
      resolvedAt: '2026-01-01T01:00:00Z',
      rootCause: { service: 'payments-db', category: 'resource' as const },
      alerts: [{ service: 'checkout', alertname: 'HighErrorRate' }, { service: 'payments', alertname: 'HighErrorRate' }],
      ...(remediation ? { remediation } : {}),
    });
    engine.setHistory([past('INC-7', { runbook: 'failover-database', target: 'payments-db' }), past('INC-8')]);
    const report = engine.analyze(NOW)[0]!;
    expect(report.similarIncidents.map((x) => x.id).sort()).toEqual(['INC-7', 'INC-8']);
    const ctx = describeIncidentContext(engine, report, NOW);
    expect(ctx.pastFixes).toEqual({ 'INC-7': { runbook: 'failover-database', target: 'payments-db' } });
    const detail = renderBlocksAsText(renderIncidentDetail(report, ctx, NOW, new ActionRefs()).blocks);
    expect(detail).toMatch(/INC-7 — similarity 0\.\d\d, root cause `payments-db`, fixed with \*failover-database\* on `payments-db`/);
    expect(detail).toMatch(/INC-8 — similarity 0\.\d\d, root cause `payments-db`(\n|$)/);
    const channel = renderBlocksAsText(renderChannelMessage({ report, context: ctx, confirmation: null, rejected: [], now: NOW, refs: new ActionRefs() }).blocks);
    expect(channel).toMatch(/INC-7 \(0\.\d\d, cause payments-db, fixed with failover-database\)/);
    expect(channel).toMatch(/INC-8 \(0\.\d\d, cause payments-db\)/);
    // Without history fixes, the context says nothing of them.
    expect(describeIncidentContext(buildScenarioEngine(), buildScenarioEngine().analyze(NOW)[0]!, NOW).pastFixes).toBeUndefined();
  });

  it('stays within limits for a huge incident (10 suspects, 12 runbooks, long timeline)', () => {
    const { report, ctx } = hugeIncident();
    const m = renderIncidentDetail(report, ctx, NOW, new ActionRefs());
    expectWithinBlockKitLimits(m.blocks);
    const text = renderBlocksAsText(m.blocks);
    expect(text).toContain('…12 more entries…');
    expect(text).toContain('…and 7 more runbooks');
  });
});

describe('renderIncidentList', () => {
  it('lists open incidents newest first with age, alert count and top 3 suspects', () => {
    const { report, ctx } = scenario();
    const older: IncidentReport = { ...report, id: 'inc-older', title: 'Older incident', openedAt: new Date(NOW - 90 * MIN).toISOString() };
    const resolved: IncidentReport = { ...report, id: 'inc-done', title: 'Done', status: 'resolved' };
    const m = renderIncidentList([older, resolved, report], new Map([[report.id, ctx]]), NOW);
    expectWithinBlockKitLimits(m.blocks);
    const text = renderBlocksAsText(m.blocks);
    expect(text.split('\n')[0]).toBe('Open incidents (2)');
    expect(text.indexOf(report.title)).toBeLessThan(text.indexOf('Older incident'));
    expect(text).not.toContain('Done');
    expect(text).toContain(`\`${report.id}\` · open 6 min · 3 alerts · 3 services`);
    expect(text).toContain('Suspects: 1. `payments-db` 0.70   2. `payments` 0.44   3. `checkout` 0.33');
    expect(text).toContain('`inc-older` · open 1 h 30 min');
  });
  it('counts what does not fit and says so when nothing is open', () => {
    const { report } = scenario();
    const many = Array.from({ length: 40 }, (_, i) => ({ ...report, id: `inc-${i}`, openedAt: new Date(NOW - i * MIN).toISOString() }));
    const m = renderIncidentList(many, new Map(), NOW);
    expectWithinBlockKitLimits(m.blocks);
    expect(renderBlocksAsText(m.blocks)).toContain('…and 25 older open incidents');
    expect(renderBlocksAsText(renderIncidentList([], new Map(), NOW).blocks)).toContain('No open incidents.');
  });
});

describe('service overview', () => {
  it('describes callers and callees with error rate and latency now against the baseline, deploys and incidents', () => {
    // Now = T0+6: the last 5 one-minute buckets are all bad; the 30 before hold 3 bad ones (from T0-1).
    const { engine, reports } = scenario();
    const o = describeService(engine, 'payments', NOW, reports)!;
    expect(o.callers.map((c) => c.service)).toEqual(['checkout']);
    expect(o.callees).toEqual([expect.objectContaining({ service: 'payments-db', errorRate: 0.75, baselineErrorRate: 0.075, meanLatencyMs: 900, baselineMeanLatencyMs: 95, callsPerMin: 80 })]);
    expect(o.openAlerts.map((a) => a.name)).toEqual(['HighErrorRate']);
    expect(o.recentDeploys).toEqual([{ version: 'v2.4.1', previousVersion: 'v1', at: NOW - 10 * MIN, author: null }]);
    // A rollout reported failed is listed, and says so.
    const withFailed = renderBlocksAsText(renderServiceOverview({ ...o, recentDeploys: [{ version: 'v2.4.2', previousVersion: null, at: NOW - 2 * MIN, author: 'ci', failed: true }, ...o.recentDeploys] }, NOW).blocks);
    expect(withFailed).toMatch(/`v2\.4\.2` at [^\n]*, 2 min ago by ci — \*rollout failed\*/);
    expect(withFailed).not.toMatch(/`v2\.4\.1`[^\n]*rollout failed/);
    expect(o.incidents).toEqual([{ id: reports[0]!.id, title: reports[0]!.title, status: 'open', suspectRank: 2, score: 0.436 }]);
    expect(describeService(engine, 'no-such-service', NOW)).toBeNull();

    const m = renderServiceOverview(o, NOW);
    expectWithinBlockKitLimits(m.blocks);
    const text = renderBlocksAsText(m.blocks);
    expect(text).toContain('→ `payments-db` — 80/min, 75% errors (was 8%), 900 ms avg (was 95 ms)');
    expect(text).toContain('← `checkout`');
    expect(text).toContain('suspect #2, score 0.44');
  });
});

describe('incident context', () => {
  it('groups 500 joining alerts per minute and keeps the timeline short', () => {
    const { engine, report } = scenario();
    const many = Array.from({ length: 500 }, (_, i) => `fp-${i}`);
    for (let i = 0; i < 500; i++) {
      engine.alerts.set(`fp-${i}`, { fingerprint: `fp-${i}`, service: `s${i % 50}`, name: `A${i % 7}`, severity: 'warning', status: i < 450 ? 'firing' : 'resolved', labels: {}, summary: '', startsAt: NOW - 300 * MIN + i * MIN / 2, endsAt: i < 450 ? null : NOW - MIN, source: 'alertmanager' });
    }
    const ctx = describeIncidentContext(engine, { ...report, alerts: [...report.alerts, ...many] }, NOW);
    expect(ctx.firingAlerts).toBe(453);
    expect(ctx.resolvedAlerts).toBe(50);
    expect(ctx.severity).toBe('critical');
    expect(ctx.timeline.length).toBeLessThanOrEqual(30);
    expect(ctx.timelineOmitted).toBeGreaterThan(200);
    expect(ctx.alertNames[0]).toEqual({ name: 'A0', count: 72 });
  });
});

describe('open incidents that blame the same root cause', () => {
  const incident = (id: string, openedMin: number, ranked: Array<[string, number]>, status: 'open' | 'resolved' = 'open'): IncidentReport => ({
    id,
    title: `HighErrorRate on ${id}`,
    status,
    openedAt: new Date(NOW - openedMin * MIN).toISOString(),
    alerts: [],
    services: [],
    rootCauses: ranked.map(([service, score]) => ({ service, score, evidence: [] })),
    similarIncidents: [],
    remediations: [],
  });

  it('are linked to each other when both rankings are decisive and they opened within 30 minutes', () => {
    const reports = [
      incident('inc-a', 20, [['ratings-db', 0.7], ['ratings', 0.3]]),
      incident('inc-b', 12, [['ratings-db', 0.66], ['cart', 0.4]]),
      incident('inc-c', 10, [['ratings-db', 0.6], ['cart', 0.55]]), // undecided: not linked
      incident('inc-d', 60, [['ratings-db', 0.8]]), // 48 minutes before inc-b: another outage
      incident('inc-e', 5, [['ratings-db', 0.8]], 'resolved'),
      incident('inc-f', 8, [['cart', 0.9]]),
    ];
    const same = sameRootIncidents(reports);
    expect([...same.keys()].sort()).toEqual(['inc-a', 'inc-b']);
    expect(same.get('inc-b')).toEqual({ service: 'ratings-db', incidents: [{ id: 'inc-a', openedAt: new Date(NOW - 20 * MIN).toISOString() }] });
    expect(same.get('inc-a')!.incidents.map((i) => i.id)).toEqual(['inc-b']);
  });

  it('say so in the incident message while open', () => {
    const { report, ctx } = scenario();
    const sameRoot = { service: 'payments-db', incidents: [{ id: 'inc-0123456789ab', openedAt: new Date(NOW - 4 * MIN).toISOString() }] };
    const text = renderBlocksAsText(renderChannelMessage({ report, context: { ...ctx, sameRoot }, confirmation: null, rejected: [], now: NOW, refs: new ActionRefs() }).blocks);
    expect(text).toContain('Incident `inc-0123456789ab` (opened 09:02 UTC) also blames `payments-db` first: probably the same outage.');
    const resolved = renderBlocksAsText(renderChannelMessage({ report: { ...report, status: 'resolved' }, context: { ...ctx, sameRoot }, confirmation: null, rejected: [], now: NOW, refs: new ActionRefs() }).blocks);
    expect(resolved).not.toContain('probably the same outage');
    expect(renderBlocksAsText(renderChannelMessage({ report, context: ctx, confirmation: null, rejected: [], now: NOW, refs: new ActionRefs() }).blocks)).not.toContain('same outage');
  });
});

describe('thread notes, help and unknown names', () => {
  it('renders a new top suspect note with its strongest evidence, a resolution note and an open-again note', () => {
    const { report, ctx } = scenario();
    const note = renderThreadNote({ kind: 'new-top-suspect', previous: 'checkout' }, report, ctx, NOW);
    expect(note.text).toBe('New top suspect: payments-db — score 0.70 (was checkout)');
    expect(renderBlocksAsText(note.blocks)).toContain('> payments-db: 67% of 720 client calls');
    const resolved = renderThreadNote({ kind: 'resolved' }, report, { ...ctx, resolvedAt: NOW }, NOW);
    expect(resolved.text).toContain('Resolved at 09:06 UTC after 6 min');
    expect(renderThreadNote({ kind: 'reopened' }, report, ctx, NOW).text).toBe('Open again at 09:06 UTC: an alert of this incident fired again soon after it resolved.');
  });
  it('suggests near names for unknown incidents and services', () => {
    expect(renderUnknownIncident('inc-4ebda', ['inc-4ebda79c9ed0']).text).toBe('No incident `inc-4ebda`. Did you mean `inc-4ebda79c9ed0`?');
    expect(renderUnknownService('paymnets', ['payments']).text).toBe('No service named `paymnets`. Did you mean `payments`?');
    expect(renderUnknownService('zzz', []).text).toContain('No similar service name is known yet.');
    expect(renderBlocksAsText(renderHelp().blocks)).toContain('/rca service <name>');
  });
});
