// Splits a community of alert groups that holds two independent failures. Louvain joins communities through
// bridges: in a storm, a frontend whose calls reach two failing services relates strongly to both incidents and
// pulls them into one. The failures themselves tell them apart: each incident has its deepest failing services
// (failure groups with no failing dependency of their own in the community), and when those form separate sets
// that share no cause, the community is that many incidents. Each group then goes to the set that explains it best.
// One exception: roots first seen at the same instant below one failing caller are one incident (decision 006).
// Pure; O(groups · roots) per community, with explanations already computed.
import type { AlertGroup } from './incident-clusters.js';
import { sharedExplanation, timeAffinity, type Explanation, type RelationOptions } from './alert-relations.js';

/**
 * Onsets this close are one observation: rules evaluated together (one Prometheus rule group, one Grafana
 * evaluation) stamp every alert they raise with the same `startsAt`, and senders that round report the same second.
 * Two independent failures rarely begin within the same evaluation; one failure seen at two dependencies of one
 * caller often does (the caller slows both, or one fault shows on both).
 */
const SAME_EVALUATION_MS = 1000;

/**
 * Returns the community's members (indices into `groups`) split by independent root sets, or `[members]` when
 * it has one (or no) set of roots. A root is a failure group whose explanation reaches no other failing service
 * of the community strongly (≥ `minWeight`); roots whose explanations meet (two callers of one silent database)
 * are one set, and so are roots whose onsets are the same instant (SAME_EVALUATION_MS) below one failing group
 * that explains both. Traffic groups are never roots: their cause is above them.
 */
export function splitByRoots(
  members: readonly number[],
  groups: readonly AlertGroup[],
  explanations: ReadonlyArray<Explanation | null>,
  options: RelationOptions & { minWeight: number },
): number[][] {
  const failing = members.filter((i) => groups[i]!.signal === 'failure' && explanations[i] !== null);
  if (failing.length < 2) return [members as number[]];
  const failingServices = new Set(failing.map((i) => groups[i]!.service));
  const roots = failing.filter((i) => {
    const own = groups[i]!.service;
    for (const [service, step] of explanations[i]!) {
      if (service !== own && step.depth > 0 && step.strength >= options.minWeight && failingServices.has(service)) return false;
    }
    return true;
  });
  const sets = rootSets(roots, failing, groups, explanations, options);
  if (sets.length < 2) return [members as number[]];

  const parts: number[][] = sets.map(() => []);
  for (const i of members) {
    let best = -1;
    let bestWeight = 0;
    sets.forEach((set, s) => {
      for (const r of set) {
        const w = i === r ? Infinity : relation(i, r, groups, explanations, options);
        if (w > bestWeight) [best, bestWeight] = [s, w];
      }
    });
    // A group related to none of the roots stays with the largest set (Louvain put it in this community).
    parts[best >= 0 ? best : largest(sets)]!.push(i);
  }
  return parts.filter((p) => p.length > 0);
}

/**
 * Roots grouped by whether their explanations meet, or whether they began at the same instant below a failing
 * group that explains both (union-find over pairs; roots are few).
 */
function rootSets(
  roots: readonly number[],
  failing: readonly number[],
  groups: readonly AlertGroup[],
  explanations: ReadonlyArray<Explanation | null>,
  options: RelationOptions & { minWeight: number },
): number[][] {
  // For each root, the failing groups above it whose explanation reaches it strongly.
  const explainedBy = roots.map((r) => {
    const service = groups[r]!.service;
    return new Set(
      failing.filter((c) => {
        const step = explanations[c]!.get(service);
        return c !== r && step !== undefined && step.depth > 0 && step.strength >= options.minWeight;
      }),
    );
  });
  const sameInstantBelowOneCaller = (a: number, b: number): boolean =>
    Math.abs(groups[roots[a]!]!.onset - groups[roots[b]!]!.onset) < SAME_EVALUATION_MS && [...explainedBy[a]!].some((c) => explainedBy[b]!.has(c));
  const parent = roots.map((_, k) => k);
  const find = (k: number): number => (parent[k] === k ? k : (parent[k] = find(parent[k]!)));
  for (let a = 0; a < roots.length; a++) {
    for (let b = a + 1; b < roots.length; b++) {
      if (relation(roots[a]!, roots[b]!, groups, explanations, options) >= options.minWeight || sameInstantBelowOneCaller(a, b)) parent[find(a)] = find(b);
    }
  }
  const sets = new Map<number, number[]>();
  roots.forEach((r, k) => {
    const root = find(k);
    let set = sets.get(root);
    if (!set) sets.set(root, (set = []));
    set.push(r);
  });
  return [...sets.values()];
}

function relation(i: number, j: number, groups: readonly AlertGroup[], explanations: ReadonlyArray<Explanation | null>, options: RelationOptions): number {
  const a = explanations[i];
  const b = explanations[j];
  if (!a || !b) return 0;
  return sharedExplanation(a, b) * timeAffinity(groups[i]!.onset, groups[j]!.onset, options);
}

function largest(sets: readonly number[][]): number {
  let best = 0;
  sets.forEach((s, k) => {
    if (s.length > sets[best]!.length) best = k;
  });
  return best;
}
