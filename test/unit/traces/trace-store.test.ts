import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { TraceAggregates } from '../../../src/traces/trace-store.js';
import {
  addCall,
  emptyCallStats,
  TRACE_BUCKET_MS,
  type EdgeAggregate,
  type ServiceAggregate,
} from '../../../src/model/trace-aggregate.js';
import type { PeerKind } from '../../../src/model/span.js';
import { lazyTraceSignals, versionSplitOf } from '../../../src/rank/trace-signals.js';

const B0 = 1_800_000_000_000;
const B1 = B0 + TRACE_BUCKET_MS;
const B2 = B0 + 2 * TRACE_BUCKET_MS;

function edgeAgg(caller: string, callee: string, bucket: number, calls: Array<[number, boolean]>, uninstrumented = false, kind: PeerKind = 'service'): EdgeAggregate {
  const agg: EdgeAggregate = { caller, callee, bucket, calleeUninstrumented: uninstrumented, calleeKind: kind, ...emptyCallStats() };
  for (const [ms, err] of calls) addCall(agg, ms, err);
  return agg;
}
function serviceAgg(service: string, bucket: number, calls: Array<[number, boolean]>, originErrors = 0): ServiceAggregate {
  const agg: ServiceAggregate = { service, bucket, originErrors, ...emptyCallStats() };
  for (const [ms, err] of calls) addCall(agg, ms, err);
  return agg;
}

function sample(): TraceAggregates {
  const store = new TraceAggregates();
  store.apply({
    edges: [
      edgeAgg('frontend', 'checkout', B0, [[20, false], [30, true]]),
      edgeAgg('checkout', 'orders-db', B0, [[700, true]], true, 'database'),
    ],
    services: [serviceAgg('checkout', B0, [[25, true]], 0), serviceAgg('orders-db', B0, [[700, true]], 1)],
  });
  store.apply({
    edges: [edgeAgg('frontend', 'checkout', B1, [[40, false]]), edgeAgg('checkout', 'orders-db', B2, [[3, false]], true, 'database')],
    services: [serviceAgg('checkout', B1, [[12, false]]), serviceAgg('checkout', B0, [], 1)], // a late origin-error verdict
  });
  return store;
}

/** What one delta brings of a minute's spans (or calls): their version (null: they named none), how many, how many failed. */
type Piece = { minute: number; version: string | null; calls: number; errors: number };
const piece = fc.record({
  minute: fc.integer({ min: 0, max: 3 }),
  version: fc.constantFrom(null, 'v1', 'v2', 'v3'),
  calls: fc.integer({ min: 1, max: 9 }),
  errors: fc.integer({ min: 0, max: 9 }),
});

