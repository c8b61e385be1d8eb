// Relations judged by traces: what explains an alert is followed downstream along calls that went bad in the
// alert's own window; sparse edges borrow their callee's evidence; kept explanations never change an answer.
import { describe, it, expect } from 'vitest';
import { buildDependencyGraph } from '../../../src/topology/dependency-graph.js';
import { downstreamExplanation, sharedExplanation } from '../../../src/correlate/alert-relations.js';
import { clusterAlerts, DEFAULT_CLUSTER_OPTIONS, type RelationMemo } from '../../../src/correlate/incident-clusters.js';
import { traceCouplingFor, HEALTHY_COUPLING, UNKNOWN_COUPLING, type CouplingForWindow } from '../../../src/correlate/trace-coupling.js';
import { TraceAggregates } from '../../../src/traces/trace-store.js';
import type { Alert } from '../../../src/model/alert.js';
import { alert, edge, MIN, stats, T0 } from '../../support/alerts.js';

const BASELINE_MS = 30 * MIN;

/** Calls along caller → callee every minute of [fromMin, toMin) after T0: `calls` a minute, `errors` of them failing. */
function traffic(traces: TraceAggregates, caller: string, callee: string, fromMin: number, toMin: number, calls: number, errors: number, latencyMs = 20): void {
  for (let m = fromMin; m < toMin; m++) {
    traces.apply({
      edges: [{ caller, callee, bucket: T0 + m * MIN, calleeUninstrumented: callee.endsWith('-db'), calleeKind: callee.endsWith('-db') ? 'database' : 'service', ...stats(calls, errors, latencyMs) }],
      services: [],
    });
  }
}

function clusterNames(clusters: Alert[][]): string[][] {
  return clusters.map((c) => [...new Set(c.map((a) => a.service))].sort()).sort((a, b) => a[0]!.localeCompare(b[0]!));
}

describe('downstream explanation', () => {
  const graph = buildDependencyGraph([edge('a', 'b'), edge('a', 'x'), edge('x', 'b'), edge('b', 'c'), edge('c', 'd'), edge('d', 'e')]);

  it('follows failing calls: a longer path through failing calls beats a direct healthy one', () => {
    const healthyDirect = (caller: string, callee: string) => (caller === 'a' && callee === 'b' ? HEALTHY_COUPLING : 1);
    const explanation = downstreamExplanation(graph, 'a', healthyDirect);
    expect(explanation.get('a')).toEqual({ strength: 1, depth: 0 });
    expect(explanation.get('b')).toEqual({ strength: 0.8, depth: 2 }); // a → x → b
  });

  it('stops three calls down and drops paths too weak to explain anything', () => {
    expect([...downstreamExplanation(graph, 'b').keys()].sort()).toEqual(['b', 'c', 'd', 'e']);
    expect([...downstreamExplanation(graph, 'a').keys()].sort()).toEqual(['a', 'b', 'c', 'd', 'x']); // e is four calls down
    expect([...downstreamExplanation(graph, 'b', () => HEALTHY_COUPLING).keys()].sort()).toEqual(['b', 'c']); // 0.15 × 0.8 × 0.15 < floor
  });

  it('relates two explanations only through a service both reach within three calls in all', () => {
    const fromA = downstreamExplanation(graph, 'a');
    expect(sharedExplanation(fromA, downstreamExplanation(graph, 'c'))).toBeCloseTo(0.8); // a → b → c
    expect(sharedExplanation(fromA, downstreamExplanation(graph, 'e'))).toBe(0); // four calls apart
  });
});

