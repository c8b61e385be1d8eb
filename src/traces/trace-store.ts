// Trace aggregates over time for analysis: TraceDeltas folded into per-bucket series, queried over a time range.
import { z } from 'zod';
import type { PeerKind } from '../model/span.js';
import {
  emptyCallStats,
  LATENCY_BUCKETS,
  mergeCallStats,
  type CallStats,
  type CallTotals,
  type TraceDelta,
  TRACE_BUCKET_MS,
} from '../model/trace-aggregate.js';
import { strongerCalleeKind } from './callee-kind.js';

export interface EdgeSummary {
  caller: string;
  callee: string;
  stats: CallStats;
  calleeUninstrumented: boolean;
  calleeKind: PeerKind;
  /** Start (ms) of the latest bucket in the queried range that holds calls of this edge. */
  lastSeen: number;
}

export type ServiceStats = CallStats & { originErrors: number };

interface EdgeBucket extends CallStats {
  uninstrumented: boolean;
  kind: PeerKind;
}

interface EdgeSeries {
  caller: string;
  callee: string;
  buckets: Map<number, EdgeBucket>;
  /** Prefix sums over the buckets in time order, built on first range query, dropped when the series changes. */
  prefix: PrefixSums | null;
}

interface PrefixSums {
  starts: number[];
  /** cumulative[i] = sum over the first i buckets; length starts.length + 1. */
  calls: Float64Array;
  errors: Float64Array;
  latency: Float64Array;
}

function buildPrefix(buckets: ReadonlyMap<number, CallTotals>): PrefixSums {
  const starts = [...buckets.keys()].sort((a, b) => a - b);
  const n = starts.length;
  const calls = new Float64Array(n + 1);
  const errors = new Float64Array(n + 1);
  const latency = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const b = buckets.get(starts[i]!)!;
    calls[i + 1] = calls[i]! + b.calls;
    errors[i + 1] = errors[i]! + b.errors;
    latency[i + 1] = latency[i]! + b.latencySumMs;
  }
  return { starts, calls, errors, latency };
}

/** Index of the first start ≥ t. */
function lowerBound(starts: readonly number[], t: number): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// Names never hold NUL, so it separates caller and callee in a key without ambiguity.
const SEP = '\u0000';

const PEER_KINDS = ['service', 'database', 'cache', 'queue', 'external'] as const satisfies readonly PeerKind[];

const Count = z.number().int().nonnegative();
const Histogram = z.array(Count).max(LATENCY_BUCKETS);
/** Persisted form: one row per bucket, histograms with trailing zeros trimmed. Version 1. */
const TraceAggregatesJsonSchema = z.object({
  v: z.literal(1),
  edges: z.array(
    z.object({
      caller: z.string(),
      callee: z.string(),
      // [bucket, calls, errors, latencySumMs, uninstrumented 0|1, kind, histogram]
      buckets: z.array(z.tuple([z.number(), Count, Count, z.number().nonnegative(), z.union([z.literal(0), z.literal(1)]), z.enum(PEER_KINDS), Histogram])),
    }),
  ),
  services: z.array(
    z.object({
      service: z.string(),
      // [bucket, calls, errors, latencySumMs, originErrors, histogram]
      buckets: z.array(z.tuple([z.number(), Count, Count, z.number().nonnegative(), Count, Histogram])),
    }),
  ),
});
export type TraceAggregatesJson = z.infer<typeof TraceAggregatesJsonSchema>;

function trimHistogram(hist: readonly number[]): number[] {
  let end = hist.length;
  while (end > 0 && hist[end - 1] === 0) end--;
  return hist.slice(0, end);
}

function padHistogram(hist: readonly number[]): number[] {
  const out = new Array<number>(LATENCY_BUCKETS).fill(0);
  for (let i = 0; i < hist.length; i++) out[i] = hist[i]!;
  return out;
}

/**
 * Visits the buckets of a series that start in [from, to). Buckets start on multiples of TRACE_BUCKET_MS, so a
 * short range looks up its few bucket starts instead of scanning hours of stored buckets.
 */
function forEachBucketIn<T>(buckets: Map<number, T>, from: number, to: number, visit: (bucket: number, stats: T) => void): void {
  const first = Math.ceil(from / TRACE_BUCKET_MS) * TRACE_BUCKET_MS;
  const steps = (to - first) / TRACE_BUCKET_MS;
  if (steps < buckets.size) {
    for (let b = first; b < to; b += TRACE_BUCKET_MS) {
      const stats = buckets.get(b);
      if (stats !== undefined) visit(b, stats);
    }
  } else {
    for (const [b, stats] of buckets) if (b >= from && b < to) visit(b, stats);
  }
}