describe('TraceAggregates', () => {
  it('merges edges over the buckets of a half-open range', () => {
    const store = sample();
    const all = store.edges(B0, B2 + TRACE_BUCKET_MS);
    expect(all.map((e) => [e.caller, e.callee, e.stats.calls, e.stats.errors, e.stats.latencySumMs, e.lastSeen])).toEqual([
      ['checkout', 'orders-db', 2, 1, 703, B2],
      ['frontend', 'checkout', 3, 1, 90, B1],
    ]);
    expect(all[0]).toMatchObject({ calleeUninstrumented: true, calleeKind: 'database' });
    expect(all[1]).toMatchObject({ calleeUninstrumented: false, calleeKind: 'service' });
    // [B1, B2): only frontend→checkout's second bucket.
    expect(store.edges(B1, B2).map((e) => [e.caller, e.callee, e.stats.calls])).toEqual([['frontend', 'checkout', 1]]);
    expect(store.edges(B2 + TRACE_BUCKET_MS, B2 + 2 * TRACE_BUCKET_MS)).toEqual([]);
  });

  it('treats a callee as instrumented once any call to it was paired, and keeps the most specific kind', () => {
    const store = new TraceAggregates();
    store.apply({ edges: [edgeAgg('api', 'pg', B0, [[1, false]], true, 'database')], services: [] });
    store.apply({ edges: [edgeAgg('api', 'pg', B0, [[1, false]], false, 'service'), edgeAgg('api', 'pg', B1, [[1, false]], true, 'external')], services: [] });
    const [e] = store.edges(B0, B2);
    expect(e).toMatchObject({ calleeUninstrumented: false, calleeKind: 'database' });
    expect(e!.stats.calls).toBe(3);
    // Within B1 alone, pg was only ever seen from the caller side.
    expect(store.edges(B1, B2)[0]).toMatchObject({ calleeUninstrumented: true, calleeKind: 'external' });
  });

  it('merges service stats and origin errors that arrive in later deltas', () => {
    const services = sample().services(B0, B2);
    expect([...services.keys()]).toEqual(['checkout', 'orders-db']);
    expect(services.get('checkout')).toMatchObject({ calls: 2, errors: 1, latencySumMs: 37, originErrors: 1 });
    expect(services.get('orders-db')).toMatchObject({ calls: 1, errors: 1, originErrors: 1 });
    expect(sample().services(B1, B2).get('checkout')).toMatchObject({ calls: 1, originErrors: 0 });
  });

  it('lists every service named by an edge or an aggregate', () => {
    expect(sample().allServices()).toEqual(['checkout', 'frontend', 'orders-db']);
  });

  it('prunes buckets before a time and forgets series left empty', () => {
    const store = sample();
    store.prune(B1);
    expect(store.edges(0, Number.MAX_SAFE_INTEGER).map((e) => [e.caller, e.callee, e.stats.calls])).toEqual([
      ['checkout', 'orders-db', 1],
      ['frontend', 'checkout', 1],
    ]);
    expect([...store.services(0, Number.MAX_SAFE_INTEGER).keys()]).toEqual(['checkout']);
    store.prune(B2 + TRACE_BUCKET_MS);
    expect(store.allServices()).toEqual([]);
  });

  it('round-trips through its compact JSON form', () => {
    const store = sample();
    const json = JSON.parse(JSON.stringify(store.toJSON())) as unknown;
    const restored = TraceAggregates.fromJSON(json);
    expect(restored.edges(0, Number.MAX_SAFE_INTEGER)).toEqual(store.edges(0, Number.MAX_SAFE_INTEGER));
    expect(restored.services(0, Number.MAX_SAFE_INTEGER)).toEqual(store.services(0, Number.MAX_SAFE_INTEGER));
    // Compact: histograms lose their trailing zeros.
    const text = JSON.stringify(store.toJSON());
    // frontend→checkout in B0: 2 calls, 1 error, 50 ms in all, instrumented; 20 ms (≤25) and 30 ms (≤50); the client
    // spans' timing last (the same 50 ms: these aggregates carry none of their own).
    expect(text).toContain(`[${B0},2,1,50,0,"service",[0,0,1,1],50]`);
  });

  it('reads JSON written before edges kept the client timing: the client timing is the callee timing', () => {
    const restored = TraceAggregates.fromJSON({ v: 1, edges: [{ caller: 'a', callee: 'b', buckets: [[B0, 5, 0, 100, 0, 'service', [5]]] }], services: [] });
    expect(restored.edgeStats('a', 'b', B0, B1)).toEqual({ calls: 5, errors: 0, latencySumMs: 100 });
    expect(JSON.stringify(restored.toJSON())).toContain(`[${B0},5,0,100,0,"service",[5],100]`);
  });

  it('rejects persisted data of the wrong shape, naming the field', () => {
    expect(() => TraceAggregates.fromJSON({ v: 1, edges: [{ caller: 'a', callee: 'b', buckets: [[B0, -1, 0, 0, 0, 'service', []]] }], services: [] }))
      .toThrow(/edges.*0.*buckets/s);
    expect(() => TraceAggregates.fromJSON({ v: 2, edges: [], services: [] })).toThrow();
  });
});

