// Splits a community of alert groups that holds two independent failures. Louvain joins communities through
// bridges: in a storm, a frontend whose calls reach two failing services relates strongly to both incidents and
// pulls them into one. The failures themselves tell them apart: each incident has its deepest failing services
// (failure groups with no failing dependency of their own in the community), and when those form separate sets
// that share no cause, the community is that many incidents. Each group then goes to the set that explains it best,
// or, when its error and latency alerts are explained by different sets, each of them to its own (decision 022); when
// one of the two is explained by a service below that no root reaches, those alerts are an incident of their own
// (decision 024).
// One exception: roots first seen at the same instant below one failing caller are one incident; and a root that
// fails on two of the set's causes (a caller of two failing databases) does not hold their incidents together
// (decision 006 and its amendments). Pure; O(groups · roots + roots³) per community, with explanations already computed.
import type { AlertGroup } from './incident-clusters.js';
import { SAME_EVALUATION_MS, type Alert } from '../model/alert.js';
import { alertSymptom } from '../model/alert-signal.js';
import { sharedExplanation, timeAffinity, type Explanation, type ExplanationStep, type RelationOptions } from './alert-relations.js';
import { HEALTHY_COUPLING } from './trace-coupling.js';

/** What explains the alerts of group `i` that watch one symptom, judged from their own first onset (`onset`). */
export type SymptomExplanation = (i: number, symptom: 'errors' | 'latency', onset: number) => Explanation | null;

/**
 * Returns the community's alerts (its members are indices into `groups`) split by independent root sets, or all of
 * them as one part when it has one (or no) set of roots. A root is a failure group whose explanation reaches no other
 * failing service of the community: strongly (≥ `minWeight`), or directly through calls that show it failing
 * (reachesFailure, decision 037); roots whose explanations meet (two callers of one silent
 * database) are one set, and so are roots whose onsets are the same instant (SAME_EVALUATION_MS) below one failing
 * group that explains both. Traffic groups are never roots: their cause is above them. Each group goes to the set that
 * explains it best, whole, except one that alerts on both its service's errors and its latency and is no root: it may
 * hold two failures' alerts (in a storm, one dependency fails and another slows below the same frontend). When what
 * explains its error alerts and what explains its latency alerts (each judged by the calls that went bad their way,
 * from their own onset) belong to different root sets, each goes to its own, and its other alerts go where the whole
 * group goes (decision 022). When one symptom relates to a root and the other to none, but clearly names a service
 * below that the first does not (another failure, whose root raised nothing), that symptom's alerts leave the
 * community: one part per service so named (decision 024). A community with a single root set is split only that way.
 */
export function splitAlertsByRoots(
  members: readonly number[],
  groups: readonly AlertGroup[],
  explanations: ReadonlyArray<Explanation | null>,
  options: RelationOptions & { minWeight: number },
  explainSymptom: SymptomExplanation,
): Alert[][] {
  const plan = planRoots(members, groups, explanations, options);
  if (!plan) return [members.flatMap((i) => groups[i]!.alerts)];
  const parts: Alert[][] = plan.sets.map(() => []);
  /** Symptoms whose calls point below, at a service none of the community's roots reaches: by that service. */
  const strays = new Map<string, Alert[]>();
  for (const i of members) {
    const group = groups[i]!;
    const whole = plan.partOf(i, explanations[i] ?? null);
    const bySymptom = plan.isRoot(i) || group.signal !== 'failure' ? null : symptomParts(group.alerts);
    if (!bySymptom) {
      parts[whole]!.push(...group.alerts);
      continue;
    }
    // Each symptom's calls are judged from its own first onset; the parts weigh time from the group's onset, so that
    // only what the calls say, not when each symptom began, can part them.
    const errors = explainSymptom(i, 'errors', bySymptom.errors[0]!.startsAt);
    const latency = explainSymptom(i, 'latency', bySymptom.latency[0]!.startsAt);
    // One symptom explained by a root of the community, the other by a service below that no root reaches: a second
    // failure, whose root raised nothing, shows on this service too (decision 024).
    const errorsReach = plan.reachesARoot(i, errors);
    const latencyReach = plan.reachesARoot(i, latency);
    const errorsStray = !errorsReach && latencyReach ? causeBelow(errors, latency, group.service, options.minWeight) : null;
    const latencyStray = !latencyReach && errorsReach ? causeBelow(latency, errors, group.service, options.minWeight) : null;
    if (errorsStray !== null || latencyStray !== null) {
      const [stray, cause, rest] = errorsStray !== null ? [bySymptom.errors, errorsStray, bySymptom.latency] : [bySymptom.latency, latencyStray!, bySymptom.errors];
      (strays.get(cause) ?? strays.set(cause, []).get(cause)!).push(...stray);
      parts[whole]!.push(...rest, ...bySymptom.any);
      continue;
    }
    const errorsPart = plan.partOf(i, errors);
    const latencyPart = plan.partOf(i, latency);
    if (errorsPart === latencyPart) {
      parts[whole]!.push(...group.alerts);
      continue;
    }
    parts[errorsPart]!.push(...bySymptom.errors);
    parts[latencyPart]!.push(...bySymptom.latency);
    parts[whole]!.push(...bySymptom.any);
  }
  return [...parts, ...strays.values()].filter((p) => p.length > 0);
}

