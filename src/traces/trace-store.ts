// Trace aggregates over time for analysis: TraceDeltas folded into per-bucket series, queried over a time range.
import { z } from 'zod';
import type { PeerKind } from '../model/span.js';
import {
  emptyCallStats,
  LATENCY_BUCKETS,
  mergeCallStats,
  type CallStats,
  type CallTotals,
  addVersionTotals,
  type EdgeAggregate,
  type TraceDelta,
  type VersionTotals,
  type VersionWindow,
} from '../model/trace-aggregate.js';
import { strongerCalleeKind } from './callee-kind.js';
import { driftOf, gapIsCallers, senderEvidence, sendingDelayMs, type EdgeTimes, type SenderEvidence } from './slow-sender.js';

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

/**
 * A row's totals per version: a service's own spans per its service.version (ServiceAggregate.versions), an edge's calls
 * per its caller's (EdgeAggregate.versions). Nearly every minute has one version, named by all its spans: that row keeps
 * the name alone (`version`; its totals are the row's own), not an array of one, which took half as much memory again
 * as the row's stats (bench/trace-memory.bench.ts). `versions` holds the minutes of a rollout or a canary (two
 * versions), and minutes where some spans named none.
 */
type VersionedRow = CallTotals & { version?: string; versions?: VersionTotals[] };

type ServiceRow = ServiceStats & VersionedRow;

/** The one version every span of the aggregate named, or undefined. */
function soleVersion(s: CallTotals & { versions?: readonly VersionTotals[] }): string | undefined {
  const only = s.versions?.length === 1 ? s.versions[0]! : undefined;
  return only !== undefined && only.calls === s.calls && only.errors === s.errors && only.latencySumMs === s.latencySumMs ? only.version : undefined;
}

/** The row's spans per version (an empty list when none named one). */
function versionsOf(row: VersionedRow): readonly VersionTotals[] {
  if (row.version !== undefined) return [{ version: row.version, calls: row.calls, errors: row.errors, latencySumMs: row.latencySumMs }];
  return row.versions ?? [];
}

/**
 * A new service row's versions from its aggregate's, in their compact form, to spread into the row's literal: a field
 * added to a row after it is built would move its fields out of the object, 32 bytes a row (bench/trace-memory.bench.ts).
 */
function compactVersions(s: CallTotals & { versions?: readonly VersionTotals[] }): { version: string } | { versions: VersionTotals[] } | undefined {
  if (!s.versions) return undefined;
  const sole = soleVersion(s);
  return sole !== undefined ? { version: sole } : { versions: s.versions.map((v) => ({ ...v })) };
}

/**
 * Adds an aggregate's versions to the row of its minute, keeping them in their compact form. Before the row's totals
 * take the aggregate's: a compact row's one version reads the row's totals.
 */
function mergeVersions(row: VersionedRow, s: CallTotals & { versions?: readonly VersionTotals[] }): void {
  const sole = row.version;
  // Still one version named by every span: the row's totals remain its totals.
  if (sole !== undefined && soleVersion(s) !== sole) {
    row.versions = [...versionsOf(row)];
    // Not `delete`: that would turn the row into a dictionary, slower to read and larger.
    row.version = undefined;
  }
  if (row.version === undefined && s.versions) for (const v of s.versions) addVersionTotals((row.versions ??= []), v.version, v.calls, v.errors, v.latencySumMs);
}

/**
 * A new edge row, its versions in their compact form. Each shape is one literal: a field added to a row after it is
 * built, or spread into it, takes 8–48 bytes more a row, and edge rows are the store's most numerous
 * (bench/trace-memory.bench.ts).
 */
function newEdgeRow(e: EdgeAggregate): EdgeBucket {
  const { calls, errors, latencySumMs } = e;
  const clientLatencySumMs = e.clientLatencySumMs ?? latencySumMs;
  const latencyHist = copyHistogram(e.latencyHist);
  const uninstrumented = e.calleeUninstrumented;
  const kind = e.calleeKind;
  if (!e.versions) return { calls, errors, latencySumMs, clientLatencySumMs, latencyHist, uninstrumented, kind };
  const version = soleVersion(e);
  if (version !== undefined) return { calls, errors, latencySumMs, clientLatencySumMs, latencyHist, uninstrumented, kind, version };
  return { calls, errors, latencySumMs, clientLatencySumMs, latencyHist, uninstrumented, kind, versions: e.versions.map((v) => ({ ...v })) };
}

