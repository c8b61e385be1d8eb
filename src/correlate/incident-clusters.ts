// Clusters active alerts into groups of related alerts with Louvain communities over a weighted alert-group graph.
// Nodes are alert groups (one service's alerts with nearby onsets), so cost scales with alerting services, not alerts.
import { UndirectedGraph } from 'graphology';
import louvainModule from 'graphology-communities-louvain';
import type { Alert } from '../model/alert.js';
import { alertSignal, alertSymptom, isSaturation, type AlertSignal } from '../model/alert-signal.js';
import type { DependencyGraph } from '../topology/dependency-graph.js';
import { seededRandom } from '../model/seeded-random.js';
import {
  DEFAULT_RELATION_OPTIONS,
  downstreamExplanation,
  sharedExplanation,
  sharesLabels,
  timeAffinity,
  trafficExplanation,
  type Explanation,
  type RelationOptions,
} from './alert-relations.js';
import type { CalleesOf, CallersOf, CouplingForWindow } from './trace-coupling.js';
import { splitAlertsByRoots, type SymptomExplanation } from './root-split.js';

export type { CouplingForWindow } from './trace-coupling.js';

// The package is CommonJS with typings that declare an ES default export; at runtime the import is the function.
const louvain = louvainModule as unknown as (typeof louvainModule)['default'];

export interface ClusterOptions extends RelationOptions {
  /** A service's alerts whose onsets are further apart than this form separate groups. */
  groupGapMs: number;
  /**
   * Relations lighter than this are not drawn. Louvain always pulls a node hanging off a single edge into its
   * neighbour's community, so a weak link would absorb an unrelated alert: weak links must not exist at all.
   */
  minWeight: number;
  /** Louvain resolution: below 1 favours larger communities (a cascade stays one incident). */
  resolution: number;
  /** Seed for Louvain's tie-breaking, so that the same input always gives the same clusters. */
  seed: number;
}

export const DEFAULT_CLUSTER_OPTIONS: ClusterOptions = {
  ...DEFAULT_RELATION_OPTIONS,
  groupGapMs: 30 * 60_000,
  minWeight: 0.3,
  resolution: 0.6,
  seed: 42,
};

export interface AlertGroup {
  key: string;
  service: string;
  /** Failure and traffic alerts of one service form separate groups: their causes lie in opposite directions. */
  signal: AlertSignal;
  onset: number;
  alerts: Alert[];
}

/** Groups alerts per service and signal (or per alert when it names no service) and onset proximity. O(n log n). */
export function groupAlerts(alerts: readonly Alert[], gapMs: number): AlertGroup[] {
  const byService = new Map<string, Alert[]>();
  for (const a of alerts) {
    const signal = alertSignal(a);
    // Alerts that name no service, and warnings of a future problem (model/alert-signal.ts), stand alone.
    const key = !a.service || signal === 'local' ? `alert:${a.fingerprint}` : signal === 'traffic' ? `${a.service}#traffic` : a.service;
    let list = byService.get(key);
    if (!list) byService.set(key, (list = []));
    list.push(a);
  }
  const groups: AlertGroup[] = [];
  for (const [key, list] of byService) {
    list.sort((x, y) => x.startsAt - y.startsAt || x.fingerprint.localeCompare(y.fingerprint));
    let current: AlertGroup | undefined;
    let last = Number.NEGATIVE_INFINITY;
    for (const a of list) {
      if (!current || a.startsAt - last > gapMs) {
        current = { key: `${key}@${a.startsAt}`, service: a.service, signal: alertSignal(a), onset: a.startsAt, alerts: [] };
        groups.push(current);
      }
      current.alerts.push(a);
      last = a.startsAt;
    }
  }
  return groups.sort((a, b) => a.onset - b.onset || a.key.localeCompare(b.key));
}

/**
 * The window in which the calls that explain an alert group are judged: around its own onset, not around the
 * pair's. Failures precede the alerts they cause (rule windows, `for` durations), and a failure that only starts
 * after an alert fired did not cause it — in a storm, that is another incident's.
 */
const WINDOW_LEAD_MS = 2 * 60_000;
const WINDOW_TAIL_MS = 5 * 60_000;
/** Shared labels (namespace, cluster…) strengthen a topological relation by this much; they never create one. */
const LABEL_BONUS = 0.1;
/**
 * How related two alert groups are, before onset distance, when the graph knows no service at all (nothing is traced
 * and no catalog declares anything): what is unknown is not unrelated. Their onsets are then all there is to go by (and
 * labels, a little), so alerts that begin within minutes of each other meet: as likely as not one failure (decision 021).
 */
const UNKNOWN_TOPOLOGY_RELATION = 0.5;
/**
 * Without any topology, onsets this many mean gaps between onsets apart weigh e^-1 (at most timeScaleMs): how close is
 * close depends on how often alerts begin. Where a group begins every few seconds (hundreds of services alerting in a
 * storm), minutes say nothing about which failures belong together.
 */