describe("a service's spans per version", () => {
  const versioned = (service: string, bucket: number, versions: Array<[string, number, number]>): ServiceAggregate => {
    const agg = serviceAgg(service, bucket, []);
    agg.versions = versions.map(([version, calls, errors]) => ({ version, calls, errors, latencySumMs: calls * 10 }));
    agg.calls = versions.reduce((n, v) => n + v[1], 0);
    agg.errors = versions.reduce((n, v) => n + v[2], 0);
    agg.latencySumMs = agg.calls * 10;
    return agg;
  };
  // v1 alone in B0; the canary v2 beside v1 in B1 (two deltas) and B2.
  const store = new TraceAggregates();
  store.apply({ edges: [], services: [versioned('checkout', B0, [['v1', 30, 0]]), versioned('checkout', B1, [['v1', 10, 0], ['v2', 2, 1]])] });
  store.apply({ edges: [], services: [versioned('checkout', B1, [['v2', 3, 2]]), versioned('checkout', B2, [['v2', 4, 3], ['v1', 12, 1]]), versioned('cart', B1, [['v7', 5, 0]])] });

  it('sums each version over the minutes in which two served, with the first minute each served', () => {
    expect(store.serviceVersions('checkout', B0, B2 + TRACE_BUCKET_MS)).toEqual([
      { version: 'v1', calls: 22, errors: 1, latencySumMs: 220, firstSeen: B0 },
      { version: 'v2', calls: 9, errors: 6, latencySumMs: 90, firstSeen: B1 },
    ]);
    // B0 (v1 alone) adds nothing; a range of one minute with both is enough.
    expect(store.serviceVersions('checkout', B2, B2 + TRACE_BUCKET_MS)?.map((v) => [v.version, v.calls, v.firstSeen])).toEqual([['v2', 4, B1], ['v1', 12, B0]]);
  });

  it('says nothing for one version at a time, a service without versions, or an unknown one', () => {
    expect(store.serviceVersions('checkout', B0, B1)).toBeNull();
    expect(store.serviceVersions('cart', B0, B2)).toBeNull();
    expect(store.serviceVersions('nobody', B0, B2)).toBeNull();
  });

  it('keeps versions through its JSON form, and reads JSON written before versions were kept', () => {
    const restored = TraceAggregates.fromJSON(JSON.parse(JSON.stringify(store.toJSON())));
    expect(restored.serviceVersions('checkout', B0, B2 + TRACE_BUCKET_MS)).toEqual(store.serviceVersions('checkout', B0, B2 + TRACE_BUCKET_MS));
    expect(restored.services(B0, B2 + TRACE_BUCKET_MS)).toEqual(store.services(B0, B2 + TRACE_BUCKET_MS));
    const old = TraceAggregates.fromJSON({ v: 1, edges: [], services: [{ service: 'a', buckets: [[B0, 5, 1, 50, 1, [5]]] }] });
    expect(old.serviceStats('a', B0, B1)).toEqual({ calls: 5, errors: 1, latencySumMs: 50, originErrors: 1 });
    expect(old.serviceVersions('a', B0, B1)).toBeNull();
  });
});

describe("a service's versions kept per minute, however the minute's spans arrive", () => {
  // A minute's spans arrive in several deltas (a flush every few seconds): one version, then another beside it, or
  // spans that named none. Rows named by one version keep only its name; what they answer must not depend on that.
  const aggregateOf = (p: Piece): ServiceAggregate => {
    const errors = Math.min(p.errors, p.calls);
    const agg = serviceAgg('svc', B0 + p.minute * TRACE_BUCKET_MS, []);
    Object.assign(agg, { calls: p.calls, errors, latencySumMs: p.calls * 7.3 });
    if (p.version !== null) agg.versions = [{ version: p.version, calls: p.calls, errors, latencySumMs: p.calls * 7.3 }];
    return agg;
  };
  /** What serviceVersions must answer, summed straight from the pieces. */
  const expected = (pieces: Piece[], from: number, to: number) => {
    const named = pieces.filter((p) => p.version !== null);
    const versionsIn = (m: number) => new Set(named.filter((p) => p.minute === m).map((p) => p.version));
    const inRange = named.filter((p) => p.minute >= from && p.minute < to && versionsIn(p.minute).size > 1);
    const byVersion = new Map<string, { calls: number; errors: number }>();
    for (const p of inRange) {
      const v = byVersion.get(p.version!) ?? byVersion.set(p.version!, { calls: 0, errors: 0 }).get(p.version!)!;
      v.calls += p.calls;
      v.errors += Math.min(p.errors, p.calls);
    }
    if (byVersion.size < 2) return null;
    return [...byVersion].map(([version, t]) => ({ version, ...t, firstSeen: B0 + Math.min(...named.filter((p) => p.version === version).map((p) => p.minute)) * TRACE_BUCKET_MS })).sort((a, b) => a.version.localeCompare(b.version));
  };
  const answer = (store: TraceAggregates, from: number, to: number) =>
    store.serviceVersions('svc', B0 + from * TRACE_BUCKET_MS, B0 + to * TRACE_BUCKET_MS)?.map(({ version, calls, errors, firstSeen }) => ({ version, calls, errors, firstSeen })).sort((a, b) => a.version.localeCompare(b.version)) ?? null;

  it('answers as the spans summed per version and minute say, applied one delta at a time, and after its JSON form', () => {
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 4 }), (pieces, from, span) => {
        const store = new TraceAggregates();
        for (const p of pieces) store.apply({ edges: [], services: [aggregateOf(p)] });
        const to = Math.min(4, from + span);
        expect(answer(store, from, to)).toEqual(expected(pieces, from, to));
        const restored = TraceAggregates.fromJSON(JSON.parse(JSON.stringify(store.toJSON())));
        expect(answer(restored, from, to)).toEqual(expected(pieces, from, to));
        expect(restored.serviceStats('svc', B0, B0 + 4 * TRACE_BUCKET_MS)).toEqual(store.serviceStats('svc', B0, B0 + 4 * TRACE_BUCKET_MS));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a minute that one version served alone, then two, exact', () => {
    const store = new TraceAggregates();
    store.apply({ edges: [], services: [aggregateOf({ minute: 0, version: 'v1', calls: 8, errors: 1 })] });
    store.apply({ edges: [], services: [aggregateOf({ minute: 0, version: 'v1', calls: 2, errors: 0 })] });
    store.apply({ edges: [], services: [aggregateOf({ minute: 0, version: 'v2', calls: 5, errors: 4 })] });
    expect(answer(store, 0, 1)).toEqual([
      { version: 'v1', calls: 10, errors: 1, firstSeen: B0 },
      { version: 'v2', calls: 5, errors: 4, firstSeen: B0 },
    ]);
  });
});