export class TraceAggregates {
  private readonly edgeSeries = new Map<string, EdgeSeries>();
  private readonly serviceSeries = new Map<string, Map<number, ServiceStats>>();
  /** Prefix sums per service series (like EdgeSeries.prefix), built on first query, dropped when it changes. */
  private readonly servicePrefix = new Map<string, PrefixSums & { origin: Float64Array }>();

  apply(delta: TraceDelta): void {
    for (const e of delta.edges) {
      const key = e.caller + SEP + e.callee;
      let series = this.edgeSeries.get(key);
      if (series === undefined) this.edgeSeries.set(key, (series = { caller: e.caller, callee: e.callee, buckets: new Map(), prefix: null }));
      series.prefix = null;
      let bucket = series.buckets.get(e.bucket);
      if (bucket === undefined) {
        series.buckets.set(e.bucket, (bucket = { ...emptyCallStats(), uninstrumented: e.calleeUninstrumented, kind: e.calleeKind }));
      } else {
        bucket.uninstrumented = bucket.uninstrumented && e.calleeUninstrumented;
        bucket.kind = strongerCalleeKind(bucket.kind, e.calleeKind);
      }
      mergeCallStats(bucket, e);
    }
    for (const s of delta.services) {
      let series = this.serviceSeries.get(s.service);
      if (series === undefined) this.serviceSeries.set(s.service, (series = new Map()));
      this.servicePrefix.delete(s.service);
      let bucket = series.get(s.bucket);
      if (bucket === undefined) series.set(s.bucket, (bucket = { ...emptyCallStats(), originErrors: 0 }));
      mergeCallStats(bucket, s);
      bucket.originErrors += s.originErrors;
    }
  }

  /** Drops every bucket that starts before `olderThan` (ms), and series left empty. */
  prune(olderThan: number): void {
    for (const [key, series] of this.edgeSeries) {
      for (const b of series.buckets.keys()) {
        if (b < olderThan) {
          series.buckets.delete(b);
          series.prefix = null;
        }
      }
      if (series.buckets.size === 0) this.edgeSeries.delete(key);
    }
    for (const [service, series] of this.serviceSeries) {
      this.servicePrefix.delete(service);
      for (const b of series.keys()) if (b < olderThan) series.delete(b);
      if (series.size === 0) this.serviceSeries.delete(service);
    }
  }

  /** Edges with buckets in [from, to), their buckets merged; ordered by caller, then callee. */
  edges(from: number, to: number): EdgeSummary[] {
    const out: EdgeSummary[] = [];
    for (const series of this.edgeSeries.values()) {
      let summary: EdgeSummary | undefined;
      forEachBucketIn(series.buckets, from, to, (b, stats) => {
        if (summary === undefined) {
          summary = { caller: series.caller, callee: series.callee, stats: emptyCallStats(), calleeUninstrumented: stats.uninstrumented, calleeKind: stats.kind, lastSeen: b };
        } else {
          summary.calleeUninstrumented = summary.calleeUninstrumented && stats.uninstrumented;
          summary.calleeKind = strongerCalleeKind(summary.calleeKind, stats.kind);
          if (b > summary.lastSeen) summary.lastSeen = b;
        }
        mergeCallStats(summary.stats, stats);
      });
      if (summary !== undefined) out.push(summary);
    }
    return out.sort((a, b) => (a.caller < b.caller ? -1 : a.caller > b.caller ? 1 : a.callee < b.callee ? -1 : a.callee > b.callee ? 1 : 0));
  }

  /**
   * One edge's call totals over [from, to) (no histogram: rates and means are what analysis reads); null when
   * the edge carried no call in that range. O(range buckets).
   */
  edgeStats(caller: string, callee: string, from: number, to: number): CallTotals | null {
    const series = this.edgeSeries.get(caller + SEP + callee);
    if (series === undefined) return null;
    const p = (series.prefix ??= buildPrefix(series.buckets));
    const lo = lowerBound(p.starts, from);
    const hi = lowerBound(p.starts, to);
    if (hi <= lo) return null;
    return { calls: p.calls[hi]! - p.calls[lo]!, errors: p.errors[hi]! - p.errors[lo]!, latencySumMs: p.latency[hi]! - p.latency[lo]! };
  }

