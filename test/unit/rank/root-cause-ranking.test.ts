import { describe, it, expect } from 'vitest';
import { buildDependencyGraph } from '../../../src/topology/dependency-graph.js';
import { rankRootCauses } from '../../../src/rank/root-cause-ranking.js';
import type { RankingInput } from '../../../src/rank/ranking-input.js';
import { callsTell, compareCalls } from '../../../src/rank/trace-signals.js';
import { describePosition } from '../../../src/rank/evidence-text.js';
import { signalsFrom, type TestEdge } from '../../support/trace-windows.js';
import { alert, deploy, edge, stats, T0 } from '../../support/alerts.js';
import type { Change } from '../../../src/model/change.js';

const topology = [edge('frontend', 'checkout'), edge('frontend', 'cart'), edge('checkout', 'payments'), edge('checkout', 'orders-db', 100, true), edge('cart', 'orders-db', 100, true)];
const graph = buildDependencyGraph(topology);

function windows(current: TestEdge[], baseline: TestEdge[] = []) {
  return signalsFrom(current, baseline);
}

function input(partial: Partial<RankingInput>): RankingInput {
  return { alerts: [], graph, traceSignals: new Map(), changes: [], history: [], onset: T0, ...partial };
}

describe('comparing calls to a baseline', () => {
  it('flags a clear error-rate rise and a latency rise, not noise', () => {
    const c = compareCalls(stats(100, 40, 20), stats(100, 1, 20));
    expect(c.errorAnomaly).toBe(1);
    expect(c.latencyAnomaly).toBe(0);
    expect(compareCalls(stats(100, 2, 400), stats(100, 1, 50)).latencyAnomaly).toBe(1);
    expect(compareCalls(stats(100, 3, 22), stats(100, 2, 20)).errorAnomaly + compareCalls(stats(100, 3, 22), stats(100, 2, 20)).latencyAnomaly).toBe(0);
  });

  it('lets fewer than five calls show a clear failure, never health (decision 015)', () => {
    // Three of three calls failing is a failure even against the assumed background; one of three, or one of one, is not.
    expect(compareCalls(stats(3, 3, 20), undefined).errorAnomaly).toBe(1);
    expect(compareCalls(stats(3, 1, 20), undefined).errorAnomaly).toBe(0);
    expect(compareCalls(stats(1, 1, 20), undefined).errorAnomaly).toBe(0);
    // Three calls of a second where three took 25 ms: slow beyond what so few calls can scatter; 100 ms is not.
    const slow = compareCalls(stats(3, 0, 1000), stats(3, 0, 25));
    expect(slow.latencyAnomaly).toBe(1);
    expect(slow.meanLatencyBase).toBe(25);
    expect(compareCalls(stats(3, 0, 100), stats(3, 0, 25)).latencyAnomaly).toBe(0);
    // What few calls can say is only ever a failure: healthy ones leave the edge unmeasured.
    expect(callsTell(slow)).toBe(true);
    expect(callsTell(compareCalls(stats(3, 0, 20), stats(100, 0, 20)))).toBe(false);
    expect(callsTell(compareCalls(stats(4, 0, 80), stats(100, 0, 20)))).toBe(false);
    expect(callsTell(compareCalls(stats(5, 0, 20), stats(100, 0, 20)))).toBe(true);
  });
});

