// The prefix-sum range queries (edgeStats, serviceStats) must agree with the plain merges (edges, services).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { TraceAggregates } from '../../../src/traces/trace-store.js';
import { addCall, emptyCallStats, TRACE_BUCKET_MS, type TraceDelta } from '../../../src/model/trace-aggregate.js';
import type { PeerKind } from '../../../src/model/span.js';
import { lazyTraceSignals } from '../../../src/rank/trace-signals.js';

const T0 = Date.parse('2026-10-14T08:00:00Z');

function delta(minute: number, calls: number, errors: number, latency: number, offGridMs = 0): TraceDelta {
  const s = emptyCallStats();
  for (let i = 0; i < calls; i++) addCall(s, latency, i < errors);
  const bucket = T0 + minute * TRACE_BUCKET_MS + offGridMs;
  return {
    edges: [{ caller: 'a', callee: 'b', bucket, calleeUninstrumented: false, calleeKind: 'service', ...s }],
    services: [{ service: 'b', bucket, originErrors: errors, ...s }],
  };
}

describe('range queries on trace aggregates', () => {
  it('agree with the plain merges for any buckets (in any arrival order), ranges and prunes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ minute: fc.integer({ min: 0, max: 90 }), calls: fc.integer({ min: 1, max: 20 }), errors: fc.integer({ min: 0, max: 5 }), latency: fc.integer({ min: 1, max: 900 }) }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: -5, max: 95 }),
        fc.integer({ min: 0, max: 100 }),
        fc.option(fc.integer({ min: 0, max: 90 })),
        (buckets, fromMin, span, pruneMin) => {
          const t = new TraceAggregates();
          for (const b of buckets) t.apply(delta(b.minute, b.calls, Math.min(b.errors, b.calls), b.latency));
          if (pruneMin !== null) {
            t.edgeStats('a', 'b', 0, Number.MAX_SAFE_INTEGER); // build the prefix, then prune must drop it
            t.serviceStats('b', 0, Number.MAX_SAFE_INTEGER);
            t.prune(T0 + pruneMin * TRACE_BUCKET_MS);
          }
          const from = T0 + fromMin * TRACE_BUCKET_MS + 1234;
          const to = from + span * TRACE_BUCKET_MS;
          const merged = t.edges(from, to)[0];
          const fast = t.edgeStats('a', 'b', from, to);
          if (!merged) expect(fast).toBeNull();
          else expect(fast).toEqual({ calls: merged.stats.calls, errors: merged.stats.errors, latencySumMs: merged.stats.latencySumMs });
          expect(t.edgeCalls('a', 'b', from, to)).toBe(merged?.stats.calls ?? 0);
          const svc = t.services(from, to).get('b');
          const fastSvc = t.serviceStats('b', from, to);
          if (!svc) expect(fastSvc).toBeNull();
          else expect(fastSvc).toEqual({ calls: svc.calls, errors: svc.errors, latencySumMs: svc.latencySumMs, originErrors: svc.originErrors });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agree with the plain merges whether the series is dense, sparse or off the minute grid', () => {
    fc.assert(
      fc.property(
        // Minutes spread over 40 (most minutes held) or 400 (most missing).
        fc.constantFrom(40, 400),
        fc.array(fc.record({ minute: fc.double({ min: 0, max: 1, noNaN: true }), calls: fc.integer({ min: 1, max: 9 }), errors: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 60 }),
        fc.boolean(),
        fc.array(fc.tuple(fc.integer({ min: -10 * TRACE_BUCKET_MS, max: 410 * TRACE_BUCKET_MS }), fc.integer({ min: 0, max: 120 * TRACE_BUCKET_MS })), { minLength: 1, maxLength: 8 }),
        (spread, buckets, offGrid, ranges) => {
          const t = new TraceAggregates();
          // Off the grid: one bucket half a minute late.
          buckets.forEach((b, i) => t.apply(delta(Math.floor(b.minute * spread), b.calls, Math.min(b.errors, b.calls), 20, offGrid && i === 0 ? 30_000 : 0)));
          for (const [fromOffset, span] of ranges) {
            const from = T0 + fromOffset;
            const to = from + span;
            const merged = t.edges(from, to)[0];
            const fast = t.edgeStats('a', 'b', from, to);
            if (!merged) expect(fast).toBeNull();
            else expect(fast).toEqual({ calls: merged.stats.calls, errors: merged.stats.errors, latencySumMs: merged.stats.latencySumMs });
            expect(t.serviceStats('b', from, to)?.calls ?? 0).toBe(t.services(from, to).get('b')?.calls ?? 0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keep topology (running per-edge totals) equal to a merge of the buckets since any time, through prunes', () => {
    const kinds: PeerKind[] = ['service', 'database', 'cache', 'queue', 'external'];
    const bucketArb = fc.record({
      edge: fc.constantFrom(['a', 'b'], ['a', 'db'], ['c', 'b']),
      minute: fc.integer({ min: 0, max: 60 }),
      calls: fc.integer({ min: 0, max: 9 }),
      uninstrumented: fc.boolean(),
      kind: fc.constantFrom(...kinds),
    });
    const step = fc.oneof(
      fc.record({ apply: fc.array(bucketArb, { minLength: 1, maxLength: 6 }) }),
      fc.record({ prune: fc.integer({ min: 0, max: 70 }) }),
      fc.record({ since: fc.integer({ min: -5, max: 70 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => {
        const t = new TraceAggregates();
        let versionBefore = t.version;
        let previous: { key: string; topology: unknown } | null = null;
        for (const s of steps) {
          if ('apply' in s) {
            t.apply({
              edges: s.apply.map((b) => {
                const stats = emptyCallStats();
                for (let i = 0; i < b.calls; i++) addCall(stats, 10, false);
                return { caller: b.edge[0]!, callee: b.edge[1]!, bucket: T0 + b.minute * TRACE_BUCKET_MS, calleeUninstrumented: b.uninstrumented, calleeKind: b.kind, ...stats };
              }),
              services: [],
            });
            expect(t.version).not.toBe(versionBefore);
          } else if ('prune' in s) {
            const edgesBefore = JSON.stringify(t.toJSON());
            t.prune(T0 + s.prune * TRACE_BUCKET_MS);
            // The version moves exactly when the held aggregates changed.
            expect(t.version !== versionBefore).toBe(JSON.stringify(t.toJSON()) !== edgesBefore);
          } else {
            const since = T0 + s.since * TRACE_BUCKET_MS + 17;
            const expected = t.edges(since, Number.MAX_SAFE_INTEGER).map((e) => ({
              caller: e.caller,
              callee: e.callee,
              stats: { calls: e.stats.calls },
              calleeUninstrumented: e.calleeUninstrumented,
              calleeKind: e.calleeKind,
              lastSeen: e.lastSeen,
            }));
            const byKey = (x: { caller: string; callee: string }) => `${x.caller}>${x.callee}`;
            const topology = [...t.topology(since)].sort((x, y) => byKey(x).localeCompare(byKey(y)));
            expect(topology).toEqual(expected.sort((x, y) => byKey(x).localeCompare(byKey(y))));
            // Equal keys promise equal topologies (what lets the engine keep its graph).
            const key = t.topologyKey(since);
            if (previous !== null && previous.key === key) expect(topology).toEqual(previous.topology);
            previous = { key, topology };
          }
          versionBefore = t.version;
        }
      }),
      { numRuns: 300 },
    );
  });

  describe('an edge baseline (edgeBaselineStats)', () => {
    /** Calls along a → b in minutes [from, to): `calls` a minute, `errors` failing, each taking `latency` ms. */
    function minutes(t: TraceAggregates, from: number, to: number, calls: number, errors: number, latency: number): void {
      for (let m = from; m < to; m++) t.apply(delta(m, calls, errors, latency));
    }
    const range = (fromMin: number, toMin: number): [number, number] => [T0 + fromMin * TRACE_BUCKET_MS, T0 + toMin * TRACE_BUCKET_MS];

    it('is the healthy level when a slowdown began in the last third of the range', () => {
      const t = new TraceAggregates();
      minutes(t, 0, 22, 10, 0, 20);
      minutes(t, 22, 30, 10, 0, 200);
      expect(t.edgeStats('a', 'b', ...range(0, 30))!.latencySumMs / 300).toBeCloseTo(68); // the mean: contaminated
      expect(t.edgeBaselineStats('a', 'b', ...range(0, 30))).toEqual({ calls: 300, errors: 0, latencySumMs: 300 * 20 });
    });

    it('ignores a burst of errors in one part, and keeps the rate that two parts share', () => {
      const t = new TraceAggregates();
      minutes(t, 0, 5, 10, 5, 20);
      minutes(t, 5, 30, 10, 1, 20);
      expect(t.edgeBaselineStats('a', 'b', ...range(0, 30))).toEqual({ calls: 300, errors: 30, latencySumMs: 300 * 20 });
    });

    it('is what the ranking judges a call against: a slowdown already minutes old still reads as one', () => {
      const t = new TraceAggregates();
      minutes(t, 0, 22, 10, 0, 20);
      minutes(t, 22, 40, 10, 0, 200);
      const source = {
        callers: () => ['a'],
        edge: (caller: string, callee: string, from: number, to: number) => t.edgeStats(caller, callee, from, to),
        edgeBaseline: (caller: string, callee: string, from: number, to: number) => t.edgeBaselineStats(caller, callee, from, to),
        service: () => null,
      };
      const [baselineFrom, from] = range(0, 30);
      const signals = lazyTraceSignals(source, { baselineFrom, from, to: T0 + 40 * TRACE_BUCKET_MS });
      expect(signals.edge!('a', 'b')).toMatchObject({ meanLatencyBase: 20, meanLatencyNow: 200, latencyAnomaly: 1 });
      expect(signals.get('b')!.incoming).toMatchObject({ meanLatencyBase: 20, latencyAnomaly: 1 });
      // Without a baseline of its own, the source's plain range is the baseline: the contaminated mean.
      const plain = lazyTraceSignals({ ...source, edgeBaseline: undefined }, { baselineFrom, from, to: T0 + 40 * TRACE_BUCKET_MS });
      expect(plain.edge!('a', 'b')!.meanLatencyBase).toBeCloseTo(68);
    });

    it('takes, for error rate and mean latency apart, the middle part of three, wherever it lies', () => {
      // One bucket per part (a 3-minute baseline), each with enough calls to be trusted; the reference sorts.
      const part = fc.record({ calls: fc.integer({ min: 5, max: 40 }), errorShare: fc.double({ min: 0, max: 1, noNaN: true }), latency: fc.integer({ min: 1, max: 900 }) });
      fc.assert(
        fc.property(fc.tuple(part, part, part), (parts) => {
          const t = new TraceAggregates();
          parts.forEach((p, m) => t.apply(delta(m, p.calls, Math.round(p.errorShare * p.calls), p.latency)));
          const middle = (xs: number[]): number => [...xs].sort((x, y) => x - y)[1]!;
          const calls = parts.reduce((n, p) => n + p.calls, 0);
          const errorRates = parts.map((p) => Math.round(p.errorShare * p.calls) / p.calls);
          expect(t.edgeBaselineStats('a', 'b', ...range(0, 3))).toEqual({
            calls,
            errors: middle(errorRates) * calls,
            latencySumMs: middle(parts.map((p) => p.latency)) * calls,
          });
        }),
        { numRuns: 500 },
      );
    });

    it('is the range\'s totals when fewer than three parts have enough calls to tell', () => {
      const t = new TraceAggregates();
      minutes(t, 0, 10, 1, 0, 20); // ten calls in the first part
      minutes(t, 10, 20, 10, 0, 30);
      minutes(t, 20, 30, 0, 0, 0);
      minutes(t, 25, 27, 2, 1, 100); // four calls in the last part
      expect(t.edgeBaselineStats('a', 'b', ...range(0, 30))).toEqual(t.edgeStats('a', 'b', ...range(0, 30)));
      expect(t.edgeBaselineStats('a', 'b', ...range(40, 70))).toBeNull();
    });
  });
  it('read the same buckets when both ends of a window are rounded up to whole buckets (how rankings share windows)', () => {
    const up = (ms: number) => Math.ceil(ms / TRACE_BUCKET_MS) * TRACE_BUCKET_MS;
    const BASELINE = 30 * TRACE_BUCKET_MS;
    fc.assert(
      fc.property(
        fc.array(fc.record({ minute: fc.integer({ min: 0, max: 90 }), calls: fc.integer({ min: 1, max: 20 }), errors: fc.integer({ min: 0, max: 5 }), latency: fc.integer({ min: 1, max: 900 }) }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 25 * TRACE_BUCKET_MS, max: 80 * TRACE_BUCKET_MS }),
        fc.integer({ min: 1, max: 15 * TRACE_BUCKET_MS }),
        (buckets, fromOffset, length) => {
          const t = new TraceAggregates();
          for (const b of buckets) t.apply(delta(b.minute, b.calls, Math.min(b.errors, b.calls), b.latency));
          const from = T0 + fromOffset;
          const to = from + length;
          expect(t.edgeStats('a', 'b', up(from), up(to))).toEqual(t.edgeStats('a', 'b', from, to));
          expect(t.serviceStats('b', up(from), up(to))).toEqual(t.serviceStats('b', from, to));
          // The baseline is read in thirds: whole buckets too when its length is.
          expect(t.edgeBaselineStats('a', 'b', up(from) - BASELINE, up(from))).toEqual(t.edgeBaselineStats('a', 'b', from - BASELINE, from));
        },
      ),
      { numRuns: 300 },
    );
  });
});