/**
 * The service below `own` that explains one symptom (`explanation`) most strongly, when it holds most of that symptom's
 * bad calls (CLEAR_CAUSE) and the other symptom's calls do not point at it (under `minWeight`); null otherwise.
 */
function causeBelow(explanation: Explanation | null, other: Explanation | null, own: string, minWeight: number): string | null {
  let best: string | null = null;
  let bestStrength = CLEAR_CAUSE;
  for (const [service, step] of explanation ?? []) {
    if (service !== own && step.depth > 0 && step.strength >= bestStrength) [best, bestStrength] = [service, step.strength];
  }
  return best !== null && (other?.get(best)?.strength ?? 0) < minWeight ? best : null;
}

/**
 * How strongly a symptom's calls must point at a service below for it to be a cause of its own: a callee behind most of
 * the symptom's bad calls couples at least this strongly (decision 014's blame shares), one behind a small share or
 * merely sharing the failure's time window couples weaker.
 */
const CLEAR_CAUSE = 0.5;

/** A group's alerts by the symptom they watch (alerts come in onset order), or null unless it has both errors and latency alerts. */
function symptomParts(alerts: readonly Alert[]): { errors: Alert[]; latency: Alert[]; any: Alert[] } | null {
  const parts = { errors: [] as Alert[], latency: [] as Alert[], any: [] as Alert[] };
  for (const a of alerts) parts[alertSymptom(a)].push(a);
  return parts.errors.length > 0 && parts.latency.length > 0 ? parts : null;
}

/**
 * Whether a step of a failure group's explanation reaches the failing service it names: strongly (≥ `minWeight`), or
 * directly when the calls into that dependency show it failing and its failure accounts for some of the group's
 * (decision 037). A failure travels up every call to a failing service; a direct caller's own few sampled calls may
 * show it only weakly, and that says how much of its failure the dependency accounts for, not whether it is a root.
 */
function reachesFailure(step: ExplanationStep, minWeight: number, clearestBelow: number): boolean {
  return step.strength >= minWeight || (step.depth === 1 && step.shownFailing === true && step.strength > HEALTHY_COUPLING && step.strength >= clearestBelow);
}

/** The strength of the strongest path below the group's own service (0 when it reaches nothing). */
function clearestCauseBelow(explanation: Explanation): number {
  let clearest = 0;
  for (const step of explanation.values()) if (step.depth > 0 && step.strength > clearest) clearest = step.strength;
  return clearest;
}

/** A community's independent root sets, and where a member goes. */
interface RootPlan {
  sets: number[][];
  isRoot(i: number): boolean;
  /** The set that explains member `i` best (a set's index), given what explains it; time weighs from its group's onset. */
  partOf(i: number, explanation: Explanation | null): number;
  /** Whether what explains member `i` relates to a root of the community (≥ minWeight; time weighs from its group's onset). */
  reachesARoot(i: number, explanation: Explanation | null): boolean;
}

function planRoots(
  members: readonly number[],
  groups: readonly AlertGroup[],
  explanations: ReadonlyArray<Explanation | null>,
  options: RelationOptions & { minWeight: number },
): RootPlan | null {
  const failing = members.filter((i) => groups[i]!.signal === 'failure' && explanations[i] !== null);
  if (failing.length < 2) return null;
  const failingServices = new Set(failing.map((i) => groups[i]!.service));
  const roots = failing.filter((i) => {
    const own = groups[i]!.service;
    const clearest = clearestCauseBelow(explanations[i]!);
    for (const [service, step] of explanations[i]!) {
      if (service !== own && step.depth > 0 && failingServices.has(service) && reachesFailure(step, options.minWeight, clearest)) return false;
    }
    return true;
  });
  const sets = rootSets(roots, failing, groups, explanations, options);
  if (sets.length === 0) return null;
  const rootSet = new Set(roots);
  return {
    sets,
    isRoot: (i) => rootSet.has(i),
    reachesARoot: (i, explanation) => roots.some((r) => i === r || relation(explanation, groups[i]!.onset, r, groups, explanations, options) >= options.minWeight),
    partOf: (i, explanation) => {
      let best = -1;
      let bestWeight = 0;
      sets.forEach((set, s) => {
        for (const r of set) {
          const w = i === r ? Infinity : relation(explanation, groups[i]!.onset, r, groups, explanations, options);
          if (w > bestWeight) [best, bestWeight] = [s, w];
        }
      });
      // A group related to none of the roots stays with the largest set (Louvain put it in this community).
      return best >= 0 ? best : largest(sets);
    },
  };
}