describe('ranking root causes', () => {
  it('puts the deepest failing service of an error cascade first, its callers after', () => {
    const ranked = rankRootCauses(input({ alerts: [alert('frontend', 'E', 2), alert('checkout', 'E', 1), alert('payments', 'E', 0)] }));
    expect(ranked.map((r) => r.service).slice(0, 3)).toEqual(['payments', 'checkout', 'frontend']);
    expect(ranked[0]!.score).toBeGreaterThan(ranked[1]!.score + 0.1);
    expect(ranked[0]!.evidence.map((e) => e.kind)).toContain('alerts');
  });

  it('finds a silent database from its callers\' failing client calls, with evidence in words', () => {
    const signals = windows(
      [{ caller: 'checkout', callee: 'orders-db', stats: stats(100, 41, 30) }, { caller: 'cart', callee: 'orders-db', stats: stats(100, 41, 30) }, { caller: 'frontend', callee: 'checkout', stats: stats(100, 40, 50) }],
      [{ caller: 'checkout', callee: 'orders-db', stats: stats(100, 0, 30) }, { caller: 'cart', callee: 'orders-db', stats: stats(100, 0, 30) }],
    );
    const ranked = rankRootCauses(input({ alerts: [alert('checkout', 'E', 0), alert('cart', 'E', 1), alert('frontend', 'E', 1)], traceSignals: signals }));
    expect(ranked[0]!.service).toBe('orders-db');
    const traceEvidence = ranked[0]!.evidence.find((e) => e.kind === 'traces')!.detail;
    expect(traceEvidence).toBe('orders-db: 41% of 200 client calls from cart, checkout fail (was 0%); no alert of its own');
  });

  it('finds a silent slow service from the three sampled calls that reached it (decision 015)', () => {
    // Sparse sampling: checkout → payments carried three calls before the incident and three during it.
    const signals = windows(
      [{ caller: 'frontend', callee: 'checkout', stats: stats(4, 0, 1100) }, { caller: 'checkout', callee: 'payments', stats: stats(3, 0, 1000) }],
      [{ caller: 'frontend', callee: 'checkout', stats: stats(4, 0, 60) }, { caller: 'checkout', callee: 'payments', stats: stats(3, 0, 25) }],
    );
    const ranked = rankRootCauses(input({ alerts: [alert('checkout', 'L', 0), alert('frontend', 'L', 1)], traceSignals: signals }));
    expect(ranked[0]!.service).toBe('payments');
    expect(ranked[0]!.evidence.find((e) => e.kind === 'traces')!.detail).toBe('payments: calls from checkout take 1000 ms on average (was 25 ms; 3 sampled calls); no alert of its own');
  });

  it('credits a deploy shortly before onset and ignores a deploy elsewhere', () => {
    const alerts = [alert('checkout', 'E', 1), alert('payments', 'E', 0)]; // payments failed first: not checkout's doing (decision 030)
    const without = rankRootCauses(input({ alerts }));
    const withDeploy = rankRootCauses(input({ alerts, changes: [deploy('checkout', -3), deploy('search', -2)] }));
    const score = (r: typeof without, s: string) => r.find((x) => x.service === s)?.score ?? 0;
    expect(score(withDeploy, 'checkout')).toBeGreaterThan(score(without, 'checkout') + 0.1);
    expect(withDeploy.find((r) => r.service === 'search')).toBeUndefined();
    expect(withDeploy.find((r) => r.service === 'checkout')!.evidence.find((e) => e.kind === 'deploy')!.detail).toBe('checkout deployed v2 (from v1) 3 min before the first alert');
  });

  it('credits a failed rollout half as much as a completed one, and says it failed', () => {
    const alerts = [alert('checkout', 'E', 1), alert('payments', 'E', 0)]; // payments failed first: not checkout's doing (decision 030)
    const score = (changes: Change[]) => rankRootCauses(input({ alerts, changes })).find((x) => x.service === 'checkout')!;
    const none = score([]).score;
    const completed = score([deploy('checkout', -3)]).score;
    const failed = score([{ ...deploy('checkout', -3), failed: true }]);
    // Scores are rounded to 0.001: the deploy's part, halved, within that.
    expect(Math.abs(failed.score - none - (completed - none) / 2)).toBeLessThanOrEqual(0.001);
    expect(failed.evidence.find((e) => e.kind === 'deploy')!.detail).toBe('checkout tried to deploy v2 (from v1) 3 min before the first alert; the rollout failed');
  });

  it('names the latest of a service\'s deploys from the lookback to just after the onset, and none outside it', () => {
    const alerts = [alert('checkout', 'E', 1), alert('payments', 'E', 0)]; // payments failed first: not checkout's doing (decision 030)
    const changes = [deploy('checkout', -50, 'v3'), deploy('checkout', -3, 'v4'), deploy('checkout', -40, 'v5'), deploy('checkout', 12, 'v6'), deploy('payments', -61, 'v7')];
    const ranked = rankRootCauses(input({ alerts, changes }));
    const deployEvidence = (s: string) => ranked.find((r) => r.service === s)!.evidence.find((e) => e.kind === 'deploy')?.detail;
    expect(deployEvidence('checkout')).toBe('checkout deployed v4 (from v1) 3 min before the first alert');
    expect(deployEvidence('payments')).toBeUndefined(); // 61 min before: outside the 60-minute lookback
  });

  it('lets history decide between dependencies that topology cannot tell apart', () => {
    const g = buildDependencyGraph([edge('api', 'db-a', 100, true), edge('api', 'db-b', 100, true)]);
    const alerts = [alert('api', 'E', 0)];
    const ranked = rankRootCauses({ ...input({ alerts }), graph: g, history: [{ id: 'INC-7', similarity: 0.9, rootCause: 'db-b' }] });
    const names = ranked.map((r) => r.service);
    expect(names.indexOf('db-b')).toBeLessThan(names.indexOf('db-a'));
    expect(ranked.find((r) => r.service === 'db-b')!.evidence.find((e) => e.kind === 'history')!.detail).toBe('matches INC-7 (0.90); root cause was db-b');
  });

  it('puts a service whose own resources are saturated ahead of a slow dependency it may be overloading', () => {
    const symptoms = [alert('frontend', 'HighLatency', 1), alert('checkout', 'HighLatency', 1), alert('payments', 'HighLatency', 1)];
    // Latency alone: the deepest slow service is first, and checkout looks like its victim.
    expect(rankRootCauses(input({ alerts: symptoms }))[0]!.service).toBe('payments');
    // checkout's CPU is saturated: payments cannot explain that, and checkout is no mere victim of it.
    const ranked = rankRootCauses(input({ alerts: [...symptoms, alert('checkout', 'ContainerCpuUsageHigh', 0, { severity: 'warning' })] }));
    expect(ranked.map((r) => r.service).slice(0, 2)).toEqual(['checkout', 'payments']);
    expect(ranked[0]!.evidence.find((e) => e.kind === 'saturation')!.detail).toBe(
      `checkout: its own resources are saturated (ContainerCpuUsageHigh, since ${new Date(T0).toISOString().slice(11, 16)}), so the trouble likely starts here`,
    );
    // The same alert declared by label, under a name that says nothing.
    const labelled = alert('checkout', 'PodAlert', 0, { severity: 'warning', labels: { alertname: 'PodAlert', service: 'checkout', signal: 'saturation' } });
    expect(rankRootCauses(input({ alerts: [...symptoms, labelled] }))[0]!.service).toBe('checkout');
    // Its process down (unreachable to its scraper) says the same, in its own words.
    const down = rankRootCauses(input({ alerts: [...symptoms, alert('checkout', 'TargetDown', 0, { severity: 'warning' })] }));
    expect(down[0]!.service).toBe('checkout');
    expect(down[0]!.evidence.find((e) => e.kind === 'saturation')!.detail).toBe(
      `checkout: its own process is down (TargetDown, since ${new Date(T0).toISOString().slice(11, 16)}), so the trouble likely starts here`,
    );
  });

  it('does not blame a database for calls that look slow only from a caller short of CPU', () => {
    // checkout's calls to orders-db take 400 ms (was 30), all of checkout's own slowdown; cart's calls to it are as
    // fast as ever.
    const signals = windows(
      [{ caller: 'checkout', callee: 'orders-db', stats: stats(100, 0, 400) }, { caller: 'cart', callee: 'orders-db', stats: stats(100, 0, 30) }, { caller: 'frontend', callee: 'checkout', stats: stats(100, 0, 430) }],
      [{ caller: 'checkout', callee: 'orders-db', stats: stats(100, 0, 30) }, { caller: 'cart', callee: 'orders-db', stats: stats(100, 0, 30) }, { caller: 'frontend', callee: 'checkout', stats: stats(100, 0, 60) }],
    );
    const symptoms = [alert('frontend', 'HighLatency', 1), alert('checkout', 'HighLatency', 1)];
    const db = (ranked: ReturnType<typeof rankRootCauses>) => ranked.find((r) => r.service === 'orders-db')!;
    // Without the CPU alert the database's slow calls from checkout make it the likely root.
    const unsaturated = rankRootCauses(input({ alerts: symptoms, traceSignals: signals }));
    expect(unsaturated[0]!.service).toBe('orders-db');
    // checkout's CPU is saturated: its slow client calls say little about orders-db, and checkout leads clearly.
    const ranked = rankRootCauses(input({ alerts: [...symptoms, alert('checkout', 'CPUThrottlingHigh', 0, { severity: 'critical' })], traceSignals: signals }));
    expect(ranked[0]!.service).toBe('checkout');
    expect(db(ranked).score).toBeLessThan(db(unsaturated).score - 0.1);
  });

  it('does not credit a dependency nobody measured with a failure its caller\'s failing calls already explain (decision 016)', () => {
    // checkout and billing alert; both call ledger-db, whose calls no trace sampled. checkout also calls payments.
    const g = buildDependencyGraph([edge('checkout', 'payments'), edge('checkout', 'ledger-db', 100, true), edge('billing', 'ledger-db', 100, true)]);
    const rank = (paymentErrors: number) =>
      rankRootCauses({
        ...input({
          alerts: [alert('checkout', 'HighErrorRate', 0), alert('billing', 'HighErrorRate', 0.5)],
          traceSignals: windows([{ caller: 'checkout', callee: 'payments', stats: stats(100, paymentErrors, 30) }], [{ caller: 'checkout', callee: 'payments', stats: stats(100, 0, 30) }]),
        }),
        graph: g,
      });
    const score = (ranked: ReturnType<typeof rank>, service: string) => ranked.find((r) => r.service === service)!.score;
    const topology = (ranked: ReturnType<typeof rank>, service: string) => ranked.find((r) => r.service === service)!.evidence.find((e) => e.kind === 'topology')!.detail;
    // checkout's calls to payments fail: that explains checkout's alert; ledger-db could explain only billing's, and
    // as billing's only dependency it is as likely where that began as billing itself (decision 018, third addendum).
    const explained = rank(40);
    expect(score(explained, 'payments')).toBeGreaterThan(score(explained, 'ledger-db') + 0.1);
    expect(topology(explained, 'ledger-db')).toBe('ledger-db: 2 of 2 anomalous services depend on it (1 fails through calls to another dependency); its own dependencies look healthy');
    expect(explained.find((r) => r.service === 'ledger-db')!.evidence.map((e) => e.detail)).toContain(
      'ledger-db: billing fails, and ledger-db is the only dependency of billing with no alert and no calls that traces judge',
    );
    // Nothing measured fails: ledger-db, below both alerts, explains them both.
    const unexplained = rank(0);
    expect(score(unexplained, 'ledger-db')).toBeGreaterThan(score(unexplained, 'payments'));
    expect(topology(unexplained, 'ledger-db')).toBe('ledger-db: 2 of 2 anomalous services depend on it; its own dependencies look healthy');
    expect(score(explained, 'ledger-db')).toBeLessThan(score(unexplained, 'ledger-db') - 0.03);
  });

  it('says when the services above a suspect fail through other dependencies, or call it healthily', () => {
    expect(describePosition('ledger-db', 2, 3, '', 0, [], 0, 2)).toBe('ledger-db: 2 of 3 anomalous services depend on it, but they fail through calls to other dependencies; its own dependencies look healthy');
    expect(describePosition('ledger-db', 3, 3, '', 0, [], 1, 2)).toBe(
      'ledger-db: 3 of 3 anomalous services depend on it (the calls of 1 to it look healthy; 2 fail through calls to other dependencies); its own dependencies look healthy',
    );
    expect(describePosition('ledger-db', 2, 3, '', 0, [], 2, 0)).toBe('ledger-db: 2 of 3 anomalous services depend on it, but their calls to it look healthy, as do its own dependencies');
    // A suspect that may itself be a victim gets one "but", not two.
    expect(describePosition('invoices', 1, 3, 'pricing', 0.9, [], 0, 1)).toBe(
      'invoices: 1 of 3 anomalous services depend on it, but they fail through calls to other dependencies; its dependency pricing is anomalous too, so it may be a victim',
    );
    expect(describePosition('invoices', 1, 3, 'pricing', 0.9)).toBe('invoices: 1 of 3 anomalous services depend on it, but its dependency pricing is anomalous too, so it may be a victim');
  });

  it('follows calls that went bad past the candidate depth to the failing cache, and not healthy calls', () => {
    // Only web alerts; the cache that slows everything is four calls below it, one past the candidate depth.
    const chain = buildDependencyGraph([edge('web', 'api'), edge('api', 'catalog'), edge('catalog', 'pricing'), edge('pricing', 'price-cache', 100, true), edge('pricing', 'rates-db', 100, true)]);
    const slow = (caller: string, callee: string, ms: number) => ({ caller, callee, stats: stats(100, 0, ms) });
    const base = (caller: string, callee: string) => ({ caller, callee, stats: stats(100, 0, 20) });
    const signals = windows(
      [slow('web', 'api', 400), slow('api', 'catalog', 380), slow('catalog', 'pricing', 360), slow('pricing', 'price-cache', 300), slow('pricing', 'rates-db', 20)],
      [base('web', 'api'), base('api', 'catalog'), base('catalog', 'pricing'), base('pricing', 'price-cache'), base('pricing', 'rates-db')],
    );
    const ranked = rankRootCauses({ ...input({ alerts: [alert('web', 'HighLatency', 0)], traceSignals: signals }), graph: chain });
    expect(ranked[0]!.service).toBe('price-cache');
    expect(ranked[0]!.evidence.find((e) => e.kind === 'traces')!.detail).toBe('price-cache: calls from pricing take 300 ms on average (was 20 ms); no alert of its own');
    // pricing is seen as the cache's victim, not as a service whose dependencies look healthy.
    const pricing = ranked.find((r) => r.service === 'pricing')!;
    expect(pricing.score).toBeLessThan(ranked[0]!.score - 0.1);
    expect(pricing.evidence.map((e) => e.detail).join(' ')).not.toContain('look healthy');
    // The database below pricing answered as fast as ever: it is not a candidate.
    expect(ranked.find((r) => r.service === 'rates-db')).toBeUndefined();
  });

  it('does not credit a slow dependency with errors that begin in the caller\'s own spans', () => {
    // checkout fails (its own spans raise the errors: the calls it makes succeed) while search, below it, is slow.
    const g = buildDependencyGraph([edge('frontend', 'checkout'), edge('checkout', 'search')]);
    const signals = (ownErrors: number) =>
      signalsFrom(
        [{ caller: 'frontend', callee: 'checkout', stats: stats(100, 40, 30) }, { caller: 'checkout', callee: 'search', stats: stats(100, 0, 90) }],
        [{ caller: 'frontend', callee: 'checkout', stats: stats(100, 0, 30) }, { caller: 'checkout', callee: 'search', stats: stats(100, 0, 10) }],
        { checkout: { now: { calls: 100, errors: 40, latencySumMs: 3000, originErrors: ownErrors }, base: { calls: 100, errors: 0, latencySumMs: 3000, originErrors: 0 } } },
      );
    const rank = (ownErrors: number) => rankRootCauses({ ...input({ alerts: [alert('checkout', 'HighErrorRate', 0)], traceSignals: signals(ownErrors) }), graph: g });
    // Errors that came from below (none originate in checkout's spans): the slow dependency explains them.
    expect(rank(0)[0]!.service).toBe('search');
    const ranked = rank(40);
    expect(ranked[0]!.service).toBe('checkout');
    expect(ranked[0]!.evidence.find((e) => e.kind === 'error-origin')!.detail).toBe('checkout: 40% of its own spans fail while its callees succeed (was 0%)');
    expect(ranked[0]!.score).toBeGreaterThan(ranked.find((r) => r.service === 'search')!.score + 0.1);
    // Nor is checkout the slow dependency's victim: the errors are its own.
    expect(rank(0)[1]!.evidence[0]!.detail).toBe('checkout: its dependency search is anomalous too, so it may be a victim');
    expect(ranked[0]!.evidence.map((e) => e.detail).join(' ')).not.toContain('victim');
  });

  it('does not blame a dependency 14 ms slower for a caller 1.4 s slower: latency adds up along calls', () => {
    const g = buildDependencyGraph([edge('frontend', 'web'), edge('web', 'coupons'), edge('coupons', 'profile-redis', 100, true)]);
    const rank = (redisMs: number) =>
      rankRootCauses({
        ...input({
          alerts: [alert('web', 'HighLatency', 0)],
          traceSignals: windows(
            [{ caller: 'frontend', callee: 'web', stats: stats(100, 0, 1420) }, { caller: 'web', callee: 'coupons', stats: stats(100, 0, 1400) }, { caller: 'coupons', callee: 'profile-redis', stats: stats(100, 0, redisMs) }],
            [{ caller: 'frontend', callee: 'web', stats: stats(100, 0, 20) }, { caller: 'web', callee: 'coupons', stats: stats(100, 0, 12) }, { caller: 'coupons', callee: 'profile-redis', stats: stats(100, 0, 1) }],
          ),
        }),
        graph: g,
      });
    // The cache is 15 times slower than usual, but that is 14 ms of coupons' 1,388: the slowdown starts at coupons.
    const ranked = rank(15);
    expect(ranked[0]!.service).toBe('coupons');
    expect(ranked[0]!.score).toBeGreaterThan(ranked.find((r) => r.service === 'profile-redis')!.score + 0.1);
    expect(ranked[0]!.evidence.map((e) => e.detail).join(' ')).not.toContain('victim');
    // coupons slows by itself as much as with a cache that did not slow at all.
    const coupons = (r: ReturnType<typeof rank>) => r.find((c) => c.service === 'coupons')!.score;
    expect(Math.abs(coupons(ranked) - coupons(rank(1)))).toBeLessThan(0.02);
    // A cache that slowed by as much as coupons did is the root, and coupons its victim.
    const slowCache = rank(1300);
    expect(slowCache[0]!.service).toBe('profile-redis');
    expect(slowCache.find((r) => r.service === 'coupons')!.evidence[0]!.detail).toBe('coupons: 1 of 1 anomalous services depend on it, but its dependency profile-redis is anomalous too, so it may be a victim');
  });

  it('sees an alerting service as the victim of a callee whose calls slowed by all it slowed, however mildly (decision 039)', () => {
    // web, which nothing traced calls, alerts on latency; its calls to api, deployed 3 min before, take 50 ms longer
    // (100 against 50 ms: a mild ratio). web's own spans say how much longer it takes to answer.
    const g = buildDependencyGraph([edge('web', 'api'), edge('web', 'static')]);
    const rank = (webAddedMs: number | null, alertName = 'HighLatency') =>
      rankRootCauses({
        ...input({
          alerts: [alert('web', alertName, 0)],
          changes: [deploy('api', -3)],
          traceSignals: signalsFrom(
            [{ caller: 'web', callee: 'api', stats: stats(100, 0, 100) }, { caller: 'web', callee: 'static', stats: stats(100, 0, 5) }],
            [{ caller: 'web', callee: 'api', stats: stats(100, 0, 50) }, { caller: 'web', callee: 'static', stats: stats(100, 0, 5) }],
            webAddedMs === null
              ? {}
              : { web: { now: { calls: 100, errors: 0, latencySumMs: 100 * (90 + webAddedMs), originErrors: 0 }, base: { calls: 100, errors: 0, latencySumMs: 100 * 90, originErrors: 0 } } },
          ),
        }),
        graph: g,
      });
    const score = (ranked: ReturnType<typeof rank>, service: string) => ranked.find((r) => r.service === service)!.score;
    // Without web's own spans its slowdown is not measured: api's mild ratio alone makes web little of a victim.
    const unmeasured = rank(null);
    expect(unmeasured[0]!.service).toBe('web');
    // web answers 55 ms later, 50 of them waiting for api: web is api's victim, and api, deployed just before, the root.
    const waiting = rank(55);
    expect(waiting[0]!.service).toBe('api');
    expect(score(waiting, 'web')).toBeLessThan(score(unmeasured, 'web') - 0.15);
    expect(waiting.find((r) => r.service === 'web')!.evidence[0]!.detail).toBe('web: its dependency api is anomalous too, so it may be a victim');
    // web answers 600 ms later: api's 50 ms are a small part of it, and web leads as if api had not slowed.
    const slowItself = rank(600);
    expect(slowItself[0]!.service).toBe('web');
    expect(Math.abs(score(slowItself, 'web') - score(unmeasured, 'web'))).toBeLessThan(0.05);
    // Three calls along web → api cannot tell by themselves; api's calls from batch, as slow, stand in for them.
    const fewCalls = rankRootCauses({
      ...input({
        alerts: [alert('web', 'HighLatency', 0)],
        changes: [deploy('api', -3)],
        traceSignals: signalsFrom(
          [{ caller: 'web', callee: 'api', stats: stats(3, 0, 100) }, { caller: 'batch', callee: 'api', stats: stats(100, 0, 100) }],
          [{ caller: 'web', callee: 'api', stats: stats(3, 0, 50) }, { caller: 'batch', callee: 'api', stats: stats(100, 0, 50) }],
          { web: { now: { calls: 100, errors: 0, latencySumMs: 100 * 145, originErrors: 0 }, base: { calls: 100, errors: 0, latencySumMs: 100 * 90, originErrors: 0 } } },
        ),
      }),
      graph: buildDependencyGraph([edge('web', 'api'), edge('batch', 'api')]),
    });
    expect(fewCalls[0]!.service).toBe('api');
    expect(fewCalls.find((r) => r.service === 'web')!.evidence[0]!.detail).toBe('web: its dependency api is anomalous too, so it may be a victim');
    // web alerts on errors: calls that only slowed explain none of them (decision 027), however much of its slowdown.
    const failing = rank(55, 'HighErrorRate');
    expect(failing[0]!.service).toBe('web');
    expect(Math.abs(score(failing, 'web') - score(rank(null, 'HighErrorRate'), 'web'))).toBeLessThan(0.05);
  });

  it('credits a dependency with no more of the services above its caller than with the caller: a slowdown travels through it (decision 023)', () => {
    // users is starved: it answers 1.09 s later than usual, and reads its database late too, 0.56 s a call; orders and
    // frontend wait on users. What waits on users can have lost to users-db only what users lost to it.
    const g = buildDependencyGraph([edge('frontend', 'orders'), edge('frontend', 'users'), edge('orders', 'users'), edge('users', 'users-db', 100, true)]);
    const rank = (dbMs: number) =>
      rankRootCauses({
        ...input({
          alerts: [alert('users', 'HighLatency', 0), alert('frontend', 'HighLatency', 1), alert('orders', 'HighLatency', 1)],
          traceSignals: windows(
            [
              { caller: 'frontend', callee: 'orders', stats: stats(100, 0, 1130) },
              { caller: 'frontend', callee: 'users', stats: stats(100, 0, 1100) },
              { caller: 'orders', callee: 'users', stats: stats(100, 0, 1100) },
              { caller: 'users', callee: 'users-db', stats: stats(100, 0, dbMs) },
            ],
            [
              { caller: 'frontend', callee: 'orders', stats: stats(100, 0, 30) },
              { caller: 'frontend', callee: 'users', stats: stats(100, 0, 10) },
              { caller: 'orders', callee: 'users', stats: stats(100, 0, 10) },
              { caller: 'users', callee: 'users-db', stats: stats(100, 0, 4) },
            ],
          ),
        }),
        graph: g,
      });
    const score = (ranked: ReturnType<typeof rank>, service: string) => ranked.find((r) => r.service === service)!.score;
    const starved = rank(560);
    expect(starved[0]!.service).toBe('users');
    expect(score(starved, 'users')).toBeGreaterThan(score(starved, 'users-db') + 0.02);
    // A database that slowed by all of users' slowdown is the root, and users its victim.
    const slowDb = rank(1094);
    expect(slowDb[0]!.service).toBe('users-db');
    expect(score(slowDb, 'users-db')).toBeGreaterThan(score(slowDb, 'users') + 0.05);
  });

  it('credits a dependency only with the failures its callers\' calls to it show, unless traces show no failure at all', () => {
    // checkout and cart fail on their calls to the silent orders-db; mail, which both call, alerts on its own while
    // their calls to it stay as healthy as before.
    const g = buildDependencyGraph([edge('checkout', 'orders-db', 100, true), edge('cart', 'orders-db', 100, true), edge('checkout', 'mail'), edge('cart', 'mail')]);
    const alerts = [alert('checkout', 'HighErrorRate', 0), alert('cart', 'HighErrorRate', 1), alert('mail', 'HighLatency', 1)];
    const healthyMail = [{ caller: 'checkout', callee: 'mail', stats: stats(100, 1, 20) }, { caller: 'cart', callee: 'mail', stats: stats(100, 1, 20) }];
    const healthyDb = [{ caller: 'checkout', callee: 'orders-db', stats: stats(100, 1, 5) }, { caller: 'cart', callee: 'orders-db', stats: stats(100, 1, 5) }];
    const failingDb = [{ caller: 'checkout', callee: 'orders-db', stats: stats(100, 40, 5) }, { caller: 'cart', callee: 'orders-db', stats: stats(100, 40, 5) }];
    const ranked = rankRootCauses(input({ alerts, graph: g, traceSignals: windows([...failingDb, ...healthyMail], [...healthyDb, ...healthyMail]) }));
    const score = (r: typeof ranked, s: string) => r.find((c) => c.service === s)?.score ?? 0;
    expect(ranked[0]!.service).toBe('orders-db');
    // mail explains its own alert and barely its callers' errors: below the database by a wide margin.
    expect(score(ranked, 'orders-db') - score(ranked, 'mail')).toBeGreaterThan(0.15);
    expect(ranked.find((c) => c.service === 'mail')!.evidence[0]!.detail).toBe(
      'mail: 2 of 3 anomalous services depend on it, but their calls to it look healthy, as do its own dependencies',
    );
    expect(ranked[0]!.evidence[0]!.detail).toBe('orders-db: 2 of 3 anomalous services depend on it; its own dependencies look healthy');
    // The same wiring with every call healthy (the alerts watch what the spans do not show): topology decides, and
    // mail, alerting and below both failing callers, explains them all.
    const blind = rankRootCauses(input({ alerts, graph: g, traceSignals: windows([...healthyDb, ...healthyMail], [...healthyDb, ...healthyMail]) }));
    expect(blind[0]!.service).toBe('mail');
    expect(score(blind, 'mail') - score(blind, 'checkout')).toBeGreaterThan(0.15);
  });

  it('without calls to judge, weakens a path by each service on it that raised nothing (decision 017)', () => {
    // The site reaches two databases: orders-db through one service, stock-db through four. No spans tell how the
    // calls went; the site and both databases alert, nothing between them does.
    const g = buildDependencyGraph([
      edge('site', 'cart'),
      edge('cart', 'orders-db', 100, true),
      edge('site', 'gateway'),
      edge('gateway', 'updater'),
      edge('updater', 'worker'),
      edge('worker', 'queue'),
      edge('queue', 'stock-db', 100, true),
    ]);
    const alerts = [alert('site', 'HighLatency', 1), alert('orders-db', 'HighLatency', 0), alert('stock-db', 'HighLatency', 0)];
    const ranked = rankRootCauses(input({ alerts, graph: g }));
    const score = (r: typeof ranked, s: string) => r.find((c) => c.service === s)?.score ?? 0;
    // Each explains the site, through one silent service (0.8 of it) or four (0.8⁴ of it).
    expect(ranked.map((r) => r.service).slice(0, 2)).toEqual(['orders-db', 'stock-db']);
    expect(score(ranked, 'orders-db') - score(ranked, 'stock-db')).toBeGreaterThan(0.02);
    // No calls were judged, so however weak the path, none "look healthy": the evidence says only what depends on each.
    expect(ranked.find((c) => c.service === 'stock-db')!.evidence[0]!.detail).toBe('stock-db: 1 of 3 anomalous services depend on it; its own dependencies look healthy');
    // When the services on the longer way fail too, the failure visibly travelled it: stock-db explains them all.
    const chain = [...alerts, alert('gateway', 'HighLatency', 0), alert('updater', 'HighLatency', 0), alert('worker', 'HighLatency', 0), alert('queue', 'HighLatency', 0)];
    const loud = rankRootCauses(input({ alerts: chain, graph: g }));
    expect(loud[0]!.service).toBe('stock-db');
    expect(score(loud, 'stock-db') - score(loud, 'orders-db')).toBeGreaterThan(0.1);
  });

  it('without calls to judge, sees a silent dependency fail through the callers that fail above it (decision 018)', () => {
    // checkout and cart both fail and both call orders-db, which has no alert rules; no spans judge any call.
    const alerts = [alert('checkout', 'HighErrorRate', 0), alert('cart', 'HighErrorRate', 0), alert('frontend', 'HighErrorRate', 1)];
    const ranked = rankRootCauses(input({ alerts }));
    expect(ranked[0]!.service).toBe('orders-db');
    expect(ranked[0]!.evidence.map((e) => e.detail)).toContain('orders-db: 2 of the 2 services that call it fail; no alert of its own, and no traces judge its calls');
    // One failing caller is no sign that its dependency fails more than it does: checkout alone fails, and it explains
    // itself as well as orders-db does (the second addendum ranks orders-db behind it).
    const one = rankRootCauses(input({ alerts: [alert('checkout', 'HighErrorRate', 0), alert('frontend', 'HighErrorRate', 1)] }));
    expect(one[0]!.service).toBe('checkout');
    expect(one.find((c) => c.service === 'orders-db')!.evidence.some((e) => e.detail.includes('services that call it fail'))).toBe(false);
    // When the traces judge the calls, they decide: healthy calls to orders-db leave it a bystander.
    const healthyDb = [{ caller: 'checkout', callee: 'orders-db', stats: stats(100, 1, 5) }, { caller: 'cart', callee: 'orders-db', stats: stats(100, 1, 5) }];
    const failingEntry = [{ caller: 'frontend', callee: 'checkout', stats: stats(100, 40, 20) }, { caller: 'frontend', callee: 'cart', stats: stats(100, 40, 20) }];
    const judged = rankRootCauses(input({ alerts, traceSignals: windows([...healthyDb, ...failingEntry], [...healthyDb, { caller: 'frontend', callee: 'checkout', stats: stats(100, 0, 20) }, { caller: 'frontend', callee: 'cart', stats: stats(100, 0, 20) }]) }));
    expect(judged[0]!.service).not.toBe('orders-db');
  });

  it('judges a silent dependency by its callers when no calls into it tell, whatever calls elsewhere show (decision 018, third addendum)', () => {
    // Sampled traces caught frontend's calls to checkout and cart failing, and none of the calls to orders-db.
    const alerts = [alert('checkout', 'HighErrorRate', 0), alert('cart', 'HighErrorRate', 0), alert('frontend', 'HighErrorRate', 1)];
    const entryNow = [{ caller: 'frontend', callee: 'checkout', stats: stats(100, 40, 20) }, { caller: 'frontend', callee: 'cart', stats: stats(100, 40, 20) }];
    const entryBase = [{ caller: 'frontend', callee: 'checkout', stats: stats(100, 0, 20) }, { caller: 'frontend', callee: 'cart', stats: stats(100, 0, 20) }];
    const unseen = rankRootCauses(input({ alerts, traceSignals: windows(entryNow, entryBase) }));
    expect(unseen[0]!.service).toBe('orders-db');
    expect(unseen[0]!.evidence.map((e) => e.detail)).toContain('orders-db: 2 of the 2 services that call it fail; no alert of its own, and no traces judge its calls');
    // Calls into it that tell decide: five of them, healthy, leave it a bystander.
    const db = (now: ReturnType<typeof stats>) => [{ caller: 'checkout', callee: 'orders-db', stats: now }, { caller: 'cart', callee: 'orders-db', stats: now }];
    const seenHealthy = rankRootCauses(input({ alerts, traceSignals: windows([...entryNow, ...db(stats(5, 0, 5))], [...entryBase, ...db(stats(100, 0, 5))]) }));
    expect(seenHealthy[0]!.service).not.toBe('orders-db');
    expect(seenHealthy.find((c) => c.service === 'orders-db')?.evidence.some((e) => e.detail.includes('services that call it fail')) ?? false).toBe(false);
  });

  it('without calls to judge, does not count a caller that fails through another dependency that alerts (decision 018, addendum)', () => {
    // Three entry points each call chat, which alerts, and the same two services, which raised nothing. No spans judge
    // any call. The entry points fail through chat: the services beside it are no likelier to fail than before.
    const hub = buildDependencyGraph(['web', 'mobile', 'partner'].flatMap((entry) => [edge(entry, 'chat'), edge(entry, 'reports'), edge(entry, 'search')]));
    const alerts = [alert('chat', 'HighLatency', 0, { severity: 'warning' }), alert('web', 'HighLatency', 1), alert('mobile', 'HighLatency', 1), alert('partner', 'HighLatency', 2)];
    const ranked = rankRootCauses(input({ alerts, graph: hub }));
    expect(ranked[0]!.service).toBe('chat');
    for (const bystander of ['reports', 'search']) {
      expect(ranked.find((c) => c.service === bystander)?.evidence.some((e) => e.detail.includes('services that call it fail')) ?? false).toBe(false);
    }
    // A caller whose other alerting dependency leads to the candidate still fails through it: checkout calls cart,
    // and both call orders-db. search fails through index, which cannot reach orders-db, and is named apart.
    const g = buildDependencyGraph([
      edge('checkout', 'cart'),
      edge('checkout', 'orders-db', 100, true),
      edge('cart', 'orders-db', 100, true),
      edge('search', 'orders-db', 100, true),
      edge('search', 'index'),
    ]);
    const db = rankRootCauses(input({ alerts: [alert('checkout', 'HighErrorRate', 1), alert('cart', 'HighErrorRate', 0), alert('search', 'HighErrorRate', 1), alert('index', 'HighErrorRate', 0)], graph: g }));
    expect(db.find((c) => c.service === 'orders-db')!.evidence.map((e) => e.detail)).toContain(
      'orders-db: 2 of the 3 services that call it fail, 1 more through another dependency that fails; no alert of its own, and no traces judge its calls',
    );
  });

  it('without calls to judge, ranks the silent dependencies of one failing caller beside it (decision 018, second addendum)', () => {
    // basket fails, and so do the callers above it; basket-db, which only basket uses, raises nothing, and no spans
    // judge any call. basket explains itself as well as basket-db does: the database ranks right behind it, ahead of
    // the victims above.
    const wiring = [edge('frontend', 'bundles'), edge('bundles', 'basket'), edge('basket', 'basket-db', 100, true)];
    const alerts = [alert('basket', 'HighErrorRate', 0), alert('bundles', 'HighErrorRate', 1), alert('frontend', 'HighErrorRate', 2)];
    const alone = rankRootCauses(input({ alerts, graph: buildDependencyGraph(wiring) }));
    expect(alone.map((r) => r.service).slice(0, 2)).toEqual(['basket', 'basket-db']);
    const db = alone[1]!;
    expect(db.evidence.map((e) => e.detail)).toContain('basket-db: basket fails, and basket-db is the only dependency of basket with no alert and no calls that traces judge');
    // A second silent dependency halves what each may hold: with pricing beside it, basket-db falls behind the first victim.
    const beside = rankRootCauses(input({ alerts, graph: buildDependencyGraph([...wiring, edge('basket', 'pricing')]) }));
    const scoreIn = (r: typeof beside, s: string) => r.find((c) => c.service === s)?.score ?? 0;
    expect(scoreIn(beside, 'basket-db')).toBeLessThan(db.score);
    expect(scoreIn(beside, 'basket-db')).toBeLessThan(scoreIn(beside, 'bundles'));
    expect(scoreIn(beside, 'pricing')).toBe(scoreIn(beside, 'basket-db'));
    expect(beside.find((c) => c.service === 'basket-db')!.evidence.map((e) => e.detail)).toContain(
      'basket-db: basket fails, and basket-db is one of the 2 dependencies of basket with no alert and no calls that traces judge',
    );
    // Calls that tell decide: basket's calls to pricing seen healthy leave basket itself likelier, not basket-db;
    // its calls to basket-db seen healthy leave basket-db a bystander.
    const healthy = (callee: string) => windows([{ caller: 'basket', callee, stats: stats(100, 1, 5) }], [{ caller: 'basket', callee, stats: stats(100, 1, 5) }]);
    const pricingSeen = rankRootCauses(input({ alerts, graph: buildDependencyGraph([...wiring, edge('basket', 'pricing')]), traceSignals: healthy('pricing') }));
    expect(scoreIn(pricingSeen, 'basket-db')).toBeLessThan(db.score);
    expect(scoreIn(pricingSeen, 'basket-db')).toBeGreaterThan(scoreIn(beside, 'basket-db'));
    const dbSeen = rankRootCauses(input({ alerts, graph: buildDependencyGraph(wiring), traceSignals: healthy('basket-db') }));
    expect(dbSeen.find((c) => c.service === 'basket-db')?.evidence.some((e) => e.detail.includes('no calls that traces judge')) ?? false).toBe(false);
    expect(scoreIn(dbSeen, 'basket-db')).toBeLessThan(scoreIn(dbSeen, 'bundles'));
  });

  it('says a caller is slow, not failing, when all it shows is latency (decision 018 evidence)', () => {
    const wiring = buildDependencyGraph([edge('frontend', 'basket'), edge('basket', 'basket-db', 100, true)]);
    const details = (r: ReturnType<typeof rankRootCauses>, s: string) => r.find((c) => c.service === s)?.evidence.map((e) => e.detail) ?? [];
    const slowBasket = rankRootCauses(input({ alerts: [alert('basket', 'HighLatency', 0)], graph: wiring }));
    expect(details(slowBasket, 'basket-db')).toContain('basket-db: basket is slow, and basket-db is the only dependency of basket with no alert and no calls that traces judge');
    const slowCallers = rankRootCauses(input({ alerts: [alert('checkout', 'SlowResponses', 0), alert('cart', 'HighLatencyP95', 1)] }));
    expect(details(slowCallers, 'orders-db')).toContain('orders-db: 2 of the 2 services that call it are slow; no alert of its own, and no traces judge its calls');
    // One caller failing on errors: the callers fail.
    const mixed = rankRootCauses(input({ alerts: [alert('checkout', 'SlowResponses', 0), alert('cart', 'HighErrorRate', 1)] }));
    expect(details(mixed, 'orders-db')).toContain('orders-db: 2 of the 2 services that call it fail; no alert of its own, and no traces judge its calls');
  });

  it('reads a warning of a future problem as naming its own service, not as a failure that spreads (decision 029)', () => {
    // basket's certificate expires in days: nothing fails because of it. basket-db, which only basket uses, raised
    // nothing, and no spans judge any call.
    const wiring = buildDependencyGraph([edge('frontend', 'basket'), edge('basket', 'basket-db', 100, true)]);
    const scoreIn = (r: ReturnType<typeof rankRootCauses>, s: string) => r.find((c) => c.service === s)?.score ?? 0;
    const details = (r: ReturnType<typeof rankRootCauses>, s: string) => r.find((c) => c.service === s)?.evidence.map((e) => e.detail) ?? [];
    const warned = rankRootCauses(input({ alerts: [alert('basket', 'CertManagerCertExpirySoon', 0)], graph: wiring }));
    expect(warned[0]!.service).toBe('basket');
    expect(scoreIn(warned, 'basket')).toBeGreaterThan(0.4);
    expect(scoreIn(warned, 'basket-db')).toBeLessThan(0.05);
    expect(details(warned, 'basket-db').some((d) => d.includes('basket fails'))).toBe(false);
    // The same alert named as a failure ranks basket-db beside basket (decision 018, second addendum).
    const failing = rankRootCauses(input({ alerts: [alert('basket', 'HighErrorRate', 0)], graph: wiring }));
    expect(scoreIn(failing, 'basket-db')).toBeGreaterThan(0.2);
    // Two callers' warnings do not show their shared database failing.
    const shared = rankRootCauses(input({ alerts: [alert('checkout', 'CertificateExpiringSoon', 0), alert('cart', 'NodeFilesystemSpaceFillingUp', 1)] }));
    expect(details(shared, 'orders-db').some((d) => d.includes('services that call it fail'))).toBe(false);
    expect(scoreIn(shared, 'orders-db')).toBeLessThan(Math.min(scoreIn(shared, 'checkout'), scoreIn(shared, 'cart')));
    // Nor is a failing caller the victim of a dependency that only warns, and the warning makes that dependency no
    // likelier the root of the caller's errors: beyond its own alert, checkout explains them as a silent service would.
    const beside = rankRootCauses(input({ alerts: [alert('frontend', 'HighErrorRate', 0), alert('checkout', 'CertificateExpiringSoon', 0)] }));
    expect(details(beside, 'frontend').some((d) => d.includes('victim'))).toBe(false);
    const failingBeside = rankRootCauses(input({ alerts: [alert('frontend', 'HighErrorRate', 0), alert('checkout', 'HighLatency', 0)] }));
    expect(scoreIn(beside, 'checkout')).toBeLessThan(scoreIn(failingBeside, 'checkout') - 0.1);
    expect(scoreIn(beside, 'frontend')).toBeGreaterThan(scoreIn(failingBeside, 'frontend'));
  });

  it('without calls to judge, sees an alerting caller as the victim of a dependency its other callers show failing (decision 019)', () => {
    // checkout and cart both call orders-db, as search does; checkout fails first, with its callers, then cart. No
    // spans judge any call, and orders-db raises nothing: checkout explains itself and its callers as well as orders-db
    // does, but not cart, which fails beside it on the same dependency.
    const wiring = [edge('frontend', 'checkout'), edge('mobile', 'checkout'), edge('frontend', 'cart'), ...['checkout', 'cart', 'search'].map((c) => edge(c, 'orders-db', 100, true))];
    const alerts = [alert('checkout', 'HighErrorRate', 0), alert('frontend', 'HighErrorRate', 1), alert('mobile', 'HighErrorRate', 1), alert('cart', 'HighErrorRate', 2)];
    const ranked = rankRootCauses(input({ alerts, graph: buildDependencyGraph(wiring) }));
    expect(ranked.map((r) => r.service).slice(0, 2)).toEqual(['orders-db', 'checkout']);
    expect(ranked[1]!.evidence[0]!.detail).toBe('checkout: 2 of 4 anomalous services depend on it, but its dependency orders-db is anomalous too, so it may be a victim');
    // Calls from checkout to orders-db measured healthy (the only calls the traces show, so they judge no failure):
    // whatever its other callers say, checkout is no victim of orders-db.
    const healthyCalls = [{ caller: 'checkout', callee: 'orders-db', stats: stats(100, 1, 5) }];
    const measured = rankRootCauses(input({ alerts, graph: buildDependencyGraph(wiring), traceSignals: windows(healthyCalls, healthyCalls) }));
    expect(measured[0]!.service).toBe('checkout');
    expect(measured[0]!.evidence[0]!.detail).not.toContain('may be a victim');
    // When cart calls checkout, cart may fail through checkout: nothing beside checkout shows orders-db failing.
    const through = rankRootCauses(input({ alerts, graph: buildDependencyGraph([...wiring, edge('cart', 'checkout')]) }));
    expect(through[0]!.service).toBe('checkout');
    expect(through[0]!.evidence[0]!.detail).toBe('checkout: 3 of 4 anomalous services depend on it; its own dependencies look healthy');
  });

  it('without calls seen around the onset, counts callers failing outside the incident for a silent dependency (decision 020)', () => {
    // checkout and cart call orders-db, which raises nothing; no spans judge any call. The incident holds checkout
    // and its caller; cart alerts too, near the onset, but the clustering put it in another incident.
    const wiring = [edge('frontend', 'checkout'), edge('cart', 'cart-cache'), ...['checkout', 'cart'].map((c) => edge(c, 'orders-db', 100, true))];
    const g = buildDependencyGraph(wiring);
    const alerts = [alert('checkout', 'HighErrorRate', 0), alert('frontend', 'HighErrorRate', 1)];
    // Within the incident alone, one failing caller is no sign: checkout explains itself as well as orders-db does.
    expect(rankRootCauses(input({ alerts, graph: g }))[0]!.service).toBe('checkout');
    const outside = rankRootCauses(input({ alerts, graph: g, failingNearby: new Set(['cart']) }));
    expect(outside.map((r) => r.service).slice(0, 2)).toEqual(['orders-db', 'checkout']);
    expect(outside[0]!.score - outside[1]!.score).toBeGreaterThan(0.1);
    expect(outside[0]!.evidence.map((e) => e.detail)).toContain('orders-db: 2 of the 2 services that call it fail; no alert of its own, and no traces judge its calls');
    expect(outside[1]!.evidence[0]!.detail).toBe('checkout: 1 of 2 anomalous services depend on it, but its dependency orders-db is anomalous too, so it may be a victim');
    // An outside caller whose other dependency fails near the onset fails through that one: it shows nothing here.
    const elsewhere = rankRootCauses(input({ alerts, graph: g, failingNearby: new Set(['cart', 'cart-cache']) }));
    expect(elsewhere[0]!.service).toBe('checkout');
    expect(elsewhere.find((c) => c.service === 'orders-db')?.evidence.some((e) => e.detail.includes('services that call it fail')) ?? false).toBe(false);
  });

  it('explains alerts that all watch latency by the dependency whose calls slowed, not one whose calls fail fast', () => {
    // In a storm the frontend calls two silent dependencies: mail's calls fail (quickly), shipping's slowed.
    const storm = buildDependencyGraph([edge('frontend', 'mail'), edge('frontend', 'shipping')]);
    const traceSignals = windows(
      [{ caller: 'frontend', callee: 'mail', stats: stats(100, 40, 20) }, { caller: 'frontend', callee: 'shipping', stats: stats(100, 0, 800) }],
      [{ caller: 'frontend', callee: 'mail', stats: stats(100, 0, 20) }, { caller: 'frontend', callee: 'shipping', stats: stats(100, 0, 20) }],
    );
    const scores = (name: string) => new Map(rankRootCauses(input({ graph: storm, traceSignals, alerts: [alert('frontend', name, 0)] })).map((r) => [r.service, r.score]));
    const latency = scores('HighRequestLatency');
    const either = scores('ServiceDegraded'); // an alert that says neither errors nor latency
    expect(latency.get('shipping')).toBe(either.get('shipping'));
    // mail's failing calls count half toward a latency alert (0.55 → 0.33).
    expect(latency.get('mail')).toBeLessThan(either.get('mail')! - 0.15);
    // An error alert is no latency alert: mail keeps its full failure.
    expect(scores('Http5xxRatioHigh').get('mail')).toBe(either.get('mail'));
  });

  it('keeps scores in 0..1, best first, at most 10', () => {
    const many = Array.from({ length: 30 }, (_, i) => alert(`svc-${i}`, 'E', i));
    const ranked = rankRootCauses(input({ alerts: many }));
    expect(ranked.length).toBe(10);
    for (let i = 0; i < ranked.length; i++) {
      expect(ranked[i]!.score).toBeGreaterThanOrEqual(0);
      expect(ranked[i]!.score).toBeLessThanOrEqual(1);
      if (i > 0) expect(ranked[i]!.score).toBeLessThanOrEqual(ranked[i - 1]!.score);
    }
  });
});

