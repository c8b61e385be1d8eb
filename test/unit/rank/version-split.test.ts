import { describe, it, expect } from 'vitest';
import { buildDependencyGraph } from '../../../src/topology/dependency-graph.js';
import { rankRootCauses } from '../../../src/rank/root-cause-ranking.js';
import type { RankingInput } from '../../../src/rank/ranking-input.js';
import { moreErrorsByChance, versionSplitOf } from '../../../src/rank/trace-signals.js';
import type { VersionWindow } from '../../../src/model/trace-aggregate.js';
import { signalsFrom, type TestEdge } from '../../support/trace-windows.js';
import { alert, deploy, edge, MIN, stats, T0 } from '../../support/alerts.js';

/** A version's spans in the window: calls, errors, mean latency, and the minute (after T0) it first served. */
function version(name: string, calls: number, errors: number, meanMs: number, firstSeenMin: number): VersionWindow {
  return { version: name, calls, errors, latencySumMs: calls * meanMs, firstSeen: T0 + firstSeenMin * MIN };
}

describe('a newer version failing beside an older one (version split)', () => {
  it("tests more errors on the newer version with Fisher's exact test", () => {
    // Exact hypergeometric tails: one failure of one span in 21 is 1/21; two of two in 22, 1/231.
    expect(moreErrorsByChance(1, 1, 1, 21)).toBeCloseTo(1 / 21, 10);
    expect(moreErrorsByChance(2, 2, 2, 22)).toBeCloseTo(1 / 231, 10);
    expect(moreErrorsByChance(300, 1000, 400, 5000) / 6.273027722430611e-139).toBeCloseTo(1, 8); // scipy's hypergeom.sf
    expect(moreErrorsByChance(5, 25, 5, 96)).toBeCloseTo(53130 / 61124064, 10);
    expect(moreErrorsByChance(0, 10, 5, 30)).toBeCloseTo(1, 8);
  });

  it('names a newer version whose spans fail while the older one serves the same minutes well', () => {
    const split = versionSplitOf([version('v1.4.0', 40, 0, 20, -30), version('v1.5.0', 12, 7, 20, -2)]);
    expect(split).not.toBeNull();
    expect(split!.worse.version).toBe('v1.5.0');
    expect(split!.better.version).toBe('v1.4.0');
    expect(split!.symptom).toBe('errors');
    // 58% against 0%: a rise well past the 25% that counts fully.
    expect(split!.strength).toBe(1);
  });

  it('says nothing of one failing span, of an older version failing, or of a healthy comparison with too few spans', () => {
    // One failure in one span beside twenty good ones: p = 1/21, luck at the 1% asked.
    expect(versionSplitOf([version('v1', 20, 0, 20, -30), version('v2', 1, 1, 20, -2)])).toBeNull();
    // The older version is the one failing: not a new version's doing (and not this signal's to judge).
    expect(versionSplitOf([version('v1', 20, 12, 20, -30), version('v2', 20, 0, 20, -2)])).toBeNull();
    // Four good spans of the older version against 8 failed of 10: all 8 failures land on the newer version by luck
    // with p = C(6,2)/C(14,10) = 15/1001, over the 1% asked.
    expect(moreErrorsByChance(8, 10, 8, 14)).toBeCloseTo(15 / 1001, 10);
    expect(versionSplitOf([version('v1', 4, 0, 20, -30), version('v2', 10, 8, 20, -2)])).toBeNull();
    // Alike rates on both.
    expect(versionSplitOf([version('v1', 50, 2, 20, -30), version('v2', 20, 1, 20, -2)])).toBeNull();
  });

  it('weighs few spans of the older version by the test alone for errors, and not at all for latency', () => {
    // A canary's calls in a ranking's window (canary-release seed 148, decision 034): 8 of 8 fail from the new version,
    // 0 of 4 from the older one in the same minutes. Luck would put all 8 failures on the new version with p = 1/C(12,4).
    expect(moreErrorsByChance(8, 8, 8, 12)).toBeCloseTo(1 / 495, 10);
    const split = versionSplitOf([version('v1.30.10', 4, 0, 20, -30), version('v1.30.11', 8, 8, 20, -2)]);
    expect(split?.worse.version).toBe('v1.30.11');
    expect(split?.symptom).toBe('errors');
    expect(split?.strength).toBe(1);
    // Two good spans against 8 failed of 8: p = 1/45, not enough.
    expect(versionSplitOf([version('v1', 2, 0, 20, -30), version('v2', 8, 8, 20, -2)])).toBeNull();
    // Four spans are no latency baseline: twenty times slower on the newer version says nothing against them.
    expect(versionSplitOf([version('v1', 4, 0, 20, -30), version('v2', 10, 0, 400, -2)])).toBeNull();
    expect(versionSplitOf([version('v1', 5, 0, 20, -30), version('v2', 10, 0, 400, -2)])?.symptom).toBe('latency');
  });

  it('names a newer version that is clearly slower, allowing for the spread of few spans', () => {
    const slow = versionSplitOf([version('v1', 30, 0, 20, -30), version('v2', 10, 0, 400, -2)]);
    expect(slow?.symptom).toBe('latency');
    expect(slow?.strength).toBe(1);
    // Twice as slow on three spans is within what so few spans scatter.
    expect(versionSplitOf([version('v1', 30, 0, 20, -30), version('v2', 3, 0, 40, -2)])).toBeNull();
  });
});