/**
 * Roots grouped by whether their explanations meet, or whether they began at the same instant below a failing
 * group that explains both (connected components over pairs; roots are few), then split at bridges (below).
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
  const links = roots.map(() => new Array<Link | null>(roots.length).fill(null));
  const via = { service: null as string | null };
  for (let a = 0; a < roots.length; a++) {
    for (let b = a + 1; b < roots.length; b++) {
      let link: Link | null = null;
      if (sameInstantBelowOneCaller(a, b)) link = { through: SAME_INSTANT, weight: Infinity };
      else {
        const weight = relation(explanations[roots[a]!] ?? null, groups[roots[a]!]!.onset, roots[b]!, groups, explanations, options, via);
        if (weight >= options.minWeight) link = { through: via.service!, weight };
      }
      links[a]![b] = links[b]![a] = link;
    }
  }
  const all = roots.map((_, k) => k);
  return components(all, links)
    .flatMap((set) => splitAtBridges(set, links))
    .map((set) => set.map((k) => roots[k]!));
}

/** How two roots are one incident: through the service their explanations share, or as one observation. */
interface Link {
  through: string;
  weight: number;
}
type RootLinks = ReadonlyArray<ReadonlyArray<Link | null>>;
const SAME_INSTANT = '\u0000same instant';

/** Connected components of `set` (indices into the roots) over the links. */
function components(set: readonly number[], links: RootLinks): number[][] {
  const seen = new Set<number>();
  const out: number[][] = [];
  for (const start of set) {
    if (seen.has(start)) continue;
    const component = [start];
    seen.add(start);
    for (let i = 0; i < component.length; i++) {
      for (const k of set) {
        if (!seen.has(k) && links[component[i]!]![k] !== null) {
          seen.add(k);
          component.push(k);
        }
      }
    }
    out.push(component);
  }
  return out;
}

/**
 * A root whose failure has two causes (a caller of two failing databases) meets the roots of both and would hold two
 * incidents together on its own. When removing one root leaves parts of the set that it reaches through different
 * services, the parts reached through each service are an incident of their own, and the root goes with the one it
 * relates to most strongly. Parts it reaches through the same service stay together (three callers of one database,
 * the first and last too far apart in time to meet directly). O(roots³) per set; sets are a handful of roots.
 */
function splitAtBridges(set: number[], links: RootLinks): number[][] {
  if (set.length < 3) return [set];
  for (const bridge of set) {
    const parts = components(
      set.filter((k) => k !== bridge),
      links,
    );
    if (parts.length < 2) continue;
    const byCause = new Map<string, { members: number[]; weight: number }>();
    for (const part of parts) {
      let best: Link | null = null;
      for (const k of part) {
        const link = links[bridge]![k]!;
        if (link !== null && (best === null || link.weight > best.weight)) best = link;
      }
      const side = byCause.get(best!.through) ?? byCause.set(best!.through, { members: [], weight: 0 }).get(best!.through)!;
      side.members.push(...part);
      side.weight = Math.max(side.weight, best!.weight);
    }
    if (byCause.size < 2) continue;
    const sides = [...byCause.values()];
    let home = sides[0]!;
    for (const side of sides) if (side.weight > home.weight) home = side;
    home.members.push(bridge);
    return sides.flatMap((side) => splitAtBridges(side.members, links));
  }
  return [set];
}

/** How related alerts explained by `a`, from `onset`, are to group `j` (0 when either is explained by nothing). */
function relation(
  a: Explanation | null,
  onset: number,
  j: number,
  groups: readonly AlertGroup[],
  explanations: ReadonlyArray<Explanation | null>,
  options: RelationOptions,
  via?: { service: string | null },
): number {
  const b = explanations[j];
  if (!a || !b) return 0;
  return sharedExplanation(a, b, via) * timeAffinity(onset, groups[j]!.onset, options);
}

function largest(sets: readonly number[][]): number {
  let best = 0;
  sets.forEach((s, k) => {
    if (s.length > sets[best]!.length) best = k;
  });
  return best;
}