describe("an edge's calls per version of its caller (decision 031)", () => {
  const B = (m: number) => B0 + m * TRACE_BUCKET_MS;
  /** One minute of checkout → payments calls: [version, calls, errors] per version of checkout. */
  const calls = (minute: number, versions: Array<[string, number, number]>, caller = 'checkout', callee = 'payments'): EdgeAggregate => {
    const agg = edgeAgg(caller, callee, B(minute), []);
    agg.versions = versions.map(([version, n, errors]) => ({ version, calls: n, errors, latencySumMs: n * 10 }));
    Object.assign(agg, { calls: versions.reduce((n, v) => n + v[1], 0), errors: versions.reduce((n, v) => n + v[2], 0) });
    agg.latencySumMs = agg.clientLatencySumMs = agg.calls * 10;
    return agg;
  };
  const ownSpans = (service: string, minute: number, versions: string[]): ServiceAggregate => {
    const agg = serviceAgg(service, B(minute), []);
    agg.versions = versions.map((version) => ({ version, calls: 1, errors: 0, latencySumMs: 10 }));
    Object.assign(agg, { calls: versions.length, latencySumMs: versions.length * 10 });
    return agg;
  };
  /** [version, calls, errors, firstSeen] by version. */
  const summary = (v: { version: string; calls: number; errors: number; firstSeen: number }[] | null) =>
    v?.map(({ version, calls, errors, firstSeen }) => [version, calls, errors, firstSeen]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))) ?? null;

  it('sums each version from the first to the last minute both were live, though few minutes hold a call of each', () => {
    // A canary v2 beside v1: sampled traces leave the edge one version's call or two a minute.
    const store = new TraceAggregates();
    store.apply({
      edges: [calls(0, [['v1', 3, 0]]), calls(1, [['v2', 1, 1]]), calls(2, [['v1', 4, 0]]), calls(3, [['v2', 1, 1], ['v1', 2, 0]]), calls(4, [['v1', 5, 0]])],
      services: [],
    });
    // v2 was live in minutes 1–3, v1 throughout: minutes 1–3 count, 0 and 4 (v1 alone) do not.
    expect(summary(store.edgeVersions('checkout', 'payments', B(0), B(5)))).toEqual([
      ['v1', 6, 0, B(0)],
      ['v2', 2, 2, B(1)],
    ]);
  });

  it("reads how long each version served from the caller's own spans too", () => {
    const store = new TraceAggregates();
    store.apply({
      edges: [calls(0, [['v1', 3, 0]]), calls(1, [['v2', 1, 1]]), calls(2, [['v1', 4, 0]]), calls(3, [['v1', 2, 0]])],
      services: [ownSpans('checkout', 0, ['v1']), ownSpans('checkout', 1, ['v1', 'v2']), ownSpans('checkout', 3, ['v2'])],
    });
    // The edge saw v2 in minute 1 only; checkout's own spans show it serving until minute 3.
    expect(summary(store.edgeVersions('checkout', 'payments', B(0), B(4)))).toEqual([
      ['v1', 6, 0, B(0)],
      ['v2', 1, 1, B(1)],
    ]);
  });

  it('compares a rollout only in the minutes both versions served: what fails after the older one is gone is not', () => {
    const store = new TraceAggregates();
    store.apply({ edges: [calls(0, [['v1', 6, 0]]), calls(1, [['v1', 5, 0], ['v2', 1, 0]]), calls(2, [['v2', 6, 0]]), calls(3, [['v2', 6, 5]])], services: [] });
    expect(summary(store.edgeVersions('checkout', 'payments', B(0), B(4)))).toEqual([
      ['v1', 5, 0, B(0)],
      ['v2', 1, 0, B(1)],
    ]);
    expect(store.edgeVersions('checkout', 'payments', B(2), B(4))).toBeNull();
  });

  it("gives a ranking the caller's versions from five minutes before its window (decision 036)", () => {
    const store = new TraceAggregates();
    // v2 from minute 8 on, failing every call; v1 beside it; the ranking's window opens at minute 10.
    const both = (m: number): EdgeAggregate => calls(m, [['v2', 1, 1], ['v1', m === 9 ? 1 : 2, 0]]);
    store.apply({ edges: [calls(2, [['v1', 4, 0]]), calls(7, [['v1', 3, 0]]), both(8), both(9), both(10), both(11), both(12)], services: [] });
    // The window alone: 3 of 3 failed against 6 good, 1 chance in 84 of luck: no split.
    expect(versionSplitOf(store.edgeVersions('checkout', 'payments', B(10), B(13)))).toBeNull();
    const window = { baselineFrom: B(0), from: B(10), to: B(13) };
    const source = {
      callers: () => ['checkout'],
      edge: (caller: string, callee: string, from: number, to: number) => store.edgeStats(caller, callee, from, to),
      service: (service: string, from: number, to: number) => store.serviceStats(service, from, to),
      edgeVersions: (caller: string, callee: string, from: number, to: number) => store.edgeVersions(caller, callee, from, to),
    };
    // From minute 8, when v2 began (minutes 2 and 7 held v1 alone): 5 of 5 against 9 good, 1 in C(14,5) = 2002.
    const split = lazyTraceSignals(source, window).edgeVersionSplit!('checkout', 'payments');
    expect([split?.worse.version, split?.worse.calls, split?.worse.errors, split?.worse.firstSeen]).toEqual(['v2', 5, 5, B(8)]);
    expect([split?.better.version, split?.better.calls, split?.better.errors]).toEqual(['v1', 9, 0]);
    expect(split?.symptom).toBe('errors');
  });

  it('says nothing for one version at a time, calls that named none, or an unknown edge', () => {
    const store = new TraceAggregates();
    store.apply({ edges: [calls(0, [['v1', 3, 0]]), calls(1, [['v1', 2, 1]]), edgeAgg('cart', 'payments', B(0), [[10, false]])], services: [] });
    expect(store.edgeVersions('checkout', 'payments', B(0), B(2))).toBeNull();
    expect(store.edgeVersions('cart', 'payments', B(0), B(2))).toBeNull();
    expect(store.edgeVersions('nobody', 'payments', B(0), B(2))).toBeNull();
  });

  it('keeps them through its JSON form, and reads edges written before versions were kept', () => {
    const store = new TraceAggregates();
    store.apply({ edges: [calls(0, [['v1', 3, 0]]), calls(1, [['v2', 2, 2], ['v1', 4, 0]])], services: [] });
    const restored = TraceAggregates.fromJSON(JSON.parse(JSON.stringify(store.toJSON())));
    expect(restored.edgeVersions('checkout', 'payments', B(0), B(2))).toEqual(store.edgeVersions('checkout', 'payments', B(0), B(2)));
    expect(restored.edgeStats('checkout', 'payments', B(0), B(2))).toEqual(store.edgeStats('checkout', 'payments', B(0), B(2)));
    const old = TraceAggregates.fromJSON({ v: 1, edges: [{ caller: 'a', callee: 'b', buckets: [[B0, 5, 1, 50, 0, 'service', [5], 50]] }], services: [] });
    expect(old.edgeStats('a', 'b', B0, B1)).toEqual({ calls: 5, errors: 1, latencySumMs: 50 });
    expect(old.edgeVersions('a', 'b', B0, B1)).toBeNull();
  });

  it('answers as the calls summed per version and minute say, however the deltas split them', () => {
    const expected = (pieces: Piece[], from: number, to: number) => {
      const named = pieces.filter((p) => p.version !== null);
      const inRange = named.filter((p) => p.minute >= from && p.minute < to);
      const live = new Map<string, [number, number]>();
      for (const p of inRange) {
        const l = live.get(p.version!);
        live.set(p.version!, l ? [Math.min(l[0], p.minute), Math.max(l[1], p.minute)] : [p.minute, p.minute]);
      }
      const twoLive = (m: number) => [...live.values()].filter(([a, b]) => a <= m && m <= b).length > 1;
      const byVersion = new Map<string, [number, number]>();
      for (const p of inRange.filter((q) => twoLive(q.minute))) {
        const [c, e] = byVersion.get(p.version!) ?? [0, 0];
        byVersion.set(p.version!, [c + p.calls, e + Math.min(p.errors, p.calls)]);
      }
      if (byVersion.size < 2) return null;
      const firstSeen = (v: string) => B(Math.min(...named.filter((p) => p.version === v).map((p) => p.minute)));
      return [...byVersion].map(([v, [c, e]]) => [v, c, e, firstSeen(v)]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    };
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 4 }), (pieces, from, span) => {
        const store = new TraceAggregates();
        for (const p of pieces) {
          const errors = Math.min(p.errors, p.calls);
          store.apply({ edges: [p.version === null ? edgeAgg('checkout', 'payments', B(p.minute), Array.from({ length: p.calls }, (_, i) => [10, i < errors])) : calls(p.minute, [[p.version, p.calls, errors]])], services: [] });
        }
        const to = Math.min(4, from + span);
        expect(summary(store.edgeVersions('checkout', 'payments', B(from), B(to)))).toEqual(expected(pieces, from, to));
        const restored = TraceAggregates.fromJSON(JSON.parse(JSON.stringify(store.toJSON())));
        expect(summary(restored.edgeVersions('checkout', 'payments', B(from), B(to)))).toEqual(expected(pieces, from, to));
      }),
      { numRuns: 300 },
    );
  });
});