  /**
   * Every edge seen at or after `since`, with its total calls and latest bucket: what the dependency graph needs,
   * without merging latency statistics. O(edges × buckets kept) but allocation-light.
   */
  topology(since: number): Array<{ caller: string; callee: string; stats: { calls: number }; calleeUninstrumented: boolean; calleeKind: PeerKind; lastSeen: number }> {
    const out = [];
    for (const series of this.edgeSeries.values()) {
      let calls = 0;
      let lastSeen = Number.NEGATIVE_INFINITY;
      let uninstrumented = true;
      let kind: PeerKind | undefined;
      for (const [b, stats] of series.buckets) {
        if (b < since) continue;
        calls += stats.calls;
        if (b > lastSeen) lastSeen = b;
        uninstrumented &&= stats.uninstrumented;
        kind = kind === undefined ? stats.kind : strongerCalleeKind(kind, stats.kind);
      }
      if (kind !== undefined) out.push({ caller: series.caller, callee: series.callee, stats: { calls }, calleeUninstrumented: uninstrumented, calleeKind: kind, lastSeen });
    }
    return out;
  }

  /** Per-service stats with buckets in [from, to), merged. */
  services(from: number, to: number): Map<string, ServiceStats> {
    const out = new Map<string, ServiceStats>();
    for (const service of [...this.serviceSeries.keys()].sort()) {
      let merged: ServiceStats | undefined;
      forEachBucketIn(this.serviceSeries.get(service)!, from, to, (_b, stats) => {
        merged ??= { ...emptyCallStats(), originErrors: 0 };
        mergeCallStats(merged, stats);
        merged.originErrors += stats.originErrors;
      });
      if (merged !== undefined) out.set(service, merged);
    }
    return out;
  }

  /** One service's own totals over [from, to); null when it has none in that range. O(range buckets). */
  serviceStats(service: string, from: number, to: number): (CallTotals & { originErrors: number }) | null {
    const series = this.serviceSeries.get(service);
    if (series === undefined) return null;
    let p = this.servicePrefix.get(service);
    if (p === undefined) {
      const base = buildPrefix(series);
      const origin = new Float64Array(base.starts.length + 1);
      base.starts.forEach((b, i) => (origin[i + 1] = origin[i]! + series.get(b)!.originErrors));
      this.servicePrefix.set(service, (p = { ...base, origin }));
    }
    const lo = lowerBound(p.starts, from);
    const hi = lowerBound(p.starts, to);
    if (hi <= lo) return null;
    return {
      calls: p.calls[hi]! - p.calls[lo]!,
      errors: p.errors[hi]! - p.errors[lo]!,
      latencySumMs: p.latency[hi]! - p.latency[lo]!,
      originErrors: p.origin[hi]! - p.origin[lo]!,
    };
  }


  /** Every service named by any retained aggregate (callers, callees, services), sorted. */
  allServices(): string[] {
    const names = new Set<string>(this.serviceSeries.keys());
    for (const series of this.edgeSeries.values()) {
      names.add(series.caller);
      names.add(series.callee);
    }
    return [...names].sort();
  }

  toJSON(): TraceAggregatesJson {
    return {
      v: 1,
      edges: [...this.edgeSeries.values()].map((s) => ({
        caller: s.caller,
        callee: s.callee,
        buckets: [...s.buckets].map(([b, st]) => [b, st.calls, st.errors, st.latencySumMs, st.uninstrumented ? 1 : 0, st.kind, trimHistogram(st.latencyHist)] as const),
      })),
      services: [...this.serviceSeries].map(([service, series]) => ({
        service,
        buckets: [...series].map(([b, st]) => [b, st.calls, st.errors, st.latencySumMs, st.originErrors, trimHistogram(st.latencyHist)] as const),
      })),
    } as TraceAggregatesJson;
  }

  /** Restores persisted aggregates; throws a ZodError naming the bad field when `json` is not what toJSON wrote. */
  static fromJSON(json: unknown): TraceAggregates {
    const data = TraceAggregatesJsonSchema.parse(json);
    const store = new TraceAggregates();
    store.apply({
      edges: data.edges.flatMap((e) =>
        e.buckets.map(([bucket, calls, errors, latencySumMs, uninstrumented, kind, hist]) => ({
          caller: e.caller,
          callee: e.callee,
          bucket,
          calls,
          errors,
          latencySumMs,
          latencyHist: padHistogram(hist),
          calleeUninstrumented: uninstrumented === 1,
          calleeKind: kind,
        })),
      ),
      services: data.services.flatMap((s) =>
        s.buckets.map(([bucket, calls, errors, latencySumMs, originErrors, hist]) => ({
          service: s.service,
          bucket,
          calls,
          errors,
          latencySumMs,
          originErrors,
          latencyHist: padHistogram(hist),
        })),
      ),
    });
    return store;
  }
}