// checkout's new code sends payments what it cannot take: payments' own spans fail, and so do checkout's calls to it,
// while refunds' calls to payments succeed.
const graph = buildDependencyGraph([edge('frontend', 'checkout'), edge('checkout', 'payments'), edge('refunds', 'payments'), edge('payments', 'ledger-db', 100, true)]);
const current: TestEdge[] = [
  { caller: 'frontend', callee: 'checkout', stats: stats(200, 24, 60) },
  { caller: 'checkout', callee: 'payments', stats: stats(200, 40, 30) },
  { caller: 'refunds', callee: 'payments', stats: stats(50, 0, 30) },
  { caller: 'payments', callee: 'ledger-db', stats: stats(250, 0, 5) },
];
const baseline: TestEdge[] = current.map((e) => ({ ...e, stats: stats(e.stats.calls, 0, e.stats.latencySumMs / e.stats.calls) }));
const own = { payments: { now: { ...stats(250, 40, 30), originErrors: 40 }, base: { ...stats(250, 0, 30), originErrors: 0 } } };
const alerts = [alert('payments', 'HighErrorRate', 0), alert('checkout', 'HighErrorRate', 1), alert('frontend', 'HighErrorRate', 2)];

describe('ranking with a version split', () => {
  const canary = { checkout: [version('v2.14.0', 150, 1, 50, -40), version('v2.14.1', 50, 30, 55, -3)] };
  const input = (partial: Partial<RankingInput>): RankingInput => ({ alerts, graph, traceSignals: signalsFrom(current, baseline, own), changes: [], history: [], onset: T0, ...partial });

  it('blames the failing dependency when no version tells the caller apart', () => {
    const ranked = rankRootCauses(input({}));
    expect(ranked[0]!.service).toBe('payments');
  });

  it("blames the caller's newer version when the dependency fails only for that caller, and says why", () => {
    const ranked = rankRootCauses(input({ traceSignals: signalsFrom(current, baseline, own, canary) }));
    expect(ranked[0]!.service).toBe('checkout');
    const payments = ranked.find((r) => r.service === 'payments')!;
    expect(ranked[0]!.score).toBeGreaterThan(payments.score + 0.05);
    expect(ranked[0]!.evidence.find((e) => e.kind === 'version')!.detail).toBe(
      "checkout: version v2.14.1, serving since 08:57, fails 60% of its 50 spans; v2.14.0 beside it fails 1% of 150 spans in the same minutes, so the failure is in the newer version's own code; payments fails only on what checkout calls it with",
    );
    // payments is below checkout, not among the services that depend on it.
    expect(ranked[0]!.evidence.find((e) => e.kind === 'topology')!.detail).toMatch(/^checkout: 1 of 3 anomalous services depend on it/);
  });

  it('counts the newer version as a deploy the traces saw: as much as a reported one when no deploy was reported', () => {
    const seen = rankRootCauses(input({ traceSignals: signalsFrom(current, baseline, own, canary) })).find((r) => r.service === 'checkout')!;
    const reported = rankRootCauses(input({ traceSignals: signalsFrom(current, baseline, own, canary), changes: [deploy('checkout', -3, 'v2.14.1')] })).find((r) => r.service === 'checkout')!;
    expect(reported.evidence.map((e) => e.kind)).toContain('deploy');
    expect(seen.evidence.map((e) => e.kind)).not.toContain('deploy');
    expect(seen.score).toBeCloseTo(reported.score, 3);
  });

  it('takes nothing from the dependency when calls from another caller fail too', () => {
    const failingForAll = current.map((e) => (e.caller === 'refunds' ? { ...e, stats: stats(50, 10, 30) } : e));
    const withRefunds = [...alerts, alert('refunds', 'HighErrorRate', 1)];
    const score = (versions: Record<string, VersionWindow[]>) =>
      rankRootCauses(input({ alerts: withRefunds, traceSignals: signalsFrom(failingForAll, baseline, own, versions) })).find((r) => r.service === 'payments')!.score;
    const exonerated = rankRootCauses(input({ traceSignals: signalsFrom(current, baseline, own, canary) })).find((r) => r.service === 'payments')!.score;
    expect(score(canary)).toBe(score({}));
    expect(score(canary)).toBeGreaterThan(exonerated + 0.1);
  });
});