describe('an edge timed by whichever end it was slow at (decision 011)', () => {
  /** `calls` calls from caller to callee in B0: the callee answered in `answerMs`, the caller waited `waitedMs`. */
  function timed(caller: string, callee: string, calls: number, answerMs: number, waitedMs: number, uninstrumented = false): EdgeAggregate {
    const agg = edgeAgg(caller, callee, B0, Array.from({ length: calls }, () => [answerMs, false] as [number, boolean]), uninstrumented, uninstrumented ? 'database' : 'service');
    agg.clientLatencySumMs = calls * waitedMs;
    return agg;
  }
  const mean = (t: { calls: number; latencySumMs: number } | null): number => (t ? t.latencySumMs / t.calls : NaN);

  it("is timed by the callee's answers when the caller reads late, and its database calls lose what it adds", () => {
    const store = new TraceAggregates();
    // orders waits 300 ms longer than inventory and pricing take; catalog gets inventory's answers on time.
    store.apply({
      edges: [timed('orders', 'inventory', 10, 5, 305), timed('orders', 'pricing', 10, 8, 308), timed('catalog', 'inventory', 10, 5, 6), timed('orders', 'orders-db', 10, 320, 320, true)],
      services: [],
    });
    expect(mean(store.edgeStats('orders', 'inventory', B0, B1))).toBe(5);
    expect(mean(store.edgeStats('orders', 'orders-db', B0, B1))).toBe(20);
    expect(mean(store.edgeStats('catalog', 'inventory', B0, B1))).toBe(5);
  });

  it('is timed by what the callers waited when every caller waits for the same callee', () => {
    const store = new TraceAggregates();
    // pricing's answers leave 300 ms late: both its callers wait; orders' other dependency answers orders on time.
    store.apply({
      edges: [timed('orders', 'pricing', 10, 5, 305), timed('catalog', 'pricing', 10, 5, 305), timed('orders', 'inventory', 10, 5, 6), timed('orders', 'orders-db', 10, 3, 3, true)],
      services: [],
    });
    expect(mean(store.edgeStats('orders', 'pricing', B0, B1))).toBe(305);
    expect(mean(store.edgeStats('orders', 'inventory', B0, B1))).toBe(5);
    expect(mean(store.edgeStats('orders', 'orders-db', B0, B1))).toBe(3);
  });
});
