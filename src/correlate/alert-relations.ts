// How strongly two groups of alerts are related: whether what could explain each of them — its own service and
// the services it calls, followed downstream along calls that went bad — meets, then onset time and shared labels.
// Pure; these weights are the clustering's knobs, so each one is explained here.
import type { DependencyGraph } from '../topology/dependency-graph.js';

export interface RelationOptions {
  /** Onsets this far apart weigh e^-1 of onsets at the same time. */
  timeScaleMs: number;
  /** Labels whose equality strengthens (never creates) a topological relation. */
  sharedLabels: readonly string[];
}

export const DEFAULT_RELATION_OPTIONS: RelationOptions = {
  timeScaleMs: 10 * 60_000,
  sharedLabels: ['namespace', 'cluster', 'env', 'environment'],
};

/**
 * How much a call edge (caller → callee) couples failures of its two ends, 0..1:
 * calls along it failing or slowing → up to 1; calls seen and healthy → low; too few calls to tell → neutral.
 */
export type EdgeCoupling = ((caller: string, callee: string) => number) & {
  /** Whether the calls into `callee` (this edge's, read with the callee's from every caller) show it failing. */
  showsFailure?: (caller: string, callee: string) => boolean;
};

/** Without trace evidence every edge couples fully: the relation is the call-graph pattern alone. */
const topologyOnly: EdgeCoupling = () => 1;

/** How far downstream an alert's explanation is followed. */
export const EXPLANATION_DEPTH = 3;
/** Two explanations meet only through paths of at most this many calls in all (a → x → y → b, a → x → y ← b). */
export const MAX_RELATION_HOPS = 3;
/** Each hop past the first weakens a path: the further away a failure, the less it says about this alert. */
const HOP_FACTOR = 0.8;
/** Paths weaker than this are not followed further: they explain nothing. */
const EXPLANATION_FLOOR = 0.05;

export interface ExplanationStep {
  /** Strength of the strongest path to the service, 0..1. */
  strength: number;
  /** Calls along that path (0: the alert's own service). */
  depth: number;
  /** A direct dependency whose calls show it failing (EdgeCoupling.showsFailure). */
  shownFailing?: true;
}

/** What could explain an alert on one service: services → how strongly. */
export type Explanation = ReadonlyMap<string, ExplanationStep>;

/**
 * What could explain a failure alert (errors, latency) on `service`: the service itself (strength 1) and every
 * service reachable by following calls downstream up to EXPLANATION_DEPTH hops, each with the strength of its
 * strongest path — the product of the path's edge couplings, weakened by HOP_FACTOR for each hop past the first.
 * Only downstream: failures propagate from callee to caller, so callers in common (a frontend calls everything)
 * explain nothing. Layered search over paths of exactly 1, 2, 3 hops, so that a longer path through failing calls
 * can beat a shorter one through healthy calls; paths under EXPLANATION_FLOOR are dropped. O(edges within the depth).
 */
export function downstreamExplanation(graph: DependencyGraph, service: string, coupling: EdgeCoupling = topologyOnly): Map<string, ExplanationStep> {
  const out = new Map<string, ExplanationStep>([[service, { strength: 1, depth: 0 }]]);
  if (graph.hasNode(service)) followCalls(graph, service, new Map([[service, 1]]), 0, 'down', coupling, out);
  return out;
}

/**
 * What could explain a traffic alert on `service` (its request rate shifted; see model/alert-signal.ts): the
 * service itself, the callers above it up to EXPLANATION_DEPTH hops (one that calls it less, or more), and what
 * its direct callers call in turn (a caller failing on another dependency gives up before it calls this one) —
 * paths of at most EXPLANATION_DEPTH calls in all. Only direct callers: a failure beside a caller further up
 * (mail ← checkout ← frontend → search) is too far from this service's traffic to explain it. Steps up are judged
 * by `rateCoupling` (did the caller's calls to it change), steps down by `coupling` as in downstreamExplanation. So a traffic alert meets a failure alert where
 * both point: at the caller that failed, or at the dependency that made it fail. O(edges within the depth).
 */