describe('edge coupling from traces', () => {
  const graph = buildDependencyGraph([edge('c1', 'orders-db', 100, true), edge('c2', 'orders-db', 100, true), edge('c3', 'orders-db', 100, true), edge('rare', 'orders-db', 100, true)]);
  const callersOf = (service: string) => graph.inNeighbors(service);

  it('lets an edge with too few calls borrow the verdict of its callee as all its callers see it', () => {
    const traces = new TraceAggregates();
    for (const c of ['c1', 'c2', 'c3']) {
      traffic(traces, c, 'orders-db', -40, 0, 10, 0);
      traffic(traces, c, 'orders-db', 0, 10, 10, 6);
    }
    traffic(traces, 'rare', 'orders-db', 2, 4, 1, 0); // two calls in the window, both fine
    const couplingFor = traceCouplingFor(traces, T0 + 60 * MIN, BASELINE_MS);
    expect(couplingFor(T0, T0 + 7 * MIN)('rare', 'orders-db')).toBe(UNKNOWN_COUPLING);
    expect(couplingFor(T0, T0 + 7 * MIN, callersOf)('rare', 'orders-db')).toBeGreaterThan(0.95);
  });

  it("says the calls show a callee failing when its callers see it fail, though the edge's own few calls succeed (decision 037)", () => {
    const traces = new TraceAggregates();
    for (const c of ['c1', 'c2', 'c3']) {
      traffic(traces, c, 'orders-db', -40, 0, 50, 0);
      traffic(traces, c, 'orders-db', 0, 10, 50, 3); // 6% of calls fail
    }
    traffic(traces, 'rare', 'orders-db', -40, 0, 1, 0);
    traffic(traces, 'rare', 'orders-db', 0, 10, 1, 0); // one call a minute, all answered
    const coupling = traceCouplingFor(traces, T0 + 10 * MIN, BASELINE_MS)(T0, T0 + 5 * MIN, callersOf);
    const c = coupling('rare', 'orders-db');
    expect(c).toBeGreaterThan(HEALTHY_COUPLING);
    expect(c).toBeLessThan(DEFAULT_CLUSTER_OPTIONS.minWeight); // weak: its own five calls succeeded
    expect(coupling.showsFailure?.('rare', 'orders-db')).toBe(true);
    // A callee healthy for its callers shows nothing, to them or to a caller whose own calls the traces did not see.
    const healthy = new TraceAggregates();
    traffic(healthy, 'c1', 'orders-db', -40, 10, 50, 0);
    const onHealthy = traceCouplingFor(healthy, T0 + 10 * MIN, BASELINE_MS)(T0, T0 + 5 * MIN, callersOf);
    expect(onHealthy.showsFailure?.('c1', 'orders-db')).toBe(false);
    expect(onHealthy('c2', 'orders-db')).toBe(HEALTHY_COUPLING);
    expect(onHealthy.showsFailure?.('c2', 'orders-db')).toBe(false);
    // Nor does an edge whose calls cannot tell: no calls into the callee at all.
    const unseen = traceCouplingFor(new TraceAggregates(), T0 + 10 * MIN, BASELINE_MS)(T0, T0 + 5 * MIN, callersOf);
    expect(unseen('rare', 'orders-db')).toBe(UNKNOWN_COUPLING);
    expect(unseen.showsFailure?.('rare', 'orders-db')).toBe(false);
  });

  it('does not take one stray error among a few calls for an outage when the callee is healthy for everyone else', () => {
    const traces = new TraceAggregates();
    for (const c of ['c1', 'c2', 'c3']) traffic(traces, c, 'orders-db', -40, 10, 10, 0);
    traffic(traces, 'rare', 'orders-db', -40, 0, 1, 0);
    traffic(traces, 'rare', 'orders-db', 0, 4, 1, 0);
    traffic(traces, 'rare', 'orders-db', 4, 5, 1, 1); // five calls in the window, one failed
    const couplingFor = traceCouplingFor(traces, T0 + 60 * MIN, BASELINE_MS);
    expect(couplingFor(T0, T0 + 7 * MIN)('rare', 'orders-db')).toBeGreaterThan(0.7);
    expect(couplingFor(T0, T0 + 7 * MIN, callersOf)('rare', 'orders-db')).toBeLessThan(0.4);
  });

  it('takes three failed calls of three for a failure, and three healthy ones for nothing (decision 015)', () => {
    const traces = new TraceAggregates();
    traffic(traces, 'c1', 'orders-db', -40, -37, 1, 0); // three calls before, fine
    traffic(traces, 'c1', 'orders-db', 2, 5, 1, 1); // three in the window, all failing
    traffic(traces, 'c2', 'orders-db', -40, -37, 1, 0);
    traffic(traces, 'c2', 'orders-db', 2, 5, 1, 0); // three in the window, all fine
    traffic(traces, 'c3', 'orders-db', 2, 3, 1, 1); // one failed call: could be chance
    const couplingFor = traceCouplingFor(traces, T0 + 60 * MIN, BASELINE_MS)(T0, T0 + 7 * MIN);
    expect(couplingFor('c1', 'orders-db')).toBe(1);
    expect(couplingFor('c2', 'orders-db')).toBe(UNKNOWN_COUPLING);
    expect(couplingFor('c3', 'orders-db')).toBe(UNKNOWN_COUPLING);
  });
});