describe('ranking a dependency that fails only for a caller that just deployed (decision 028)', () => {
  // The same calls, with no versions on the spans: only checkout's deploy hook says its code changed.
  const rank = (changes: RankingInput['changes'], edges: TestEdge[] = current) =>
    rankRootCauses({ alerts, graph, traceSignals: signalsFrom(edges, baseline, own), changes, history: [], onset: T0 });

  it("blames the caller's deploy when another caller's calls still succeed, and says why", () => {
    const ranked = rank([deploy('checkout', -3, 'v2.14.1')]);
    expect(ranked[0]!.service).toBe('checkout');
    expect(ranked[0]!.evidence.find((e) => e.kind === 'deploy')!.detail).toBe(
      'checkout deployed v2.14.1 (from v1) 3 min before the first alert; payments fails only on what checkout calls it with',
    );
    // Its failing dependency is its own doing, so it is not that dependency's victim.
    expect(ranked[0]!.evidence.find((e) => e.kind === 'topology')!.detail).toMatch(/^checkout: 1 of 3 anomalous services depend on it; its own dependencies look healthy/);
    expect(ranked[1]!.service).toBe('payments');
  });

  it('moves less of the blame the longer before the onset the deploy was', () => {
    const checkout = (minutes: number) => rank([deploy('checkout', minutes)]).find((r) => r.service === 'checkout')!.score;
    expect(checkout(-3)).toBeGreaterThan(checkout(-40));
    expect(rank([deploy('checkout', -40)])[0]!.service).toBe('payments');
  });

  it('keeps the dependency first when it changed too, when no other caller shows it healthy, or when the deploy came after the onset', () => {
    expect(rank([deploy('checkout', -3), deploy('payments', -10)])[0]!.service).toBe('payments');
    // Three calls from refunds cannot show payments healthy for other callers.
    const fewFromRefunds = current.map((e) => (e.caller === 'refunds' ? { ...e, stats: stats(3, 0, 30) } : e));
    expect(rank([deploy('checkout', -3)], fewFromRefunds)[0]!.service).toBe('payments');
    const after = rank([deploy('checkout', 2)]);
    expect(after[0]!.service).toBe('payments');
    expect(after[0]!.evidence.some((e) => e.detail.includes('fails only on what'))).toBe(false);
  });

  it('makes that caller a candidate when only the dependency alerts', () => {
    const paymentsOnly = [alert('payments', 'HighErrorRate', 0)];
    const ranked = (changes: RankingInput['changes']) =>
      rankRootCauses({ alerts: paymentsOnly, graph, traceSignals: signalsFrom(current, baseline, own), changes, history: [], onset: T0 }).map((r) => r.service);
    // A caller is no candidate of a failure below it, unless the failure follows its new code.
    expect(ranked([])).not.toContain('checkout');
    expect(ranked([deploy('checkout', -3)])).toContain('checkout');
  });
});

