// Gives clusters a stable identity over time: an incident keeps its id and its alerts; new alerts join the
// incident they cluster with, unless the caller says they are another failure (or, before opening a new one, the
// open incident the caller says is the same failure); it resolves when all of its alerts have resolved.
// Re-clustering never renames, merges or reshuffles existing incidents.
import type { Alert } from '../model/alert.js';
import { stableHash } from '../model/stable-hash.js';

/** Keys already built, per alert object: every analysis asks again for every active alert. */
const instanceKeys = new WeakMap<object, string>();

/** One firing episode of an alert: the same fingerprint firing again later is a new instance. */
export function instanceKey(a: Pick<Alert, 'fingerprint' | 'startsAt'>): string {
  let key = instanceKeys.get(a);
  if (key === undefined) {
    key = `${a.fingerprint}|${a.startsAt}`;
    instanceKeys.set(a, key);
  }
  return key;
}

export interface TrackedIncident {
  id: string;
  openedAt: number;
  /** Alert instances grouped into the incident, in joining order. */
  members: string[];
  fingerprints: Set<string>;
  status: 'open' | 'resolved';
  resolvedAt: number | null;
}

export interface TrackerSnapshot {
  incidents: Array<Omit<TrackedIncident, 'fingerprints'>>;
}

/**
 * Asked before the unassigned alerts of a cluster open a new incident (in onset order, as the incident would hold
 * them): whether they are a failure an open incident is already about (the engine compares root causes), so that
 * they join that incident instead. `opened` tells it of each incident opened, with the same array.
 */
export interface SameFailure {
  find(alerts: readonly Alert[]): string | undefined;
  opened(id: string, alerts: readonly Alert[]): void;
  /** Whether alerts a cluster would add to the open incident `id` are another failure (they then open their own). */
  another?(id: string, alerts: readonly Alert[]): boolean;
}

export class IncidentTracker {
  readonly incidents = new Map<string, TrackedIncident>();
  private readonly incidentOf = new Map<string, string>();

  /**
   * Assigns the unassigned alerts of each cluster. Deterministic for the same clusters in the same order.
   * `mayOpen` decides whether a cluster that joins no incident may open a new one yet (see Engine's settle time);
   * returns how many clusters were held back. `sameFailure` may send the alerts of a cluster that would open an
   * incident to an open one instead, and may keep alerts that would join an open incident out of it (`another`).
   */
  assign(clusters: readonly (readonly Alert[])[], mayOpen: (cluster: readonly Alert[]) => boolean = () => true, sameFailure?: SameFailure): number {
    let held = 0;
    for (const cluster of clusters) {
      const tally = new Map<string, number>();
      const unassigned: Alert[] = [];
      for (const a of cluster) {
        const id = this.incidentOf.get(instanceKey(a));
        if (id === undefined) unassigned.push(a);
        else if (this.incidents.get(id)?.status === 'open') tally.set(id, (tally.get(id) ?? 0) + 1);
      }
      if (unassigned.length === 0) continue;
      unassigned.sort(byOnset);
      let existing = this.strongest(tally);
      if (existing && sameFailure?.another?.(existing.id, unassigned)) existing = undefined;
      if (!existing && !mayOpen(cluster)) {
        held++;
        continue;
      }
      const target = existing ?? this.joinable(sameFailure?.find(unassigned)) ?? this.open(unassigned, sameFailure);
      for (const a of unassigned) {
        const key = instanceKey(a);
        target.members.push(key);
        target.fingerprints.add(a.fingerprint);
        this.incidentOf.set(key, target.id);
      }
    }
    return held;
  }

  /**
   * Resolves incidents none of whose alert instances still fires, and opens again a resolved one whose instance fires
   * again (an alert that flapped: the engine keeps its firings one instance); `isFiring` asks the current alert state.
   */
  refreshStatus(isFiring: (instance: string) => boolean, latestEnd: (incident: TrackedIncident) => number): void {
    for (const inc of this.incidents.values()) {
      const firing = inc.members.some(isFiring);
      if (inc.status === 'open' && !firing) {
        inc.status = 'resolved';
        inc.resolvedAt = latestEnd(inc);
      } else if (inc.status === 'resolved' && firing) {
        inc.status = 'open';
        inc.resolvedAt = null;
      }
    }
  }

  /** Forgets incidents resolved before `before`. */
  prune(before: number): void {
    for (const [id, inc] of this.incidents) {
      if (inc.status === 'resolved' && (inc.resolvedAt ?? 0) < before) {
        for (const m of inc.members) this.incidentOf.delete(m);
        this.incidents.delete(id);
      }
    }
  }

  snapshot(): TrackerSnapshot {
    return { incidents: [...this.incidents.values()].map(({ fingerprints: _f, ...rest }) => ({ ...rest, members: [...rest.members] })) };
  }

  restore(snapshot: TrackerSnapshot): void {
    this.incidents.clear();
    this.incidentOf.clear();
    for (const inc of snapshot.incidents) {
      const tracked: TrackedIncident = { ...inc, members: [...inc.members], fingerprints: new Set(inc.members.map((m) => m.slice(0, m.lastIndexOf('|')))) };
      this.incidents.set(inc.id, tracked);
      for (const m of inc.members) this.incidentOf.set(m, inc.id);
    }
  }

  private strongest(tally: Map<string, number>): TrackedIncident | undefined {
    let best: TrackedIncident | undefined;
    let bestCount = 0;
    for (const [id, count] of tally) {
      const inc = this.incidents.get(id)!;
      if (count > bestCount || (count === bestCount && best && (inc.openedAt < best.openedAt || (inc.openedAt === best.openedAt && inc.id < best.id)))) {
        best = inc;
        bestCount = count;
      }
    }
    return best;
  }

  private joinable(id: string | undefined): TrackedIncident | undefined {
    const inc = id === undefined ? undefined : this.incidents.get(id);
    return inc?.status === 'open' ? inc : undefined;
  }

  private open(alerts: readonly Alert[], sameFailure?: SameFailure): TrackedIncident {
    const first = [...alerts].sort(byOnset)[0]!;
    let id = `inc-${stableHash(instanceKey(first)).slice(0, 12)}`;
    for (let n = 2; this.incidents.has(id); n++) id = `inc-${stableHash(`${instanceKey(first)}#${n}`).slice(0, 12)}`;
    const inc: TrackedIncident = { id, openedAt: first.startsAt, members: [], fingerprints: new Set(), status: 'open', resolvedAt: null };
    this.incidents.set(id, inc);
    sameFailure?.opened(id, alerts);
    return inc;
  }
}

function byOnset(a: Alert, b: Alert): number {
  return a.startsAt - b.startsAt || a.fingerprint.localeCompare(b.fingerprint);
}