describe("a caller's failure shared out among the callees that account for it", () => {
  // checkout calls orders-db 19 times a minute and ledger-db once; both fail about half their calls from T0.
  // search calls only ledger-db, which is its whole trouble.
  const graph = buildDependencyGraph([edge('checkout', 'orders-db', 100, true), edge('checkout', 'ledger-db', 100, true), edge('search', 'ledger-db', 100, true), edge('checkout', 'cart-db', 100, true)]);
  const callersOf = (service: string) => graph.inNeighbors(service);
  const calleesOf = (service: string) => graph.outNeighbors(service);
  function storm(ledgerErrors: number): TraceAggregates {
    const traces = new TraceAggregates();
    traffic(traces, 'checkout', 'orders-db', -40, 0, 19, 0);
    traffic(traces, 'checkout', 'orders-db', 0, 10, 19, 10);
    traffic(traces, 'checkout', 'ledger-db', -40, 0, 1, 0);
    traffic(traces, 'checkout', 'ledger-db', 0, 10, 1, ledgerErrors > 0 ? 1 : 0);
    traffic(traces, 'search', 'ledger-db', -40, 0, 10, 0);
    traffic(traces, 'search', 'ledger-db', 0, 10, 10, ledgerErrors);
    traffic(traces, 'checkout', 'cart-db', 2, 4, 1, 0); // two calls in all: too few to tell
    return traces;
  }

  it('couples a caller weakly to a failing callee behind a small share of its failed calls, fully to the main one', () => {
    const couplingFor = traceCouplingFor(storm(5), T0 + 60 * MIN, BASELINE_MS)(T0, T0 + 7 * MIN, callersOf, calleesOf);
    const withoutShares = traceCouplingFor(storm(5), T0 + 60 * MIN, BASELINE_MS)(T0, T0 + 7 * MIN, callersOf);
    expect(withoutShares('checkout', 'ledger-db')).toBeGreaterThan(0.9);
    // ledger-db fails half its calls, but checkout makes 1 call in 20 to it: ~5% of checkout's excess failures.
    expect(couplingFor('checkout', 'ledger-db')).toBeLessThan(0.3);
    expect(couplingFor('checkout', 'orders-db')).toBeGreaterThan(0.9);
    // search's trouble is all ledger-db's. cart-db's calls cannot tell, and orders-db's failure explains checkout's
    // trouble: cart-db weighs no more than a healthy callee (decision 016).
    expect(couplingFor('search', 'ledger-db')).toBeGreaterThan(0.9);
    expect(withoutShares('checkout', 'cart-db')).toBe(UNKNOWN_COUPLING);
    expect(couplingFor('checkout', 'cart-db')).toBeCloseTo(HEALTHY_COUPLING);
    // So an alert on checkout no longer meets search's alert through ledger-db; it still meets orders-db.
    const checkout = downstreamExplanation(graph, 'checkout', couplingFor);
    expect(sharedExplanation(checkout, downstreamExplanation(graph, 'search', couplingFor))).toBeLessThan(DEFAULT_CLUSTER_OPTIONS.minWeight);
    expect(sharedExplanation(checkout, downstreamExplanation(graph, 'orders-db', couplingFor))).toBeGreaterThan(0.9);
  });

  it("keeps a caller's alert out of the incident of a failure behind a small share of its trouble", () => {
    // orders-db and ledger-db are two failures; checkout's alert is orders-db's, search's is ledger-db's.
    const alerts = [alert('checkout', 'HighErrorRate', 1), alert('search', 'HighErrorRate', 1.5)];
    const clusters = clusterAlerts(alerts, graph, DEFAULT_CLUSTER_OPTIONS, traceCouplingFor(storm(5), T0 + 60 * MIN, BASELINE_MS));
    expect(clusterNames(clusters)).toEqual([['checkout'], ['search']]);
  });

  it('leaves couplings alone when nothing below the caller is worse than usual', () => {
    const traces = new TraceAggregates();
    traffic(traces, 'checkout', 'orders-db', -40, 10, 9, 0);
    traffic(traces, 'checkout', 'ledger-db', 0, 10, 6, 0); // new calls, no baseline: cannot judge time, no errors
    const withShares = traceCouplingFor(traces, T0 + 60 * MIN, BASELINE_MS)(T0, T0 + 7 * MIN, callersOf, calleesOf);
    const without = traceCouplingFor(traces, T0 + 60 * MIN, BASELINE_MS)(T0, T0 + 7 * MIN, callersOf);
    for (const callee of ['orders-db', 'ledger-db', 'cart-db']) expect(withShares('checkout', callee)).toBe(without('checkout', callee));
  });
});