/** Whether a row holds two or more versions. */
function twoVersions(row: VersionedRow): boolean {
  return row.versions !== undefined && row.versions.length > 1;
}

/**
 * Totals per version over the rows of [from, to) in the minutes two or more versions served (by default: the row's
 * own); null when there are none (one version at a time, or spans that named none). Each version's firstSeen is the
 * first bucket held in which it served. O(buckets held) for a series with two versions in range, O(range buckets)
 * otherwise.
 */
function versionsIn(series: BucketSeries<VersionedRow>, from: number, to: number, bothServed = (_start: number, row: VersionedRow) => twoVersions(row)): VersionWindow[] | null {
  const totals: VersionTotals[] = [];
  // Only the minutes in which two versions served: a rollout's one minute of both says nothing of the failure an
  // unrelated fault brings minutes later to the version that then serves alone.
  forEachBucketIn(series, from, to, (start, row) => {
    if (bothServed(start, row)) for (const v of versionsOf(row)) addVersionTotals(totals, v.version, v.calls, v.errors, v.latencySumMs);
  });
  if (totals.length < 2) return null;
  const out: VersionWindow[] = totals.map((v) => ({ ...v, firstSeen: Number.POSITIVE_INFINITY }));
  let unseen = out.length;
  for (let i = 0; i < series.rows.length && unseen > 0; i++) {
    for (const { version } of versionsOf(series.rows[i]!)) {
      const w = out.find((o) => o.version === version);
      if (w !== undefined && w.firstSeen === Number.POSITIVE_INFINITY) {
        w.firstSeen = series.starts[i]!;
        unseen--;
      }
    }
  }
  return out;
}

/** The first and last bucket of [from, to) in which each version served, over the given series. */
function versionLifetimes(series: ReadonlyArray<BucketSeries<VersionedRow>>, from: number, to: number): Array<{ first: number; last: number }> {
  const byVersion = new Map<string, { first: number; last: number }>();
  for (const one of series) {
    forEachBucketIn(one, from, to, (start, row) => {
      for (const { version } of versionsOf(row)) {
        const l = byVersion.get(version);
        if (l === undefined) byVersion.set(version, { first: start, last: start });
        else {
          if (start < l.first) l.first = start;
          if (start > l.last) l.last = start;
        }
      }
    });
  }
  return [...byVersion.values()];
}

interface EdgeBucket extends CallStats, VersionedRow {
  /** The same calls timed by the caller's client spans (EdgeAggregate.clientLatencySumMs). */
  clientLatencySumMs: number;
  uninstrumented: boolean;
  kind: PeerKind;
}

/**
 * A series' buckets in time order: `rows[i]` starts at `starts[i]` (ms). Buckets nearly always arrive in time
 * order, so adding one is an append or a merge into the last, and a late one is found by binary search. Sorted
 * arrays rather than a Map keyed by start: no hashing of a start (not a small integer) for every delta, and range
 * queries, prefix sums and prune read them in order without sorting.
 */
interface BucketSeries<T> {
  /** Unboxed when they hold epoch milliseconds (not small integers), so the binary searches over them are cheap. */
  starts: number[];
  rows: T[];
  /** Prefix sums over the rows, built on first range query, dropped when the series changes. */
  prefix: PrefixSums | null;
}

