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
  /** Totals over every bucket held, kept as buckets arrive: topology() reads these instead of the buckets. */
  summary: SeriesSummary;
}

interface SeriesSummary {
  calls: number;
  first: number;
  last: number;
  uninstrumented: boolean;
  kind: PeerKind;
}

interface ServiceSeries {
  buckets: Map<number, ServiceStats>;
  /** Earliest bucket held, so that prune skips series with nothing to drop. */
  first: number;
  prefix: PrefixSums | null;
}

function summarize(buckets: ReadonlyMap<number, EdgeBucket>): SeriesSummary {
  const summary: SeriesSummary = { calls: 0, first: Number.POSITIVE_INFINITY, last: Number.NEGATIVE_INFINITY, uninstrumented: true, kind: 'external' };
  let kind: PeerKind | undefined;
  for (const [b, stats] of buckets) {
    summary.calls += stats.calls;
    if (b < summary.first) summary.first = b;
    if (b > summary.last) summary.last = b;
    summary.uninstrumented &&= stats.uninstrumented;
    kind = kind === undefined ? stats.kind : strongerCalleeKind(kind, stats.kind);
  }
  if (kind !== undefined) summary.kind = kind;
  return summary;
}

function copyHistogram(hist: readonly number[]): number[] {
  const out = new Array<number>(LATENCY_BUCKETS);
  for (let i = 0; i < LATENCY_BUCKETS; i++) out[i] = hist[i] ?? 0;
  return out;
}

interface PrefixSums {
  starts: Float64Array;
  /** cumulative[i] = sum over the first i buckets; length starts.length + 1. */
  calls: Float64Array;
  errors: Float64Array;
  latency: Float64Array;
  /** Origin errors (service series only). */
  origin: Float64Array | null;
}

/** One object shape for every series' sums: range queries stay monomorphic. */
function buildPrefix(buckets: ReadonlyMap<number, CallTotals & { originErrors?: number }>, withOrigin: boolean): PrefixSums {
  // Buckets nearly always arrive in time order: read them once, and sort (by start) only when they did not.
  const n = buckets.size;
  let starts = new Float64Array(n);
  let rows: Array<CallTotals & { originErrors?: number }> = new Array(n);
  let i = 0;
  let sorted = true;
  for (const [b, stats] of buckets) {
    if (i > 0 && b < starts[i - 1]!) sorted = false;
    starts[i] = b;
    rows[i++] = stats;
  }
  if (!sorted) {
    const order = Array.from({ length: n }, (_, k) => k).sort((x, y) => starts[x]! - starts[y]!);
    rows = order.map((k) => rows[k]!);
    starts = Float64Array.from(order, (k) => starts[k]!);
  }
  // A typed array: the binary searches over it are most of a range query, and they run unboxed.
  const calls = new Float64Array(n + 1);
  const errors = new Float64Array(n + 1);
  const latency = new Float64Array(n + 1);
  const origin = withOrigin ? new Float64Array(n + 1) : null;
  for (let k = 0; k < n; k++) {
    const b = rows[k]!;
    calls[k + 1] = calls[k]! + b.calls;
    errors[k + 1] = errors[k]! + b.errors;
    latency[k + 1] = latency[k]! + b.latencySumMs;
    if (origin !== null) origin[k + 1] = origin[k]! + b.originErrors!;
  }
  return { starts, calls, errors, latency, origin };
}

