// A series of time buckets in time order, with prefix sums for O(log buckets) range totals: how the trace store keeps
// each edge's and each service's aggregates. Pure.
import type { CallTotals } from '../model/trace-aggregate.js';

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

/**
 * A series' buckets in time order: `rows[i]` starts at `starts[i]` (ms). Buckets nearly always arrive in time
 * order, so adding one is an append or a merge into the last, and a late one is found by binary search. Sorted
 * arrays rather than a Map keyed by start: no hashing of a start (not a small integer) for every delta, and range
 * queries, prefix sums and prune read them in order without sorting.
 */
export interface BucketSeries<T> {
  /** Unboxed when they hold epoch milliseconds (not small integers), so the binary searches over them are cheap. */
  starts: number[];
  rows: T[];
  /** Prefix sums over the rows, built on first range query, dropped when the series changes. */
  prefix: PrefixSums | null;
}

/** Index of the first start ≥ t. */
export function lowerBound(starts: readonly number[], t: number): number {
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
export function bucketIndex(starts: readonly number[], start: number): number {
  const n = starts.length;
  // Nearly always the latest bucket, or a new one after it: no search.
  if (n === 0 || start > starts[n - 1]!) return -1 - n;
  const i = start === starts[n - 1] ? n - 1 : lowerBound(starts, start);
  return starts[i] === start ? i : -1 - i;
}

/** Adds a row where bucketIndex said it belongs (−1 − index), keeping the series in time order. */
export function insertBucket<T>(series: BucketSeries<T>, index: number, start: number, row: T): void {
  const at = -1 - index;
  if (at === series.starts.length) {
    series.starts.push(start);
    series.rows.push(row);
  } else {
    series.starts.splice(at, 0, start);
    series.rows.splice(at, 0, row);
  }
}

/** Visits the buckets of a series that start in [from, to), in time order. */
export function forEachBucketIn<T>(series: BucketSeries<T>, from: number, to: number, visit: (bucket: number, stats: T) => void): void {
  const { starts, rows } = series;
  for (let i = lowerBound(starts, from); i < starts.length && starts[i]! < to; i++) visit(starts[i]!, rows[i]!);
}

/** Filled by sumRange: a range's calls, errors, latency and fourth number (see PrefixSums). Reused: no allocation per query. */
export const rangeSums = new Float64Array(PREFIX_STRIDE);

/** Sums a series' buckets that start in [from, to) into `rangeSums`; false when none does. O(log buckets). */
export function sumRange(series: BucketSeries<CallTotals & { originErrors?: number; clientLatencySumMs?: number }>, from: number, to: number): boolean {
  const lo = lowerBound(series.starts, from);
  const hi = lowerBound(series.starts, to);
  if (hi <= lo) return false;
  const p = (series.prefix ??= buildPrefix(series.rows));
  for (let k = 0; k < PREFIX_STRIDE; k++) rangeSums[k] = p[hi * PREFIX_STRIDE + k]! - p[lo * PREFIX_STRIDE + k]!;
  return true;
}