describe('a measured failure below a caller explains away its calls that cannot tell (decision 016)', () => {
  // checkout and billing both call the shared ledger-db, whose calls are sampled too rarely to tell in the window.
  // checkout also calls orders-db, measured on plenty of calls.
  const graph = buildDependencyGraph([edge('checkout', 'orders-db', 100, true), edge('checkout', 'ledger-db', 100, true), edge('billing', 'ledger-db', 100, true)]);
  const callersOf = (service: string) => graph.inNeighbors(service);
  const calleesOf = (service: string) => graph.outNeighbors(service);
  /** orders-db answers checkout in `ordersMs` from T0 (20 ms before), failing `ordersErrors` of 10 calls a minute. */
  function traces(ordersMs: number, ordersErrors: number): TraceAggregates {
    const t = new TraceAggregates();
    traffic(t, 'checkout', 'orders-db', -40, 0, 10, 0, 20);
    traffic(t, 'checkout', 'orders-db', 0, 10, 10, ordersErrors, ordersMs);
    traffic(t, 'checkout', 'ledger-db', 2, 4, 1, 0); // two calls in all
    traffic(t, 'billing', 'ledger-db', 3, 4, 1, 0);
    return t;
  }
  const couplingIn = (t: TraceAggregates, withCallees: boolean) =>
    traceCouplingFor(t, T0 + 60 * MIN, BASELINE_MS)(T0, T0 + 7 * MIN, callersOf, withCallees ? calleesOf : undefined);

  it('weighs an unmeasured call like a healthy one once another call of the caller clearly fails', () => {
    const t = traces(20, 6);
    expect(couplingIn(t, false)('checkout', 'ledger-db')).toBe(UNKNOWN_COUPLING);
    expect(couplingIn(t, true)('checkout', 'ledger-db')).toBeCloseTo(HEALTHY_COUPLING);
    expect(couplingIn(t, true)('checkout', 'orders-db')).toBe(1);
    // billing has no measured failure below it: its call to ledger-db keeps the neutral weight.
    expect(couplingIn(t, true)('billing', 'ledger-db')).toBe(UNKNOWN_COUPLING);
  });

  it('explains away in proportion to how clearly the measured call fails', () => {
    // 53 ms against 20 ms: a latency ratio of 2.65, half a full anomaly (1.3× counts nothing, 4× fully).
    const coupling = couplingIn(traces(53, 0), true);
    expect(coupling('checkout', 'orders-db')).toBeCloseTo(HEALTHY_COUPLING + (1 - HEALTHY_COUPLING) * 0.5);
    expect(coupling('checkout', 'ledger-db')).toBeCloseTo(HEALTHY_COUPLING + (UNKNOWN_COUPLING - HEALTHY_COUPLING) * 0.5);
    // Healthy measured calls explain nothing away.
    expect(couplingIn(traces(20, 0), true)('checkout', 'ledger-db')).toBe(UNKNOWN_COUPLING);
  });

  it('keeps an alert whose failure is measured elsewhere out of the incident of a shared dependency nobody measured', () => {
    const alerts = [alert('checkout', 'HighErrorRate', 1), alert('billing', 'HighErrorRate', 1.5)];
    const cluster = (ordersErrors: number) =>
      clusterNames(clusterAlerts(alerts, graph, DEFAULT_CLUSTER_OPTIONS, traceCouplingFor(traces(20, ordersErrors), T0 + 60 * MIN, BASELINE_MS)));
    expect(cluster(6)).toEqual([['billing'], ['checkout']]);
    // Without orders-db's failure, ledger-db is as likely a cause of either alert as anything: they join through it.
    expect(cluster(0)).toEqual([['billing', 'checkout']]);
  });
});