/** Index of the first start ≥ t. */
function lowerBound(starts: ArrayLike<number>, t: number): number {
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
  /** Edge series in arrival order (which every listing keeps), by caller + SEP + callee. */
  private readonly edgeSeries = new Map<string, EdgeSeries>();
  /** The same series by caller, then callee: point lookups build no key string. */
  private readonly edgeIndex = new Map<string, Map<string, EdgeSeries>>();
  private readonly serviceSeries = new Map<string, ServiceSeries>();
  private changes = 0;
  private latest = Number.NEGATIVE_INFINITY;
  /** Start of the earliest edge bucket held (+∞ when none). */
  private earliestEdgeBucket = Number.POSITIVE_INFINITY;

  /** Changes whenever the held aggregates change (apply with content, prune that dropped something). */
  get version(): number {
    return this.changes;
  }

  /** Start of the latest bucket ever applied (ms); −∞ when none. */
  get latestBucket(): number {
    return this.latest;
  }

  /**
   * Identifies what topology(since) returns: equal keys mean equal results, so a caller can keep a graph built from
   * it. Any `since` at or before the earliest bucket held sees every bucket, hence one key for all of them.
   */
  topologyKey(since: number): string {
    return since <= this.earliestEdgeBucket ? `${this.changes}:all` : `${this.changes}:${since}`;
  }

  apply(delta: TraceDelta): void {
    if (delta.edges.length > 0 || delta.services.length > 0) this.changes++;
    for (const e of delta.edges) {
      let byCallee = this.edgeIndex.get(e.caller);
      if (byCallee === undefined) this.edgeIndex.set(e.caller, (byCallee = new Map()));
      let series = byCallee.get(e.callee);
      if (series === undefined) {
        series = {
          caller: e.caller,
          callee: e.callee,
          buckets: new Map(),
          prefix: null,
          summary: { calls: 0, first: e.bucket, last: e.bucket, uninstrumented: e.calleeUninstrumented, kind: e.calleeKind },
        };
        byCallee.set(e.callee, series);
        this.edgeSeries.set(e.caller + SEP + e.callee, series);
      }
      series.prefix = null;
      const bucket = series.buckets.get(e.bucket);
      if (bucket === undefined) {
        if (e.bucket < this.earliestEdgeBucket) this.earliestEdgeBucket = e.bucket;
        series.buckets.set(e.bucket, {
          calls: e.calls,
          errors: e.errors,
          latencySumMs: e.latencySumMs,
          latencyHist: copyHistogram(e.latencyHist),
          uninstrumented: e.calleeUninstrumented,
          kind: e.calleeKind,
        });
      } else {
        bucket.uninstrumented = bucket.uninstrumented && e.calleeUninstrumented;
        bucket.kind = strongerCalleeKind(bucket.kind, e.calleeKind);
        mergeCallStats(bucket, e);
      }
      // Both folds are commutative (AND, strongest kind), so the summary equals one computed over the buckets.
      const sum = series.summary;
      sum.calls += e.calls;
      if (e.bucket < sum.first) sum.first = e.bucket;
      if (e.bucket > sum.last) sum.last = e.bucket;
      sum.uninstrumented = sum.uninstrumented && e.calleeUninstrumented;
      sum.kind = strongerCalleeKind(sum.kind, e.calleeKind);
      if (e.bucket > this.latest) this.latest = e.bucket;
    }
    for (const s of delta.services) {
      let series = this.serviceSeries.get(s.service);
      if (series === undefined) this.serviceSeries.set(s.service, (series = { buckets: new Map(), first: s.bucket, prefix: null }));
      series.prefix = null;
      if (s.bucket < series.first) series.first = s.bucket;
      const bucket = series.buckets.get(s.bucket);
      if (bucket === undefined) {
        series.buckets.set(s.bucket, {
          calls: s.calls,
          errors: s.errors,
          latencySumMs: s.latencySumMs,
          latencyHist: copyHistogram(s.latencyHist),
          originErrors: s.originErrors,
        });
      } else {
        mergeCallStats(bucket, s);
        bucket.originErrors += s.originErrors;
      }
      if (s.bucket > this.latest) this.latest = s.bucket;
    }
  }

  /** Drops every bucket that starts before `olderThan` (ms), and series left empty. Skips series with nothing that old. */
  prune(olderThan: number): void {
    let pruned = false;
    for (const [key, series] of this.edgeSeries) {
      if (series.summary.first >= olderThan) continue;
      for (const b of series.buckets.keys()) if (b < olderThan) series.buckets.delete(b);
      this.changes++;
      pruned = true;
      series.prefix = null;
      if (series.buckets.size === 0) {
        this.edgeSeries.delete(key);
        const byCallee = this.edgeIndex.get(series.caller)!;
        byCallee.delete(series.callee);
        if (byCallee.size === 0) this.edgeIndex.delete(series.caller);
      } else {
        series.summary = summarize(series.buckets);
      }
    }
    if (pruned) {
      this.earliestEdgeBucket = Number.POSITIVE_INFINITY;
      for (const series of this.edgeSeries.values()) this.earliestEdgeBucket = Math.min(this.earliestEdgeBucket, series.summary.first);
    }
    for (const [service, series] of this.serviceSeries) {
      if (series.first >= olderThan) continue;
      for (const b of series.buckets.keys()) if (b < olderThan) series.buckets.delete(b);
      this.changes++;
      series.prefix = null;
      if (series.buckets.size === 0) this.serviceSeries.delete(service);
      else series.first = Math.min(...series.buckets.keys());
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
    const series = this.edgeIndex.get(caller)?.get(callee);
    if (series === undefined) return null;
    const p = (series.prefix ??= buildPrefix(series.buckets, false));
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
      const sum = series.summary;
      if (sum.first >= since) {
        // Every bucket is in range: the running summary is the answer.
        out.push({ caller: series.caller, callee: series.callee, stats: { calls: sum.calls }, calleeUninstrumented: sum.uninstrumented, calleeKind: sum.kind, lastSeen: sum.last });
        continue;
      }
      if (sum.last < since) continue;
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
      forEachBucketIn(this.serviceSeries.get(service)!.buckets, from, to, (_b, stats) => {
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
    const p = (series.prefix ??= buildPrefix(series.buckets, true));
    const lo = lowerBound(p.starts, from);
    const hi = lowerBound(p.starts, to);
    if (hi <= lo) return null;
    return {
      calls: p.calls[hi]! - p.calls[lo]!,
      errors: p.errors[hi]! - p.errors[lo]!,
      latencySumMs: p.latency[hi]! - p.latency[lo]!,
      originErrors: p.origin![hi]! - p.origin![lo]!,
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
        buckets: [...series.buckets].map(([b, st]) => [b, st.calls, st.errors, st.latencySumMs, st.originErrors, trimHistogram(st.latencyHist)] as const),
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