const ONSET_SCALE_IN_MEAN_GAPS = 2;

/**
 * What a caller analysing repeatedly keeps across analyses (the engine keeps one for its life).
 * `completeBefore`: alert groups whose judging window (plus the one-minute snap) ends before it have a settled
 * explanation: their trace buckets are complete, so it holds for good. `Number.POSITIVE_INFINITY` says more: the
 * inputs (graph, traces) are those of the previous call with this memo, so everything computed then still holds.
 */
export interface RelationMemo {
  /** The memo's identity: explanations are kept alongside it (weights by pair are no longer written). */
  weights: Map<string, number>;
  completeBefore: number;
  /**
   * When inputs changed (completeBefore finite), an explanation computed under an earlier `stamp` is still kept if
   * `unchangedSince(thatStamp, from, to)` says nothing it read for the judging window [from, to) has changed since
   * (the caller knows which trace buckets changed). Without it, every unsettled explanation is recomputed.
   */
  stamp?: unknown;
  unchangedSince?: (stamp: unknown, from: number, to: number) => boolean;
}

/** An unsettled explanation, with what is needed to tell later whether it still holds. */
interface SessionExplanation {
  explanation: Explanation;
  /** The call that computed it: what `unchangedSince` compares with. */
  stamp: unknown;
  /** The last call (ExplanationMemo.calls) in which it was computed or found to hold. */
  validIn: number;
}

/** Explanations kept for one memo: for good, and for as long as what they read does not change. */
interface ExplanationMemo {
  lasting: Map<string, Explanation>;
  session: Map<string, SessionExplanation>;
  /** Calls so far: a call with unchanged inputs (completeBefore +∞) vouches only for the one before it. */
  calls: number;
}

/** Keyed by the caller's memo map, so explanations live exactly as long as the caller's memo. */
const explanationMemos = new WeakMap<object, ExplanationMemo>();

/** Kept explanations beyond this many are dropped wholesale (a bound on memory in a long storm). */
const MAX_MEMO_EXPLANATIONS = 50_000;

function explanationMemoFor(memo: RelationMemo): ExplanationMemo {
  let kept = explanationMemos.get(memo.weights);
  if (!kept) explanationMemos.set(memo.weights, (kept = { lasting: new Map(), session: new Map(), calls: 0 }));
  if (memo.completeBefore !== Number.POSITIVE_INFINITY && !memo.unchangedSince) kept.session.clear();
  if (kept.lasting.size + kept.session.size > MAX_MEMO_EXPLANATIONS) {
    kept.lasting.clear();
    kept.session.clear();
  }
  return kept;
}

/**
 * Returns clusters of alerts (each a list of alerts), deterministic for the same input and seed.
 * Two alert groups are related when their explanations meet (alert-relations.ts), each judged by the calls in its
 * own window; weights then fall with onset distance and rise a little with shared labels. When the graph knows no
 * service at all (nothing traced, no catalog), onsets alone relate groups, on a scale set by how often they begin
 * (relateByOnsets, decision 021).
 * Cost: one bounded downstream search per group (memoised once its window is complete), then every pair of groups
 * whose explanations share a service — O(groups²) at worst (one failing hub in every explanation), usually far
 * fewer; never all pairs of unrelated groups.
 */
export function clusterAlerts(
  alerts: readonly Alert[],
  graph: DependencyGraph,
  options: ClusterOptions = DEFAULT_CLUSTER_OPTIONS,
  couplingFor?: CouplingForWindow,
  memo?: RelationMemo,
  rateCouplingFor?: CouplingForWindow,
): Alert[][] {
  const groups = groupAlerts(alerts, options.groupGapMs);
  const remembered = rememberedExplanations(memo);
  const explanations = explainGroups(groups, graph, couplingFor, rateCouplingFor, remembered);
  const g = new UndirectedGraph<{ group: AlertGroup }, { weight: number }>();
  for (const group of groups) g.addNode(group.key, { group });

  // No relation reaches minWeight past this onset distance: (1 + LABEL_BONUS) · e^(−Δt / timeScale) < minWeight.
  const maxGapMs = options.timeScaleMs * Math.log((1 + LABEL_BONUS) / options.minWeight);
  for (const pair of candidatePairs(explanations, groups, maxGapMs)) {
    const i = Math.floor(pair / groups.length);
    const j = pair % groups.length;
    const topo = sharedExplanation(explanations[i]!, explanations[j]!);
    if (topo === 0) continue;
    const a = groups[i]!;
    const b = groups[j]!;
    const weight = relationWeight(topo, a, b, options);
    if (weight >= options.minWeight) g.addEdge(a.key, b.key, { weight });
  }
  // Without any topology, groups meet by their onsets; they are never roots of their own in the split below.
  const unknownTopology = graph.order === 0;
  if (unknownTopology) relateByOnsets(g, groups, explanations, options);

  const community = g.size > 0 ? louvain(g, { getEdgeWeight: 'weight', resolution: options.resolution, rng: seededRandom(options.seed) }) : {};
  const communities = new Map<string, number[]>();
  groups.forEach((group, i) => {
    const id = community[group.key] !== undefined ? `c${community[group.key]}` : group.key;
    let list = communities.get(id);
    if (!list) communities.set(id, (list = []));
    list.push(i);
  });
  const clusters: Alert[][] = [];
  const explainSymptom = symptomExplainer(groups, graph, couplingFor, remembered);
  for (const members of communities.values()) {
    if (unknownTopology) clusters.push(members.flatMap((i) => groups[i]!.alerts));
    else clusters.push(...splitAlertsByRoots(members, groups, explanations, options, explainSymptom));
  }
  return clusters;
}