describe('clustering with each alert judged in its own window', () => {
  const graph = buildDependencyGraph([edge('a', 'orders-db', 100, true), edge('b', 'orders-db', 100, true)]);

  /** Both services call orders-db, which fails from minute 8 on. */
  function dbFailingFrom8(): TraceAggregates {
    const traces = new TraceAggregates();
    for (const caller of ['a', 'b']) {
      traffic(traces, caller, 'orders-db', -40, 8, 10, 0);
      traffic(traces, caller, 'orders-db', 8, 30, 10, 6);
    }
    return traces;
  }

  it('does not join an alert that fired before the shared dependency failed: that failure did not cause it', () => {
    const couplingFor = traceCouplingFor(dbFailingFrom8(), T0 + 30 * MIN, BASELINE_MS);
    const alerts = [alert('a', 'HighErrorRate', 3), alert('b', 'HighErrorRate', 9)];
    expect(clusterNames(clusterAlerts(alerts, graph, DEFAULT_CLUSTER_OPTIONS, couplingFor))).toEqual([['a'], ['b']]);
  });

  it('joins an alert firing minutes into a slowdown: its calls are judged against the calls before the slowdown', () => {
    // orders-db answers in 20 ms, then in 80 ms from minute 0. b alerts nine minutes after a: the 30 minutes before
    // b's window hold seven slow minutes, which would put the baseline at 34 ms and the slowdown at only 2.3×.
    const traces = new TraceAggregates();
    for (const caller of ['a', 'b']) {
      traffic(traces, caller, 'orders-db', -40, 0, 10, 0, 20);
      traffic(traces, caller, 'orders-db', 0, 30, 10, 0, 80);
    }
    const couplingFor = traceCouplingFor(traces, T0 + 30 * MIN, BASELINE_MS);
    const alerts = [alert('a', 'HighLatency', 0.5), alert('b', 'HighLatency', 9)];
    expect(clusterNames(clusterAlerts(alerts, graph, DEFAULT_CLUSTER_OPTIONS, couplingFor))).toEqual([['a', 'b']]);
  });

  it('joins the two callers when both alerts follow the failure', () => {
    const couplingFor = traceCouplingFor(dbFailingFrom8(), T0 + 30 * MIN, BASELINE_MS);
    const alerts = [alert('a', 'HighErrorRate', 8.5), alert('b', 'HighErrorRate', 9)];
    expect(clusterNames(clusterAlerts(alerts, graph, DEFAULT_CLUSTER_OPTIONS, couplingFor))).toEqual([['a', 'b']]);
  });
});