interface EdgeSeries extends BucketSeries<EdgeBucket> {
  caller: string;
  callee: string;
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

type ServiceSeries = BucketSeries<ServiceRow>;

function summarize(series: EdgeSeries): SeriesSummary {
  const { starts, rows } = series;
  const summary: SeriesSummary = { calls: 0, first: starts[0]!, last: starts[starts.length - 1]!, uninstrumented: true, kind: rows[0]!.kind };
  for (const stats of rows) {
    summary.calls += stats.calls;
    summary.uninstrumented &&= stats.uninstrumented;
    summary.kind = strongerCalleeKind(summary.kind, stats.kind);
  }
  return summary;
}

function copyHistogram(hist: readonly number[]): number[] {
  const out = new Array<number>(LATENCY_BUCKETS);
  for (let i = 0; i < LATENCY_BUCKETS; i++) out[i] = hist[i] ?? 0;
  return out;
}

/**
 * Running totals over a series' rows, one row of PREFIX_STRIDE numbers per bucket boundary: row k holds calls,
 * errors, latency and a fourth number (origin errors of a service, the client-timed latency of an edge) summed over
 * the first k buckets, so a range's totals are row hi − row lo. One array, the row's numbers side by side: a query
 * reads two places in memory, not eight.
 */
type PrefixSums = Float64Array;
const PREFIX_STRIDE = 4;

function buildPrefix(rows: ReadonlyArray<CallTotals & { originErrors?: number; clientLatencySumMs?: number }>): PrefixSums {
  const sums = new Float64Array((rows.length + 1) * PREFIX_STRIDE);
  for (let k = 0, at = PREFIX_STRIDE; k < rows.length; k++, at += PREFIX_STRIDE) {
    const b = rows[k]!;
    sums[at] = sums[at - PREFIX_STRIDE]! + b.calls;
    sums[at + 1] = sums[at + 1 - PREFIX_STRIDE]! + b.errors;
    sums[at + 2] = sums[at + 2 - PREFIX_STRIDE]! + b.latencySumMs;
    sums[at + 3] = sums[at + 3 - PREFIX_STRIDE]! + (b.originErrors ?? b.clientLatencySumMs ?? 0);
  }
  return sums;
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

/** Where a series holds the bucket starting at `start`: its index, or −1 − the index where it belongs. */
function bucketIndex(starts: readonly number[], start: number): number {
  const n = starts.length;
  // Nearly always the latest bucket, or a new one after it: no search.
  if (n === 0 || start > starts[n - 1]!) return -1 - n;
  const i = start === starts[n - 1] ? n - 1 : lowerBound(starts, start);
  return starts[i] === start ? i : -1 - i;
}

/** Adds a row where bucketIndex said it belongs (−1 − index), keeping the series in time order. */
function insertBucket<T>(series: BucketSeries<T>, index: number, start: number, row: T): void {
  const at = -1 - index;
  if (at === series.starts.length) {
    series.starts.push(start);
    series.rows.push(row);
  } else {
    series.starts.splice(at, 0, start);
    series.rows.splice(at, 0, row);
  }
}

// Names never hold NUL, so it separates caller and callee in a key without ambiguity.
const SEP = '\u0000';

const PEER_KINDS = ['service', 'database', 'cache', 'queue', 'external'] as const satisfies readonly PeerKind[];

const Count = z.number().int().nonnegative();
const Histogram = z.array(Count).max(LATENCY_BUCKETS);
const VersionsJson = z.array(z.tuple([z.string(), Count, Count, z.number().nonnegative()]));
/** Persisted form: one row per bucket, histograms with trailing zeros trimmed. Version 1. */
const TraceAggregatesJsonSchema = z.object({
  v: z.literal(1),
  edges: z.array(
    z.object({
      caller: z.string(),
      callee: z.string(),
      // [bucket, calls, errors, latencySumMs, uninstrumented 0|1, kind, histogram, clientLatencySumMs (absent: = latencySumMs),
      //  versions of the caller: [version, calls, errors, latencySumMs][]]
      buckets: z.array(
        z.tuple([
          z.number(),
          Count,
          Count,
          z.number().nonnegative(),
          z.union([z.literal(0), z.literal(1)]),
          z.enum(PEER_KINDS),
          Histogram,
          z.number().nonnegative().optional(),
          VersionsJson.optional(),
        ]),
      ),
    }),
  ),
  services: z.array(
    z.object({
      service: z.string(),
      // [bucket, calls, errors, latencySumMs, originErrors, histogram, versions: [version, calls, errors, latencySumMs][]]
      buckets: z.array(z.tuple([z.number(), Count, Count, z.number().nonnegative(), Count, Histogram, VersionsJson.optional()])),
    }),
  ),
});
export type TraceAggregatesJson = z.infer<typeof TraceAggregatesJsonSchema>;
type ServiceBucketJson = TraceAggregatesJson['services'][number]['buckets'][number];
type EdgeBucketJson = TraceAggregatesJson['edges'][number]['buckets'][number];

function versionsJson(versions: readonly VersionTotals[]): Array<[string, number, number, number]> {
  return versions.map((v) => [v.version, v.calls, v.errors, v.latencySumMs]);
}

function versionsFromJson(versions: ReadonlyArray<readonly [string, number, number, number]>): VersionTotals[] {
  return versions.map(([version, calls, errors, latencySumMs]) => ({ version, calls, errors, latencySumMs }));
}

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

/** Visits the buckets of a series that start in [from, to), in time order. */
function forEachBucketIn<T>(series: BucketSeries<T>, from: number, to: number, visit: (bucket: number, stats: T) => void): void {
  const { starts, rows } = series;
  for (let i = lowerBound(starts, from); i < starts.length && starts[i]! < to; i++) visit(starts[i]!, rows[i]!);
}

/**
 * A baseline range is read in this many equal parts (edgeBaselineStats): the median of three ignores one bad part.
 * Three exactly: median3 reads the parts' rates.
 */
const BASELINE_PARTS = 3;
/** The trusted parts' rates of one edgeBaselineStats call, reused across calls. */
const partErrorRates = new Float64Array(BASELINE_PARTS);
const partMeanLatencies = new Float64Array(BASELINE_PARTS);
/** Calls a part needs before its rates count. */
const BASELINE_MIN_CALLS = 5;

/** The middle one of three numbers, without the array and sort a general median allocates on every baseline read. */
function median3(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

/** Filled by sumRange: a range's calls, errors, latency and fourth number (see PrefixSums). Reused: no allocation per query. */
const rangeSums = new Float64Array(PREFIX_STRIDE);

/** Sums a series' buckets that start in [from, to) into `rangeSums`; false when none does. O(log buckets). */
function sumRange(series: BucketSeries<CallTotals & { originErrors?: number; clientLatencySumMs?: number }>, from: number, to: number): boolean {
  const lo = lowerBound(series.starts, from);
  const hi = lowerBound(series.starts, to);
  if (hi <= lo) return false;
  const p = (series.prefix ??= buildPrefix(series.rows));
  for (let k = 0; k < PREFIX_STRIDE; k++) rangeSums[k] = p[hi * PREFIX_STRIDE + k]! - p[lo * PREFIX_STRIDE + k]!;
  return true;
}

/** Filled by TraceAggregates.timeEdge: one edge's calls over a range, timed. Reused: no object per query. */
const timed: CallTotals = { calls: 0, errors: 0, latencySumMs: 0 };
/** The range's totals timeEdge reads, both timings, for driftOf. Reused likewise. */
const rangeTimesScratch: EdgeTimes = { calls: 0, errors: 0, latencySumMs: 0, clientLatencySumMs: 0, instrumented: true };

/** A series' totals over [from, to), both timings; null when it carried no call then. */
function rangeTimes(series: EdgeSeries, from: number, to: number): EdgeTimes | null {
  if (!sumRange(series, from, to)) return null;
  return { calls: rangeSums[0]!, errors: rangeSums[1]!, latencySumMs: rangeSums[2]!, clientLatencySumMs: rangeSums[3]!, instrumented: !series.summary.uninstrumented };
}

export class TraceAggregates {
  /** Edge series in arrival order (which every listing keeps), by caller + SEP + callee. */
  private readonly edgeSeries = new Map<string, EdgeSeries>();
  /** The same series by caller, then callee: point lookups build no key string. */
  private readonly edgeIndex = new Map<string, Map<string, EdgeSeries>>();
  /** The same series by callee, then caller. */
  private readonly calleeIndex = new Map<string, Map<string, EdgeSeries>>();
  /** How slow each service was to send over a queried range (slowSender), for the current version only. */
  private senderMemo = new Map<string, SenderEvidence>();
  private senderMemoVersion = -1;
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
          starts: [],
          rows: [],
          prefix: null,
          summary: { calls: 0, first: e.bucket, last: e.bucket, uninstrumented: e.calleeUninstrumented, kind: e.calleeKind },
        };
        byCallee.set(e.callee, series);
        let byCaller = this.calleeIndex.get(e.callee);
        if (byCaller === undefined) this.calleeIndex.set(e.callee, (byCaller = new Map()));
        byCaller.set(e.caller, series);
        this.edgeSeries.set(e.caller + SEP + e.callee, series);
      }
      series.prefix = null;
      const i = bucketIndex(series.starts, e.bucket);
      if (i < 0) {
        if (e.bucket < this.earliestEdgeBucket) this.earliestEdgeBucket = e.bucket;
        insertBucket(series, i, e.bucket, newEdgeRow(e));
      } else {
        const bucket = series.rows[i]!;
        bucket.uninstrumented = bucket.uninstrumented && e.calleeUninstrumented;
        bucket.kind = strongerCalleeKind(bucket.kind, e.calleeKind);
        mergeVersions(bucket, e);
        mergeCallStats(bucket, e);
        bucket.clientLatencySumMs += e.clientLatencySumMs ?? e.latencySumMs;
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
      if (series === undefined) this.serviceSeries.set(s.service, (series = { starts: [], rows: [], prefix: null }));
      series.prefix = null;
      const i = bucketIndex(series.starts, s.bucket);
      if (i < 0) {
        insertBucket(series, i, s.bucket, {
          calls: s.calls,
          errors: s.errors,
          latencySumMs: s.latencySumMs,
          latencyHist: copyHistogram(s.latencyHist),
          originErrors: s.originErrors,
          ...compactVersions(s),
        });
      } else {
        const row = series.rows[i]!;
        mergeVersions(row, s);
        mergeCallStats(row, s);
        row.originErrors += s.originErrors;
      }
      if (s.bucket > this.latest) this.latest = s.bucket;
    }
  }