/**
 * Each group's explanation (null for alerts that name no service and for warnings of a future problem: they relate to
 * nothing; only the service itself for a group of saturation alerts), judged by the calls that went bad the way its
 * alerts watch when they all watch one symptom (decision 027).
 */
function explainGroups(
  groups: readonly AlertGroup[],
  graph: DependencyGraph,
  couplingFor: CouplingForWindow | undefined,
  rateCouplingFor: CouplingForWindow | undefined,
  remembered: RememberedExplanation,
): Array<Explanation | null> {
  const callersOf: CallersOf = (service) => (graph.hasNode(service) ? graph.inNeighbors(service) : []);
  const calleesOf: CalleesOf = (service) => (graph.hasNode(service) ? graph.outNeighbors(service) : []);
  return groups.map((group) => {
    if (!group.service || group.signal === 'local') return null;
    const from = group.onset - WINDOW_LEAD_MS;
    const to = group.onset + WINDOW_TAIL_MS;
    // A group whose alerts all watch one symptom is explained by the calls that went bad that way: a slowdown by calls
    // that slowed, not by a dependency beside them that fails fast (in a storm, another failure's root; decision 027).
    const symptom = group.signal === 'failure' ? oneSymptom(group.alerts) : 'any';
    return remembered(symptom === 'any' ? group.key : `${group.key}\u0000${symptom}`, from, to, () => {
      const coupling = couplingFor?.(from, to, callersOf, calleesOf, symptom);
      // Alerts on the service's own resources (CPU, memory, restarts) only: a failing callee slows or fails its
      // callers but does not exhaust them, so nothing below explains them (decision 007). They still meet the
      // explanations of the callers they make fail.
      return group.signal === 'traffic'
        ? trafficExplanation(graph, group.service, rateCouplingFor?.(from, to), coupling)
        : group.alerts.every(isSaturation)
          ? new Map([[group.service, { strength: 1, depth: 0 }]])
          : downstreamExplanation(graph, group.service, coupling);
    });
  });
}

/** The symptom every alert of a group watches, or 'any' when they differ or one says neither. */
function oneSymptom(alerts: readonly Alert[]): 'errors' | 'latency' | 'any' {
  const first = alertSymptom(alerts[0]!);
  return first !== 'any' && alerts.every((a) => alertSymptom(a) === first) ? first : 'any';
}

/** An explanation by key, judged over the window [from, to): kept from an earlier analysis, or computed now. */
type RememberedExplanation = (key: string, from: number, to: number, compute: () => Explanation) => Explanation;

/**
 * Looks explanations up in what the caller's memo keeps (for good once the judging window is complete, else for as
 * long as what it read is unchanged), or computes and keeps them. Asked once per analysis: a memo whose inputs changed
 * drops its unsettled explanations when it is first asked.
 */
function rememberedExplanations(memo: RelationMemo | undefined): RememberedExplanation {
  const kept = memo ? explanationMemoFor(memo) : undefined;
  // Unchanged inputs (completeBefore +∞) vouch only for what held in the call just before: an explanation last valid in
  // an earlier call, and not asked for since, may have read traces that changed in between.
  const call = kept ? ++kept.calls : 0;
  return (key, from, to, compute) => {
    const settled = kept?.lasting.get(key);
    if (settled) return settled;
    const unsettled = kept?.session.get(key);
    if (
      unsettled &&
      ((memo!.completeBefore === Number.POSITIVE_INFINITY && unsettled.validIn === call - 1) ||
        memo!.unchangedSince?.(unsettled.stamp, from, to))
    ) {
      unsettled.validIn = call;
      return unsettled.explanation;
    }
    const explanation = compute();
    if (kept && memo) {
      // The coupling snaps windows out to whole minutes: settled once that minute is complete.
      if (memo.completeBefore !== Number.POSITIVE_INFINITY && to + 60_000 < memo.completeBefore) kept.lasting.set(key, explanation);
      else kept.session.set(key, { explanation, stamp: memo.stamp, validIn: call });
    }
    return explanation;
  };
}

