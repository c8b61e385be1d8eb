// The prefix-sum range queries (edgeStats, serviceStats) must agree with the plain merges (edges, services).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { TraceAggregates } from '../../../src/traces/trace-store.js';
import { addCall, emptyCallStats, TRACE_BUCKET_MS, type TraceDelta } from '../../../src/model/trace-aggregate.js';

const T0 = Date.parse('2026-10-14T08:00:00Z');

function delta(minute: number, calls: number, errors: number, latency: number): TraceDelta {
  const s = emptyCallStats();
  for (let i = 0; i < calls; i++) addCall(s, latency, i < errors);
  const bucket = T0 + minute * TRACE_BUCKET_MS;
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
          const svc = t.services(from, to).get('b');
          const fastSvc = t.serviceStats('b', from, to);
          if (!svc) expect(fastSvc).toBeNull();
          else expect(fastSvc).toEqual({ calls: svc.calls, errors: svc.errors, latencySumMs: svc.latencySumMs, originErrors: svc.originErrors });
        },
      ),
      { numRuns: 300 },
    );
  });
});