describe("a dependency failing only on the calls of its caller's newer version (decision 031)", () => {
  // No deploy hook, no split in checkout's own spans, and too few calls from refunds to show payments healthy for
  // another caller: only checkout's calls into payments, by checkout's version, tell the new code apart.
  const fewFromRefunds = current.map((e) => (e.caller === 'refunds' ? { ...e, stats: stats(3, 0, 30) } : e));
  const canaryCalls = (older: [number, number], newer: [number, number]) => ({
    'checkout→payments': [version('v2.14.0', older[0], older[1], 30, -40), version('v2.14.1', newer[0], newer[1], 30, -3)],
  });
  const rank = (edgeVersions: Record<string, VersionWindow[]>, edges: TestEdge[] = fewFromRefunds) =>
    rankRootCauses({ alerts, graph, traceSignals: signalsFrom(edges, baseline, own, {}, edgeVersions), changes: [], history: [], onset: T0 });

  it("blames the caller's newer version when its calls fail beside the older version's succeeding, and says why", () => {
    expect(rank({})[0]!.service).toBe('payments');
    const ranked = rank(canaryCalls([160, 0], [40, 40]));
    expect(ranked[0]!.service).toBe('checkout');
    expect(ranked[1]!.service).toBe('payments');
    expect(ranked[0]!.score).toBeGreaterThan(ranked[1]!.score + 0.1);
    expect(ranked[0]!.evidence.find((e) => e.kind === 'version')!.detail).toBe(
      'payments fails 100% of 40 calls from checkout v2.14.1 (calling since 08:57) and 0% of 160 calls from v2.14.0 in the same minutes: it fails on what the new version sends it',
    );
    // Its failing dependency is its own doing, so it is not that dependency's victim.
    expect(ranked[0]!.evidence.find((e) => e.kind === 'topology')!.detail).toMatch(/^checkout: 1 of 3 anomalous services depend on it; its own dependencies look healthy/);
  });

  it('makes that caller a candidate, and first, when only the dependency alerts', () => {
    const paymentsOnly = [alert('payments', 'HighErrorRate', 0)];
    const ranked = (edgeVersions: Record<string, VersionWindow[]>) =>
      rankRootCauses({ alerts: paymentsOnly, graph, traceSignals: signalsFrom(fewFromRefunds, baseline, own, {}, edgeVersions), changes: [], history: [], onset: T0 }).map((r) => r.service);
    expect(ranked({})).not.toContain('checkout');
    expect(ranked(canaryCalls([160, 0], [40, 40]))[0]).toBe('checkout');
  });

  it("keeps the dependency first when the older version's calls fail as much, or the older version made too few to tell", () => {
    expect(rank(canaryCalls([160, 32], [40, 8]))[0]!.service).toBe('payments');
    // Two good calls against 8 failed: p = 1/45.
    expect(rank(canaryCalls([2, 0], [8, 8]))[0]!.service).toBe('payments');
  });

  // refunds' calls into payments fail too: payments fails for more than checkout's new code (decision 035).
  const failingForRefunds = (errors: number): TestEdge[] => current.map((e) => (e.caller === 'refunds' ? { ...e, stats: stats(50, errors, 30) } : e));

  it("blames the caller's newer version for its share of the failed calls when another caller's calls fail too", () => {
    const blamed = (errors: number) => rankRootCauses({ alerts, graph, traceSignals: signalsFrom(failingForRefunds(errors), baseline, own, {}, canaryCalls([160, 0], [40, 40])), changes: [], history: [], onset: T0 });
    // 40 of the 50 failed calls into payments come from checkout v2.14.1.
    const ranked = blamed(10);
    expect(ranked[0]!.service).toBe('checkout');
    expect(ranked[0]!.evidence.find((e) => e.kind === 'version')!.detail).toMatch(
      /^payments fails 100% of 40 calls from checkout v2\.14\.1 .* it fails on what the new version sends it; calls from refunds fail too, so this accounts for 80% of its failed calls$/,
    );
    const payments = ranked.find((r) => r.service === 'payments')!;
    // payments keeps a fifth of its failure as its own: above what it keeps when checkout's calls alone fail.
    const alone = rank(canaryCalls([160, 0], [40, 40])).find((r) => r.service === 'payments')!;
    expect(payments.score).toBeGreaterThan(alone.score);
    // refunds failing as often as checkout: half the failure is payments' own, and it stays first.
    expect(blamed(40)[0]!.service).toBe('payments');
  });

  it('blames no caller when the calls of two callers split by their versions', () => {
    const both = { ...canaryCalls([160, 0], [40, 40]), 'refunds→payments': [version('v3.1.0', 40, 0, 30, -40), version('v3.2.0', 10, 10, 30, -3)] };
    const ranked = rankRootCauses({ alerts, graph, traceSignals: signalsFrom(failingForRefunds(10), baseline, own, {}, both), changes: [], history: [], onset: T0 });
    expect(ranked[0]!.service).toBe('payments');
    expect(ranked[0]!.evidence.some((e) => e.kind === 'version')).toBe(false);
  });

  it('blames the newer version on few calls of the older one when the test says they are not luck', () => {
    // Four good calls against 40 failed in the same minutes: p = 1/C(44,4), about 7 in a million.
    const ranked = rank(canaryCalls([4, 0], [40, 40]));
    expect(ranked[0]!.service).toBe('checkout');
    expect(ranked[0]!.evidence.find((e) => e.kind === 'version')!.detail).toMatch(/^payments fails 100% of 40 calls from checkout v2\.14\.1 .* and 0% of 4 calls from v2\.14\.0 in the same minutes/);
  });
});