  /** Drops every bucket that starts before `olderThan` (ms), and series left empty. Skips series with nothing that old. */
  prune(olderThan: number): void {
    let pruned = false;
    for (const [key, series] of this.edgeSeries) {
      const drop = lowerBound(series.starts, olderThan);
      if (drop === 0) continue;
      series.starts.splice(0, drop);
      series.rows.splice(0, drop);
      this.changes++;
      pruned = true;
      series.prefix = null;
      if (series.rows.length === 0) {
        this.edgeSeries.delete(key);
        const byCallee = this.edgeIndex.get(series.caller)!;
        byCallee.delete(series.callee);
        if (byCallee.size === 0) this.edgeIndex.delete(series.caller);
        const byCaller = this.calleeIndex.get(series.callee)!;
        byCaller.delete(series.caller);
        if (byCaller.size === 0) this.calleeIndex.delete(series.callee);
      } else {
        series.summary = summarize(series);
      }
    }
    if (pruned) {
      this.earliestEdgeBucket = Number.POSITIVE_INFINITY;
      for (const series of this.edgeSeries.values()) this.earliestEdgeBucket = Math.min(this.earliestEdgeBucket, series.summary.first);
    }
    for (const [service, series] of this.serviceSeries) {
      const drop = lowerBound(series.starts, olderThan);
      if (drop === 0) continue;
      series.starts.splice(0, drop);
      series.rows.splice(0, drop);
      this.changes++;
      series.prefix = null;
      if (series.rows.length === 0) this.serviceSeries.delete(service);
    }
  }

