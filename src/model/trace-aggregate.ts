// Trace aggregates: what survives of spans once they are counted (like a collector's service-graph connector).

/** Fixed latency histogram bucket upper bounds in milliseconds; the last bucket is +Inf. */
export const LATENCY_BOUNDS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;
export const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1;

/** Width of a time bucket of the aggregates. */
export const TRACE_BUCKET_MS = 60_000;

/** What rates and means need: CallStats without the histogram (cheap to merge). */
export interface CallTotals {
  calls: number;
  errors: number;
  latencySumMs: number;
}

export interface CallStats {
  calls: number;
  errors: number;
  latencySumMs: number;
  /** Counts per LATENCY_BOUNDS_MS bucket, length LATENCY_BUCKETS. */
  latencyHist: number[];
}

/**
 * Calls from one service to another within one time bucket (bucket = start ms, multiple of TRACE_BUCKET_MS). Latency is
 * the callee's server span where both sides were seen, the caller's client span for an uninstrumented callee.
 */
export interface EdgeAggregate extends CallStats {
  caller: string;
  callee: string;
  bucket: number;
  /**
   * The same calls timed by the caller's client spans (what the caller waited). Absent: equal to `latencySumMs`. The
   * two drift apart when one end is slow to send: a starved caller, or a service whose network delays its packets.
   */
  clientLatencySumMs?: number;
  /** True when the callee is known only as a client-span peer (no spans of its own). */
  calleeUninstrumented: boolean;
  calleeKind: import('./span.js').PeerKind;
  /**
   * The same calls per service.version of the caller, for the calls whose client span named one (absent when none did).
   * Two versions of a caller calling in the same minutes, the newer one's calls failing and the older one's not, say the
   * callee fails on what the new code sends it (a canary that breaks its dependency; decision 031).
   */
  versions?: VersionTotals[];
}

/** A service's own server-side work within one time bucket. */
export interface ServiceAggregate extends CallStats {
  service: string;
  bucket: number;
  /** Spans of this service that failed while none of their children (as far as seen) failed. */
  originErrors: number;
  /**
   * The same spans per service.version, for the spans that named one (absent when none did). Two versions serving in
   * the same minutes, one failing and the other not, say the failure is in the service's own code (a canary).
   */
  versions?: VersionTotals[];
}

export interface VersionTotals extends CallTotals {
  version: string;
}

/** One version's totals over a queried range, and the first bucket held in which it served at all. */
export interface VersionWindow extends VersionTotals {
  firstSeen: number;
}

/** Adds one version's totals into a list of them (a version appears once; lists stay short: one or two). */
export function addVersionTotals(into: VersionTotals[], version: string, calls: number, errors: number, latencySumMs: number): void {
  for (let i = 0; i < into.length; i++) {
    const v = into[i]!;
    if (v.version === version) {
      v.calls += calls;
      v.errors += errors;
      v.latencySumMs += latencySumMs;
      return;
    }
  }
  into.push({ version, calls, errors, latencySumMs });
}

export interface TraceDelta {
  edges: EdgeAggregate[];
  services: ServiceAggregate[];
}

export function emptyCallStats(): CallStats {
  return { calls: 0, errors: 0, latencySumMs: 0, latencyHist: new Array<number>(LATENCY_BUCKETS).fill(0) };
}

export function latencyBucketIndex(ms: number): number {
  for (let i = 0; i < LATENCY_BOUNDS_MS.length; i++) if (ms <= LATENCY_BOUNDS_MS[i]!) return i;
  return LATENCY_BOUNDS_MS.length;
}

export function addCall(stats: CallStats, durationMs: number, isError: boolean): void {
  stats.calls++;
  if (isError) stats.errors++;
  stats.latencySumMs += durationMs;
  stats.latencyHist[latencyBucketIndex(durationMs)]!++;
}

export function mergeCallStats(into: CallStats, from: CallStats): void {
  into.calls += from.calls;
  into.errors += from.errors;
  into.latencySumMs += from.latencySumMs;
  for (let i = 0; i < LATENCY_BUCKETS; i++) into.latencyHist[i]! += from.latencyHist[i] ?? 0;
}

/** Approximate quantile (0..1) from the histogram: the upper bound of the bucket holding it. */
export function latencyQuantileMs(stats: CallStats, q: number): number {
  if (stats.calls === 0) return 0;
  const target = q * stats.calls;
  let seen = 0;
  for (let i = 0; i < LATENCY_BUCKETS; i++) {
    seen += stats.latencyHist[i] ?? 0;
    if (seen >= target) return i < LATENCY_BOUNDS_MS.length ? LATENCY_BOUNDS_MS[i]! : LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]! * 2;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]! * 2;
}