describe('without calls into a dependency that tell, a caller that deployed and failed first (decision 030)', () => {
  // checkout calls payments; no spans judge any call. checkout fails from minute 0, payments from minute 1.
  const wiring = buildDependencyGraph([edge('frontend', 'checkout'), edge('checkout', 'payments'), edge('refunds', 'payments')]);
  const failing = [alert('checkout', 'HighErrorRate', 0), alert('payments', 'HighErrorRate', 1)];
  const rank = (changes: RankingInput['changes'], alerts = failing) =>
    rankRootCauses({ alerts, graph: wiring, traceSignals: new Map(), changes, history: [], onset: Math.min(...alerts.map((a) => a.startsAt)) });
  const first = (changes: RankingInput['changes'], alerts = failing) => rank(changes, alerts)[0]!.service;

  it("reads the dependency's errors as possibly the new code's doing, and says how little is known", () => {
    expect(first([])).toBe('payments');
    const ranked = rank([deploy('checkout', -4, 'v2.14.1')]);
    expect(ranked[0]!.service).toBe('checkout');
    expect(ranked[0]!.evidence.find((e) => e.kind === 'deploy')!.detail).toBe(
      'checkout deployed v2.14.1 (from v1) 4 min before the first alert; payments, which it calls, began to fail no earlier, with no deploy of its own: it may fail on what checkout sends it',
    );
    // Only half the deploy's strength moves: the dependency stays close behind, unlike when calls show it (decision 028).
    expect(ranked[1]!.service).toBe('payments');
    expect(ranked[0]!.score - ranked[1]!.score).toBeLessThan(0.15);
    expect(first([deploy('checkout', -40)])).toBe('payments');
  });

  it('leaves the dependency first when it was deployed too, only slowed, failed first, fails for another caller too, its caller erred late, or the deploy came after', () => {
    const checkoutDeployed = deploy('checkout', -4);
    expect(first([checkoutDeployed, deploy('payments', -10)])).toBe('payments');
    // New code sends a dependency what it cannot take: it answers with errors, not slowly.
    expect(first([checkoutDeployed], [alert('checkout', 'HighErrorRate', 0), alert('payments', 'HighLatency', 1)])).toBe('payments');
    expect(first([checkoutDeployed], [alert('checkout', 'HighErrorRate', 1), alert('payments', 'HighErrorRate', 0)])).toBe('payments');
    expect(first([checkoutDeployed], [...failing, alert('refunds', 'HighErrorRate', 1)])).toBe('payments');
    // checkout slowed first; its errors began after payments': its new code's requests did not fail from the start.
    expect(first([checkoutDeployed], [alert('checkout', 'HighLatency', 0), alert('payments', 'HighErrorRate', 1), alert('checkout', 'HighErrorRate', 2)])).toBe('payments');
    const after = rank([deploy('checkout', 2)]);
    expect(after[0]!.service).toBe('payments');
    expect(after.some((r) => r.evidence.some((e) => e.detail.includes('may fail on what')))).toBe(false);
  });
});