  /** Edges with buckets in [from, to), their buckets merged; ordered by caller, then callee. */
  edges(from: number, to: number): EdgeSummary[] {
    const out: EdgeSummary[] = [];
    for (const series of this.edgeSeries.values()) {
      let summary: EdgeSummary | undefined;
      forEachBucketIn(series, from, to, (b, stats) => {
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
   * the edge carried no call in that range. Latency is how long the callee took, unless the caller waited clearly
   * longer and the delay is the callee's own (decision 011, slow-sender.ts); a call to an uninstrumented callee is
   * timed by the caller, less what the caller adds to every call it makes when it is slow to send. O(range buckets),
   * plus both ends' other edges once per range (memoised) when the two timings differ or the callee has no spans.
   */
  edgeStats(caller: string, callee: string, from: number, to: number): CallTotals | null {
    const series = this.edgeIndex.get(caller)?.get(callee);
    return series === undefined ? null : this.timedEdge(series, caller, callee, from, to, from, to);
  }

  /** How many calls one edge carried over [from, to): its count alone, without judging whose delay a wait is. O(log buckets). */
  edgeCalls(caller: string, callee: string, from: number, to: number): number {
    const series = this.edgeIndex.get(caller)?.get(callee);
    return series !== undefined && sumRange(series, from, to) ? rangeSums[0]! : 0;
  }

  /**
   * An edge's calls over [from, to), with whose delay a wait is (decision 011) judged from both ends' calls over
   * [judgeFrom, judgeTo): a baseline's parts are judged over the whole baseline, so reading one in parts costs no
   * more judgements than reading it whole.
   */
  private timedEdge(series: EdgeSeries, caller: string, callee: string, from: number, to: number, judgeFrom: number, judgeTo: number): CallTotals | null {
    return this.timeEdge(series, caller, callee, from, to, judgeFrom, judgeTo) ? { calls: timed.calls, errors: timed.errors, latencySumMs: timed.latencySumMs } : null;
  }

  /** timedEdge into `timed`, without an object per query (a baseline reads three parts); false when no call was carried. */
  private timeEdge(series: EdgeSeries, caller: string, callee: string, from: number, to: number, judgeFrom: number, judgeTo: number): boolean {
    if (!sumRange(series, from, to)) return false;
    // Read out before slowSender, whose range queries refill rangeSums.
    const times = rangeTimesScratch;
    const calls = (times.calls = rangeSums[0]!);
    const errors = (times.errors = rangeSums[1]!);
    const latencySumMs = (times.latencySumMs = rangeSums[2]!);
    const clientLatencySumMs = (times.clientLatencySumMs = rangeSums[3]!);
    times.instrumented = !series.summary.uninstrumented;
    let timedLatencySumMs: number;
    if (series.summary.uninstrumented) {
      // Only the caller's timing exists: take off what the caller adds to every call it makes, if it is slow to send.
      const late = sendingDelayMs(this.slowSender(caller, judgeFrom, judgeTo)) * calls;
      timedLatencySumMs = Math.max(0, clientLatencySumMs - late);
    } else if (driftOf(times) <= 0) {
      timedLatencySumMs = latencySumMs;
    } else {
      const callersDelay = gapIsCallers(this.slowSender(caller, judgeFrom, judgeTo), this.slowSender(callee, judgeFrom, judgeTo));
      timedLatencySumMs = callersDelay ? latencySumMs : clientLatencySumMs;
    }
    timed.calls = calls;
    timed.errors = errors;
    timed.latencySumMs = timedLatencySumMs;
    return true;
  }

  /**
   * The healthy level of an edge's calls over a baseline range [from, to): the median of its parts' error rates and
   * mean latencies (BASELINE_PARTS equal parts, each with enough calls), carried by the range's total calls. A failure
   * that began within the last third of the range, or a spike in one part, does not raise it, as it raises the
   * range's mean: an alert firing minutes into an outage is then judged against the calls before the outage. With
   * fewer than three trusted parts, the range's totals. O(parts · log buckets).
   */
  edgeBaselineStats(caller: string, callee: string, from: number, to: number): CallTotals | null {
    const series = this.edgeIndex.get(caller)?.get(callee);
    if (series === undefined) return null;
    const step = (to - from) / BASELINE_PARTS;
    let calls = 0;
    let trusted = 0;
    for (let k = 0; k < BASELINE_PARTS; k++) {
      if (!this.timeEdge(series, caller, callee, from + k * step, k === BASELINE_PARTS - 1 ? to : from + (k + 1) * step, from, to)) continue;
      calls += timed.calls;
      if (timed.calls < BASELINE_MIN_CALLS) continue;
      partErrorRates[trusted] = timed.errors / timed.calls;
      partMeanLatencies[trusted] = timed.latencySumMs / timed.calls;
      trusted++;
    }
    if (trusted < BASELINE_PARTS) return calls === 0 ? null : this.timedEdge(series, caller, callee, from, to, from, to);
    return {
      calls,
      errors: median3(partErrorRates[0]!, partErrorRates[1]!, partErrorRates[2]!) * calls,
      latencySumMs: median3(partMeanLatencies[0]!, partMeanLatencies[1]!, partMeanLatencies[2]!) * calls,
    };
  }

  /** Whether `service` is slow to send over [from, to), from the timings of its calls to and from instrumented services. */
  private slowSender(service: string, from: number, to: number): SenderEvidence {
    if (this.senderMemoVersion !== this.changes) {
      this.senderMemo = new Map();
      this.senderMemoVersion = this.changes;
    }
    const key = `${service}${SEP}${from}${SEP}${to}`;
    let evidence = this.senderMemo.get(key);
    if (evidence === undefined) {
      const times = (series: Iterable<EdgeSeries> | undefined): Array<EdgeTimes | null> => [...(series ?? [])].map((e) => rangeTimes(e, from, to));
      evidence = senderEvidence(times(this.edgeIndex.get(service)?.values()), times(this.calleeIndex.get(service)?.values()));
      this.senderMemo.set(key, evidence);
    }
    return evidence;
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
      // Some buckets are older than `since` and at least the last is not: fold the ones in range.
      const { starts, rows } = series;
      const from = lowerBound(starts, since);
      let calls = 0;
      let uninstrumented = true;
      let kind = rows[from]!.kind;
      for (let i = from; i < rows.length; i++) {
        const stats = rows[i]!;
        calls += stats.calls;
        uninstrumented &&= stats.uninstrumented;
        kind = strongerCalleeKind(kind, stats.kind);
      }
      out.push({ caller: series.caller, callee: series.callee, stats: { calls }, calleeUninstrumented: uninstrumented, calleeKind: kind, lastSeen: sum.last });
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
    if (series === undefined || !sumRange(series, from, to)) return null;
    return { calls: rangeSums[0]!, errors: rangeSums[1]!, latencySumMs: rangeSums[2]!, originErrors: rangeSums[3]! };
  }

  /** The service's own spans per version over [from, to), in the minutes two or more versions served (versionsIn). */
  serviceVersions(service: string, from: number, to: number): VersionWindow[] | null {
    const series = this.serviceSeries.get(service);
    return series === undefined ? null : versionsIn(series, from, to);
  }

  /**
   * An edge's calls per version of its caller over [from, to), in the minutes two or more versions of the caller were
   * live: from the first to the last minute of the range in which its own spans or the edge's calls named each. Sampled
   * traces leave an edge a call or two a minute, seldom one of each version in the same minute, though both serve
   * throughout a canary; a rollout's versions overlap a minute or two, and what fails after the older one is gone is
   * not compared (versionsIn).
   */
  edgeVersions(caller: string, callee: string, from: number, to: number): VersionWindow[] | null {
    const series = this.edgeIndex.get(caller)?.get(callee);
    if (series === undefined) return null;
    const own = this.serviceSeries.get(caller);
    const lifetimes = versionLifetimes(own === undefined ? [series] : [series, own], from, to);
    if (lifetimes.length < 2) return null;
    return versionsIn(series, from, to, (start) => {
      let live = 0;
      for (const l of lifetimes) if (l.first <= start && start <= l.last && ++live > 1) return true;
      return false;
    });
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
        buckets: s.rows.map((st, i) => {
          const row: EdgeBucketJson = [s.starts[i]!, st.calls, st.errors, st.latencySumMs, st.uninstrumented ? 1 : 0, st.kind, trimHistogram(st.latencyHist), st.clientLatencySumMs];
          const versions = versionsOf(st);
          if (versions.length > 0) row.push(versionsJson(versions));
          return row;
        }),
      })),
      services: [...this.serviceSeries].map(([service, series]) => ({
        service,
        buckets: series.rows.map((st, i) => {
          const row: ServiceBucketJson = [series.starts[i]!, st.calls, st.errors, st.latencySumMs, st.originErrors, trimHistogram(st.latencyHist)];
          const versions = versionsOf(st);
          if (versions.length > 0) row.push(versionsJson(versions));
          return row;
        }),
      })),
    } as TraceAggregatesJson;
  }