describe('explanations kept across analyses', () => {
  const graph = buildDependencyGraph([edge('a', 'orders-db', 100, true), edge('b', 'orders-db', 100, true)]);

  /** Counts the windows asked for, so a test can tell which explanations were recomputed. */
  function counting(couplingFor: CouplingForWindow): { couplingFor: CouplingForWindow; windows: number[] } {
    const windows: number[] = [];
    return {
      windows,
      couplingFor: (from, to, callersOf) => {
        windows.push(from);
        return couplingFor(from, to, callersOf);
      },
    };
  }

  it('keeps settled explanations for good and recomputes open ones when the traces moved', () => {
    const traces = new TraceAggregates();
    for (const caller of ['a', 'b']) traffic(traces, caller, 'orders-db', -40, 30, 10, 0);
    const memo: RelationMemo = { weights: new Map(), completeBefore: T0 + 20 * MIN };
    const alerts = [alert('a', 'HighErrorRate', 0), alert('b', 'HighErrorRate', 16)];

    const first = counting(traceCouplingFor(traces, T0 + 30 * MIN, BASELINE_MS));
    expect(clusterNames(clusterAlerts(alerts, graph, DEFAULT_CLUSTER_OPTIONS, first.couplingFor, memo))).toEqual([['a'], ['b']]);
    expect(first.windows).toHaveLength(2);

    // New traces: orders-db fails from minute 14, in b's window (still open) but after a's (settled).
    for (const caller of ['a', 'b']) traffic(traces, caller, 'orders-db', 14, 30, 10, 8);
    const second = counting(traceCouplingFor(traces, T0 + 30 * MIN, BASELINE_MS));
    const withMemo = clusterAlerts(alerts, graph, DEFAULT_CLUSTER_OPTIONS, second.couplingFor, memo);
    expect(second.windows).toEqual([T0 + 14 * MIN]); // only b's window is judged again
    expect(clusterNames(withMemo)).toEqual(clusterNames(clusterAlerts(alerts, graph, DEFAULT_CLUSTER_OPTIONS, traceCouplingFor(traces, T0 + 30 * MIN, BASELINE_MS))));
  });

  it('reuses every explanation while the inputs are unchanged (completeBefore = +Infinity)', () => {
    const traces = new TraceAggregates();
    for (const caller of ['a', 'b']) traffic(traces, caller, 'orders-db', -40, 30, 10, caller === 'a' ? 0 : 5);
    const memo: RelationMemo = { weights: new Map(), completeBefore: T0 };
    const alerts = [alert('a', 'HighErrorRate', 10), alert('b', 'HighErrorRate', 11)];
    const expected = clusterNames(clusterAlerts(alerts, graph, DEFAULT_CLUSTER_OPTIONS, traceCouplingFor(traces, T0 + 30 * MIN, BASELINE_MS), memo));
    const again = counting(traceCouplingFor(traces, T0 + 30 * MIN, BASELINE_MS));
    // Another alert of the same symptom joins b's group (one of another symptom would change what explains it).
    const next = clusterAlerts([...alerts, alert('b', 'Http5xxRatioHigh', 12)], graph, DEFAULT_CLUSTER_OPTIONS, again.couplingFor, { ...memo, completeBefore: Number.POSITIVE_INFINITY });
    expect(again.windows).toEqual([]);
    expect(clusterNames(next)).toEqual(expected);
  });
});