export function trafficExplanation(
  graph: DependencyGraph,
  service: string,
  rateCoupling: EdgeCoupling = topologyOnly,
  coupling: EdgeCoupling = topologyOnly,
): Map<string, ExplanationStep> {
  const out = new Map<string, ExplanationStep>([[service, { strength: 1, depth: 0 }]]);
  if (!graph.hasNode(service)) return out;
  followCalls(graph, service, new Map([[service, 1]]), 0, 'up', rateCoupling, out);
  const directCallers = new Map<string, number>();
  for (const [node, step] of out) if (step.depth === 1) directCallers.set(node, step.strength);
  followCalls(graph, service, directCallers, 1, 'down', coupling, out);
  return out;
}

/**
 * Layered search from `layer` (nodes → path strength, all `startDepth` calls from `service`) along calls, down
 * (to callees) or up (to callers), until EXPLANATION_DEPTH calls in all; keeps each node's strongest path in `out`.
 * `coupling` is always asked about the call as made: (caller, callee).
 */
function followCalls(
  graph: DependencyGraph,
  service: string,
  layer: Map<string, number>,
  startDepth: number,
  direction: 'down' | 'up',
  coupling: EdgeCoupling,
  out: Map<string, ExplanationStep>,
): void {
  for (let depth = startDepth + 1; depth <= EXPLANATION_DEPTH && layer.size > 0; depth++) {
    const next = new Map<string, number>();
    const hop = depth > 1 ? HOP_FACTOR : 1;
    for (const [node, from] of layer) {
      const visit = (neighbour: string): void => {
        if (neighbour === service) return;
        const s = from * hop * (direction === 'down' ? coupling(node, neighbour) : coupling(neighbour, node));
        if (s >= EXPLANATION_FLOOR && s > (next.get(neighbour) ?? 0)) next.set(neighbour, s);
      };
      if (direction === 'down') graph.forEachOutNeighbor(node, visit);
      else graph.forEachInNeighbor(node, visit);
    }
    for (const [node, strength] of next) {
      const known = out.get(node);
      if (known !== undefined && strength <= known.strength) continue;
      out.set(node, depth === 1 && direction === 'down' && coupling.showsFailure?.(service, node) ? { strength, depth, shownFailing: true } : { strength, depth });
    }
    layer = next;
  }
}

/**
 * Relatedness of two explanations, 0..1: the strongest service they share within MAX_RELATION_HOPS calls in
 * all, the product of both strengths. With couplings of 1 this gives: same service 1; one calls the other 1;
 * both call a common dependency 1 (two callers of one failing database belong together); a two-hop chain, or
 * callers one and two hops above a common dependency, 0.8; a three-hop chain 0.64. O(smaller explanation).
 * `via`, when given, receives the shared service that gave the result (null when they share none).
 */
export function sharedExplanation(a: Explanation, b: Explanation, via?: { service: string | null }): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let best = 0;
  let bestService: string | null = null;
  for (const [service, x] of small) {
    const y = large.get(service);
    if (y === undefined || x.depth + y.depth > MAX_RELATION_HOPS) continue;
    const w = x.strength * y.strength;
    if (w > best) [best, bestService] = [w, service];
  }
  if (via) via.service = bestService;
  return best;
}

/**
 * Relatedness of two services, 0..1 (see sharedExplanation), with each side's calls judged by its own coupling
 * (`couplingB` defaults to `coupling`). Services the graph does not know relate only to themselves: where the graph
 * knows any service, an alert never joins an incident on labels or time alone (where it knows none, onsets relate
 * alerts instead: incident-clusters.ts, decision 021).
 */
export function topologicalRelation(graph: DependencyGraph, a: string, b: string, coupling: EdgeCoupling = topologyOnly, couplingB: EdgeCoupling = coupling): number {
  return sharedExplanation(downstreamExplanation(graph, a, coupling), downstreamExplanation(graph, b, couplingB));
}

export function timeAffinity(onsetA: number, onsetB: number, options: RelationOptions): number {
  return Math.exp(-Math.abs(onsetA - onsetB) / options.timeScaleMs);
}

export function sharesLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>, options: RelationOptions): boolean {
  for (const name of options.sharedLabels) {
    const va = a[name];
    if (va !== undefined && va === b[name]) return true;
  }
  return false;
}
