// The trace store's persisted form (TraceAggregates.toJSON / fromJSON): one row per bucket, histograms trimmed.
import { z } from 'zod';
import type { PeerKind } from '../model/span.js';
import { LATENCY_BUCKETS, type VersionTotals } from '../model/trace-aggregate.js';

const PEER_KINDS = ['service', 'database', 'cache', 'queue', 'external'] as const satisfies readonly PeerKind[];
const Count = z.number().int().nonnegative();
const Histogram = z.array(Count).max(LATENCY_BUCKETS);
const VersionsJson = z.array(z.tuple([z.string(), Count, Count, z.number().nonnegative()]));

/** Persisted form: one row per bucket, histograms with trailing zeros trimmed. Version 1. */
export const TraceAggregatesJsonSchema = z.object({
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

export type ServiceBucketJson = TraceAggregatesJson['services'][number]['buckets'][number];

export type EdgeBucketJson = TraceAggregatesJson['edges'][number]['buckets'][number];

export function versionsJson(versions: readonly VersionTotals[]): Array<[string, number, number, number]> {
  return versions.map((v) => [v.version, v.calls, v.errors, v.latencySumMs]);
}

export function versionsFromJson(versions: ReadonlyArray<readonly [string, number, number, number]>): VersionTotals[] {
  return versions.map(([version, calls, errors, latencySumMs]) => ({ version, calls, errors, latencySumMs }));
}

export function trimHistogram(hist: readonly number[]): number[] {
  let end = hist.length;
  while (end > 0 && hist[end - 1] === 0) end--;
  return hist.slice(0, end);
}

export function padHistogram(hist: readonly number[]): number[] {
  const out = new Array<number>(LATENCY_BUCKETS).fill(0);
  for (let i = 0; i < hist.length; i++) out[i] = hist[i]!;
  return out;
}