/** A storm below `caller`: from minute 0 its calls to orders fail fast and its calls to catalog slow (900 ms). */
function failingAndSlowBelow(caller: string): TraceAggregates {
  const traces = new TraceAggregates();
  traffic(traces, caller, 'orders', -40, 0, 20, 0);
  traffic(traces, caller, 'orders', 0, 15, 20, 12);
  traffic(traces, caller, 'catalog', -40, 0, 20, 0);
  traffic(traces, caller, 'catalog', 0, 15, 20, 0, 900);
  return traces;
}

describe('one service alerting on two failures at once', () => {
  // frontend calls orders and catalog; in a storm orders starts failing and catalog slows, both from minute 0.
  const graph = buildDependencyGraph([edge('frontend', 'orders'), edge('frontend', 'catalog')]);
  const storm = (): TraceAggregates => failingAndSlowBelow('frontend');
  /** The services of each cluster, and which cluster holds each named alert (by its name). */
  const where = (clusters: Alert[][], fingerprint: string): string[] => [...new Set(clusters.find((c) => c.some((a) => a.fingerprint === fingerprint))!.map((a) => a.service))].sort();

  it("gives the frontend's error alert to the failing dependency and its latency alert to the slow one", () => {
    const alerts = [
      alert('orders', 'HighErrorRate', 1),
      alert('catalog', 'HighLatencyP95', 1.5), // not the same evaluation: two observations
      alert('frontend', 'Http5xxRatioHigh', 2, { fingerprint: 'frontend-errors' }),
      alert('frontend', 'LatencySLOBreach', 3, { fingerprint: 'frontend-latency' }),
    ];
    const clusters = clusterAlerts(alerts, graph, DEFAULT_CLUSTER_OPTIONS, traceCouplingFor(storm(), T0 + 15 * MIN, BASELINE_MS));
    expect(clusters).toHaveLength(2);
    expect(where(clusters, 'frontend-errors')).toEqual(['frontend', 'orders']);
    expect(where(clusters, 'frontend-latency')).toEqual(['catalog', 'frontend']);
    // Without traces nothing tells the two symptoms apart: the frontend's alerts stay together.
    const untraced = clusterAlerts(alerts, graph, DEFAULT_CLUSTER_OPTIONS);
    expect(where(untraced, 'frontend-errors')).toEqual(where(untraced, 'frontend-latency'));
  });

  it('keeps both alerts together when the calls that fail are also the calls that slowed', () => {
    const traces = new TraceAggregates();
    traffic(traces, 'frontend', 'orders', -40, 0, 20, 0);
    traffic(traces, 'frontend', 'orders', 0, 15, 20, 12, 900); // orders fails and slows
    traffic(traces, 'frontend', 'catalog', -40, 0, 20, 0);
    traffic(traces, 'frontend', 'catalog', 0, 15, 20, 0, 25); // catalog barely slower
    const alerts = [
      alert('orders', 'HighErrorRate', 1),
      alert('catalog', 'HighLatencyP95', 1.5), // not the same evaluation: two observations
      alert('frontend', 'Http5xxRatioHigh', 2, { fingerprint: 'frontend-errors' }),
      alert('frontend', 'LatencySLOBreach', 3, { fingerprint: 'frontend-latency' }),
    ];
    const clusters = clusterAlerts(alerts, graph, DEFAULT_CLUSTER_OPTIONS, traceCouplingFor(traces, T0 + 15 * MIN, BASELINE_MS));
    expect(where(clusters, 'frontend-errors')).toEqual(['frontend', 'orders']);
    expect(where(clusters, 'frontend-latency')).toEqual(['frontend', 'orders']);
  });

  it("parts the frontend's latency alert from the failing dependency's incident when a dependency that raised nothing slowed it", () => {
    // Only orders alerts for itself: catalog slows silently, and the frontend's latency alert is all that shows it.
    const alerts = [
      alert('orders', 'HighErrorRate', 1),
      alert('frontend', 'Http5xxRatioHigh', 2, { fingerprint: 'frontend-errors' }),
      alert('frontend', 'LatencySLOBreach', 3, { fingerprint: 'frontend-latency' }),
    ];
    const clusters = clusterAlerts(alerts, graph, DEFAULT_CLUSTER_OPTIONS, traceCouplingFor(storm(), T0 + 15 * MIN, BASELINE_MS));
    expect(clusters).toHaveLength(2);
    expect(where(clusters, 'frontend-errors')).toEqual(['frontend', 'orders']);
    expect(clusters.find((c) => c.some((a) => a.fingerprint === 'frontend-latency'))!.map((a) => a.fingerprint)).toEqual(['frontend-latency']);

    // When orders' calls are also the slow ones, nothing else explains the latency: one incident.
    const traces = new TraceAggregates();
    traffic(traces, 'frontend', 'orders', -40, 0, 20, 0);
    traffic(traces, 'frontend', 'orders', 0, 15, 20, 12, 900);
    traffic(traces, 'frontend', 'catalog', -40, 15, 20, 0);
    expect(clusterAlerts(alerts, graph, DEFAULT_CLUSTER_OPTIONS, traceCouplingFor(traces, T0 + 15 * MIN, BASELINE_MS))).toHaveLength(1);
    // Nor when the latency is explained by nothing below (the frontend itself is slow): it stays with the errors.
    const slowFrontend = new TraceAggregates();
    traffic(slowFrontend, 'frontend', 'orders', -40, 0, 20, 0);
    traffic(slowFrontend, 'frontend', 'orders', 0, 15, 20, 12);
    traffic(slowFrontend, 'frontend', 'catalog', -40, 15, 20, 0);
    expect(clusterAlerts(alerts, graph, DEFAULT_CLUSTER_OPTIONS, traceCouplingFor(slowFrontend, T0 + 15 * MIN, BASELINE_MS))).toHaveLength(1);
  });
});