describe('a deploy reported after the onset whose version the spans show serving only after it (decision 033)', () => {
  // payments fails on its own; checkout reports a deploy 3 min after the first alert.
  const input = (versions: Record<string, VersionWindow[]> = {}, incidentAlerts = alerts): RankingInput => ({
    alerts: incidentAlerts,
    graph,
    traceSignals: signalsFrom(current, baseline, own, versions),
    changes: [deploy('checkout', 3, 'v2.14.1')],
    history: [],
    onset: T0,
  });
  const checkout = (ranked: ReturnType<typeof rankRootCauses>) => ranked.find((r) => r.service === 'checkout')!;
  const deployLine = (ranked: ReturnType<typeof rankRootCauses>) => checkout(ranked).evidence.find((e) => e.kind === 'deploy')!.detail;
  // The same spans on both versions: no split, only when each began to serve.
  const servedFrom = (minute: number) => ({ checkout: [version('v2.14.0', 150, 18, 60, -40), version('v2.14.1', 50, 6, 60, minute)] });

  it('clears the deploy when its version first served after the alerts began, and says why', () => {
    const unknown = rankRootCauses(input());
    const later = rankRootCauses(input(servedFrom(3)));
    expect(later[0]!.service).toBe('payments');
    // The deploy counted at half its strength (w.change 0.15 × 0.5) and now counts nothing; nothing else moves.
    expect(checkout(unknown).score - checkout(later).score).toBeCloseTo(0.075, 3);
    expect(deployLine(later)).toBe('checkout deployed v2.14.1 (from v1) 3 min after the first alert; its spans show v2.14.1 serving from 09:03 only, after every alert of the incident began, so it caused none of them');
  });

  it('keeps it at half when the version served before an alert began, or the spans name no such version', () => {
    const unknown = checkout(rankRootCauses(input())).score;
    expect(checkout(rankRootCauses(input(servedFrom(0)))).score).toBe(unknown);
    expect(checkout(rankRootCauses(input(servedFrom(-2)))).score).toBe(unknown);
    // An alert that began after the new version served may be its doing, though the incident's first alert was not.
    const lateAlert = [...alerts, alert('frontend', 'HighLatency', 5)];
    expect(checkout(rankRootCauses(input(servedFrom(3), lateAlert))).score).toBe(checkout(rankRootCauses(input({}, lateAlert))).score);
    expect(checkout(rankRootCauses(input({ checkout: [version('v2.13.0', 150, 18, 60, -40), version('v2.14.0', 50, 6, 60, 3)] }))).score).toBe(unknown);
    expect(deployLine(rankRootCauses(input(servedFrom(-2))))).toBe('checkout deployed v2.14.1 (from v1) 3 min after the first alert');
  });
});