describe('ranking without any topology (nothing traced, no catalog: decision 021)', () => {
  const none = buildDependencyGraph([]);

  it('puts the service that alerted first ahead of those that followed it, and says why', () => {
    const alerts = [alert('frontend', 'HighErrorRate', 3), alert('orders', 'HighErrorRate', 0), alert('cart', 'HighErrorRate', 1), alert('checkout', 'SlowResponses', 1)];
    const ranked = rankRootCauses(input({ graph: none, alerts, onset: T0 }));
    expect(ranked.map((r) => r.service)).toEqual(['orders', 'cart', 'checkout', 'frontend']);
    expect(ranked[0]!.evidence.find((e) => e.kind === 'onset')!.detail).toBe(
      'orders: 3 of the 4 alerting services began to alert with it or after it; no traces or catalog show how they connect',
    );
    // Those that began in the same rule evaluation may each be where the other's failure came from.
    expect(ranked[1]!.score).toBe(ranked[2]!.score);
    expect(ranked[3]!.evidence.some((e) => e.kind === 'onset')).toBe(false);
  });

  it('lets a deploy or a saturated resource outweigh a few seconds of onset', () => {
    const alerts = [alert('cart', 'HighErrorRate', 0), alert('checkout', 'HighErrorRate', 0.5)];
    expect(rankRootCauses(input({ graph: none, alerts, onset: T0 }))[0]!.service).toBe('cart');
    expect(rankRootCauses(input({ graph: none, alerts, onset: T0, changes: [deploy('checkout', -3)] }))[0]!.service).toBe('checkout');
    const saturated = [...alerts, alert('checkout', 'PostgresqlDown', 0.5)];
    expect(rankRootCauses(input({ graph: none, alerts: saturated, onset: T0 }))[0]!.service).toBe('checkout');
  });

  it('lets past incidents with these alerts name a root that raised nothing (decision 021, addendum)', () => {
    const alerts = [alert('checkout', 'HighErrorRate', 0), alert('cart', 'HighErrorRate', 1), alert('frontend', 'HighErrorRate', 2)];
    const history = [
      { id: 'INC-1', similarity: 0.95, rootCause: 'billing-db' },
      { id: 'INC-2', similarity: 0.9, rootCause: 'billing-db' },
    ];
    const named = rankRootCauses(input({ graph: none, alerts, onset: T0, history }));
    expect(named.map((r) => r.service).slice(0, 2)).toEqual(['checkout', 'billing-db']);
    expect(named[1]!.evidence.map((e) => e.kind)).toEqual(['history']);
    // Without the history it is no candidate; a barely similar past incident ranks it last.
    expect(rankRootCauses(input({ graph: none, alerts, onset: T0 })).map((r) => r.service)).not.toContain('billing-db');
    const faint = rankRootCauses(input({ graph: none, alerts, onset: T0, history: [{ id: 'INC-3', similarity: 0.2, rootCause: 'billing-db' }] }));
    expect(faint.at(-1)!.service).toBe('billing-db');
  });

  it('reads onsets as a direction only when the graph knows nothing: a known graph decides', () => {
    const alerts = [alert('frontend', 'HighErrorRate', 0), alert('checkout', 'HighErrorRate', 2)];
    const ranked = rankRootCauses(input({ alerts, onset: T0 }));
    expect(ranked[0]!.service).toBe('checkout');
    expect(ranked.every((r) => r.evidence.every((e) => e.kind !== 'onset'))).toBe(true);
  });
});