describe('a service whose alerts all watch one symptom (decision 027)', () => {
  // web calls orders and catalog; in a storm orders starts failing fast and catalog slows, both from minute 0.
  const graph = buildDependencyGraph([edge('web', 'orders'), edge('web', 'catalog')]);
  const storm = (): TraceAggregates => failingAndSlowBelow('web');
  const withWeb = (clusters: Alert[][]): string[] => [...new Set(clusters.find((c) => c.some((a) => a.service === 'web'))!.map((a) => a.service))].sort();
  // orders' alert begins closest to web's: by time alone web would go with it.
  const alertsFor = (webAlert: string): Alert[] => [alert('catalog', 'HighLatencyP95', 0.5), alert('orders', 'HighErrorRate', 1.8), alert('web', webAlert, 2)];

  it('is explained by the calls that went bad its way: a latency alert by the slow dependency, an error alert by the failing one', () => {
    const couplingFor = traceCouplingFor(storm(), T0 + 15 * MIN, BASELINE_MS);
    expect(withWeb(clusterAlerts(alertsFor('LatencySLOBreach'), graph, DEFAULT_CLUSTER_OPTIONS, couplingFor))).toEqual(['catalog', 'web']);
    expect(withWeb(clusterAlerts(alertsFor('Http5xxRatioHigh'), graph, DEFAULT_CLUSTER_OPTIONS, couplingFor))).toEqual(['orders', 'web']);
  });

  it('still follows a dependency whose calls both failed and slowed', () => {
    const traces = new TraceAggregates();
    traffic(traces, 'web', 'orders', -40, 0, 20, 0);
    traffic(traces, 'web', 'orders', 0, 15, 20, 12, 900); // orders fails and slows
    traffic(traces, 'web', 'catalog', -40, 15, 20, 0); // catalog healthy
    const alerts = [alert('orders', 'HighErrorRate', 1), alert('web', 'LatencySLOBreach', 2)];
    expect(clusterAlerts(alerts, graph, DEFAULT_CLUSTER_OPTIONS, traceCouplingFor(traces, T0 + 15 * MIN, BASELINE_MS))).toHaveLength(1);
  });
});