/**
 * What explains a group's alerts on one symptom (errors or latency), from their own onset: as explainGroups, with the
 * calls read for that symptom only. Asked only of groups that alert on both, in communities with independent roots.
 */
function symptomExplainer(groups: readonly AlertGroup[], graph: DependencyGraph, couplingFor: CouplingForWindow | undefined, remembered: RememberedExplanation): SymptomExplanation {
  const callersOf: CallersOf = (service) => (graph.hasNode(service) ? graph.inNeighbors(service) : []);
  const calleesOf: CalleesOf = (service) => (graph.hasNode(service) ? graph.outNeighbors(service) : []);
  return (i, symptom, onset) => {
    const service = groups[i]!.service;
    const from = onset - WINDOW_LEAD_MS;
    const to = onset + WINDOW_TAIL_MS;
    return remembered(`${service}\u0000${symptom}\u0000${onset}`, from, to, () => downstreamExplanation(graph, service, couplingFor?.(from, to, callersOf, calleesOf, symptom)));
  };
}

/**
 * Draws the relations of groups that only their onsets can relate (the graph knows no service): UNKNOWN_TOPOLOGY_RELATION
 * (plus LABEL_BONUS for a shared label), falling with onset distance on a scale of ONSET_SCALE_IN_MEAN_GAPS mean gaps
 * between onsets. O(groups × groups within reach), and the reach shrinks as onsets crowd.
 */
function relateByOnsets(
  g: UndirectedGraph<{ group: AlertGroup }, { weight: number }>,
  groups: readonly AlertGroup[],
  explanations: ReadonlyArray<Explanation | null>,
  options: ClusterOptions,
): void {
  const onsetOptions = { ...options, timeScaleMs: Math.min(options.timeScaleMs, ONSET_SCALE_IN_MEAN_GAPS * meanOnsetGap(groups, options.timeScaleMs)) };
  const reachMs = onsetOptions.timeScaleMs * Math.log((UNKNOWN_TOPOLOGY_RELATION + LABEL_BONUS) / options.minWeight);
  for (let i = 0; i < groups.length; i++) {
    if (explanations[i] === null) continue;
    for (let j = i + 1; j < groups.length && groups[j]!.onset - groups[i]!.onset <= reachMs; j++) {
      if (explanations[j] === null) continue;
      const a = groups[i]!;
      const b = groups[j]!;
      const weight = relationWeight(UNKNOWN_TOPOLOGY_RELATION, a, b, onsetOptions);
      if (weight >= options.minWeight && !g.hasEdge(a.key, b.key)) g.addEdge(a.key, b.key, { weight });
    }
  }
}

/** A relation's weight in the clustering: `base` plus LABEL_BONUS for a shared label, falling with onset distance. */
function relationWeight(base: number, a: AlertGroup, b: AlertGroup, options: RelationOptions): number {
  const labelBonus = sharesLabels(a.alerts[0]!.labels, b.alerts[0]!.labels, options) ? LABEL_BONUS : 0;
  return (base + labelBonus) * timeAffinity(a.onset, b.onset, options);
}

/** The mean time between consecutive group onsets (groups come sorted by onset); `otherwise` for fewer than two. */
function meanOnsetGap(groups: readonly AlertGroup[], otherwise: number): number {
  return groups.length > 1 ? (groups[groups.length - 1]!.onset - groups[0]!.onset) / (groups.length - 1) : otherwise;
}

/**
 * Pairs of groups whose explanations share a service and whose onsets are close enough for a relation to reach
 * minWeight, keyed i * n + j for groups i < j (groups come sorted by onset): found through an index from service to
 * the explanations that hold it, so unrelated pairs are never visited.
 */
function candidatePairs(explanations: ReadonlyArray<Explanation | null>, groups: readonly AlertGroup[], maxGapMs: number): Set<number> {
  const n = explanations.length;
  const holders = new Map<string, number[]>();
  explanations.forEach((explanation, i) => {
    if (!explanation) return;
    for (const service of explanation.keys()) {
      let list = holders.get(service);
      if (!list) holders.set(service, (list = []));
      list.push(i);
    }
  });
  // Groups are in onset order, so each holder list is too: pairs further apart than maxGapMs end the inner loop.
  const pairs = new Set<number>();
  for (const list of holders.values()) {
    for (let x = 0; x < list.length; x++) {
      const onset = groups[list[x]!]!.onset;
      for (let y = x + 1; y < list.length && groups[list[y]!]!.onset - onset <= maxGapMs; y++) pairs.add(list[x]! * n + list[y]!);
    }
  }
  return pairs;
}
