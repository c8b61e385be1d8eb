// How strongly a deploy counts as an incident's cause: by how close before the onset it came, and whether its rollout
// completed. Pure.
import type { Change } from '../model/change.js';
import type { VersionWindow } from '../model/trace-aggregate.js';

const MINUTE = 60_000;
/** A deploy up to this long after the first alert still counts (at half): the alert may have fired on its first pods. */
export const CHANGE_AFTER_ONSET_MS = 5 * MINUTE;
/**
 * How much a rollout reported failed counts against its service, against one that completed: it may have left new
 * pods serving or rolled itself back, or never reached the cluster (a failed build reported as a failed deployment).
 */
const FAILED_CHANGE = 0.5;

/**
 * For a deploy reported after the onset: the first minute the service's own spans show its version serving, when that
 * minute began after every alert of the incident had begun (the deploy can then have caused none of them); else null.
 * Every alert, not the first: an incident may hold a failure that began before the deploy and one it caused. The spans
 * show versions only when two or more served in the window, which a rollout under way does.
 */
export function firstServedAfter(versions: readonly VersionWindow[] | null | undefined, change: Change, onset: number, lastAlertAt: () => number): number | null {
  if (change.at <= onset || !versions) return null;
  const v = versions.find((w) => w.version === change.version);
  return v !== undefined && v.firstSeen > lastAlertAt() ? v.firstSeen : null;
}

/** How strongly a change at `at` counts as the incident's cause: full at the onset, decaying over 20 minutes before it, half just after. */
export function changeStrength(at: number, onset: number): number {
  const before = onset - at;
  return before >= 0 ? Math.exp(-before / (20 * MINUTE)) : 0.5;
}

/** A reported deploy's strength as a cause (changeStrength), halved when its rollout failed. */
export function deployStrength(change: Change, onset: number): number {
  return changeStrength(change.at, onset) * (change.failed ? FAILED_CHANGE : 1);
}

/**
 * How strongly `service`'s latest deploy near `onset` counts as the cause (deployStrength; 0 without one), as the
 * ranking reads it: for callers that weigh a ranking's deploy evidence (engine/same-failure.ts victimOf).
 */
export function deployStrengthNear(changes: readonly Change[], service: string, onset: number, lookbackMs: number): number {
  const latest = latestChangesNear(changes, onset, lookbackMs).get(service);
  return latest ? deployStrength(latest, onset) : 0;
}

/**
 * Each service's latest change from `lookbackMs` before the onset to 5 minutes after it: one pass over the changes per
 * ranking, so that a busy deploy log costs each candidate a lookup, not a scan.
 */
export function latestChangesNear(changes: readonly Change[], onset: number, lookbackMs: number): Map<string, Change> {
  const latest = new Map<string, Change>();
  for (const c of changes) {
    if (c.at < onset - lookbackMs || c.at > onset + CHANGE_AFTER_ONSET_MS) continue;
    const best = latest.get(c.service);
    if (!best || c.at > best.at) latest.set(c.service, c);
  }
  return latest;
}
