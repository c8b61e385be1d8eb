// A bucket's totals per version (a service's own spans per its service.version, an edge's calls per its caller's), kept
// compact when one version served, and read over a range: which versions served together, and from when. Pure.
import { addVersionTotals, type CallTotals, type VersionTotals, type VersionWindow } from '../model/trace-aggregate.js';
import { forEachBucketIn, type BucketSeries } from './bucket-series.js';

/**
 * A row's totals per version: a service's own spans per its service.version (ServiceAggregate.versions), an edge's calls
 * per its caller's (EdgeAggregate.versions). Nearly every minute has one version, named by all its spans: that row keeps
 * the name alone (`version`; its totals are the row's own), not an array of one, which took half as much memory again
 * as the row's stats (bench/trace-memory.bench.ts). `versions` holds the minutes of a rollout or a canary (two
 * versions), and minutes where some spans named none.
 */
export type VersionedRow = CallTotals & { version?: string; versions?: VersionTotals[] };

/** The one version every span of the aggregate named, or undefined. */
export function soleVersion(s: CallTotals & { versions?: readonly VersionTotals[] }): string | undefined {
  const only = s.versions?.length === 1 ? s.versions[0]! : undefined;
  return only !== undefined && only.calls === s.calls && only.errors === s.errors && only.latencySumMs === s.latencySumMs ? only.version : undefined;
}

/** The row's spans per version (an empty list when none named one). */
export function versionsOf(row: VersionedRow): readonly VersionTotals[] {
  if (row.version !== undefined) return [{ version: row.version, calls: row.calls, errors: row.errors, latencySumMs: row.latencySumMs }];
  return row.versions ?? [];
}

/**
 * A new service row's versions from its aggregate's, in their compact form, to spread into the row's literal: a field
 * added to a row after it is built would move its fields out of the object, 32 bytes a row (bench/trace-memory.bench.ts).
 */
export function compactVersions(s: CallTotals & { versions?: readonly VersionTotals[] }): { version: string } | { versions: VersionTotals[] } | undefined {
  if (!s.versions) return undefined;
  const sole = soleVersion(s);
  return sole !== undefined ? { version: sole } : { versions: s.versions.map((v) => ({ ...v })) };
}

/**
 * Adds an aggregate's versions to the row of its minute, keeping them in their compact form. Before the row's totals
 * take the aggregate's: a compact row's one version reads the row's totals.
 */
export function mergeVersions(row: VersionedRow, s: CallTotals & { versions?: readonly VersionTotals[] }): void {
  const sole = row.version;
  // Still one version named by every span: the row's totals remain its totals.
  if (sole !== undefined && soleVersion(s) !== sole) {
    row.versions = [...versionsOf(row)];
    // Not `delete`: that would turn the row into a dictionary, slower to read and larger.
    row.version = undefined;
  }
  if (row.version === undefined && s.versions) for (const v of s.versions) addVersionTotals((row.versions ??= []), v.version, v.calls, v.errors, v.latencySumMs);
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
export function versionsIn(series: BucketSeries<VersionedRow>, from: number, to: number, bothServed = (_start: number, row: VersionedRow) => twoVersions(row)): VersionWindow[] | null {
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
export function versionLifetimes(series: ReadonlyArray<BucketSeries<VersionedRow>>, from: number, to: number): Array<{ first: number; last: number }> {
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