  /** Restores persisted aggregates; throws a ZodError naming the bad field when `json` is not what toJSON wrote. */
  static fromJSON(json: unknown): TraceAggregates {
    const data = TraceAggregatesJsonSchema.parse(json);
    const store = new TraceAggregates();
    store.apply({
      edges: data.edges.flatMap((e) =>
        e.buckets.map(([bucket, calls, errors, latencySumMs, uninstrumented, kind, hist, clientLatencySumMs, versions]) => ({
          caller: e.caller,
          callee: e.callee,
          bucket,
          calls,
          errors,
          latencySumMs,
          clientLatencySumMs: clientLatencySumMs ?? latencySumMs,
          latencyHist: padHistogram(hist),
          calleeUninstrumented: uninstrumented === 1,
          calleeKind: kind,
          ...(versions ? { versions: versionsFromJson(versions) } : {}),
        })),
      ),
      services: data.services.flatMap((s) =>
        s.buckets.map(([bucket, calls, errors, latencySumMs, originErrors, hist, versions]) => ({
          service: s.service,
          bucket,
          calls,
          errors,
          latencySumMs,
          originErrors,
          latencyHist: padHistogram(hist),
          ...(versions ? { versions: versionsFromJson(versions) } : {}),
        })),
      ),
    });
    return store;
  }
}
