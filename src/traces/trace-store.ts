// Trace aggregates over time for analysis: TraceDeltas folded into per-bucket series, queried over a time range.
import type { PeerKind } from '../model/span.js';
import {
  emptyCallStats,
  LATENCY_BUCKETS,
  mergeCallStats,
  type CallStats,
  type CallTotals,
  type EdgeAggregate,
  type TraceDelta,
  type VersionWindow,
} from '../model/trace-aggregate.js';
import { strongerCalleeKind } from './callee-kind.js';
import { bucketIndex, forEachBucketIn, insertBucket, lowerBound, rangeSums, sumRange, type BucketSeries } from './bucket-series.js';
import { padHistogram, trimHistogram, TraceAggregatesJsonSchema, versionsFromJson, versionsJson, type EdgeBucketJson, type ServiceBucketJson, type TraceAggregatesJson } from './trace-store-json.js';
import { compactVersions, mergeVersions, soleVersion, versionLifetimes, versionsIn, versionsOf, type VersionedRow } from './version-rows.js';
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

type ServiceRow = ServiceStats & VersionedRow;

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

interface EdgeBucket extends CallStats, VersionedRow {
  /** The same calls timed by the caller's client spans (EdgeAggregate.clientLatencySumMs). */
  clientLatencySumMs: number;
  uninstrumented: boolean;
  kind: PeerKind;
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

// Names never hold NUL, so it separates caller and callee in a key without ambiguity.
const SEP = '\u0000';

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
