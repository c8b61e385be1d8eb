// How strongly two groups of alerts are related: call-graph paths between their services, each edge weighted
// by whether traces saw calls along it go bad around the onsets, then onset time and shared labels.
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
export type EdgeCoupling = (caller: string, callee: string) => number;

/** Without trace evidence every edge couples fully: the relation is the call-graph pattern alone. */
const topologyOnly: EdgeCoupling = () => 1;

/**
 * Relatedness of two services, 0..1: the strongest short path between them in the call graph, where a path's
 * weight is its pattern's base weight times the coupling of each of its edges:
 * - same service: 1;
 * - one calls the other: 1 (failures propagate along calls);
 * - both call a common dependency: 0.8 (two callers of one failing database belong together);
 * - a two-hop call chain: 0.7; a three-hop chain: 0.4.
 * Siblings under a common caller are not related (a frontend calls everything; that alone says nothing), and
 * neither are services the graph does not know: an alert never joins an incident on labels or time alone.
 */
export function topologicalRelation(graph: DependencyGraph, a: string, b: string, coupling: EdgeCoupling = topologyOnly): number {
  if (a === b) return 1;
  if (!graph.hasNode(a) || !graph.hasNode(b)) return 0;
  let best = 0;
  const consider = (w: number): void => {
    if (w > best) best = w;
  };
  if (graph.hasDirectedEdge(a, b)) consider(coupling(a, b));
  if (graph.hasDirectedEdge(b, a)) consider(coupling(b, a));
  graph.forEachOutNeighbor(a, (x) => {
    if (x === b) return;
    const ax = coupling(a, x);
    if (graph.hasDirectedEdge(b, x)) consider(0.8 * ax * coupling(b, x)); // shared dependency
    if (graph.hasDirectedEdge(x, b)) consider(0.7 * ax * coupling(x, b)); // a → x → b
    if (best < 0.4 * ax) {
      graph.forEachOutNeighbor(x, (y) => {
        if (y !== a && y !== b && graph.hasDirectedEdge(y, b)) consider(0.4 * ax * coupling(x, y) * coupling(y, b)); // a → x → y → b
      });
    }
  });
  graph.forEachOutNeighbor(b, (x) => {
    if (x === a) return;
    const bx = coupling(b, x);
    if (graph.hasDirectedEdge(x, a)) consider(0.7 * bx * coupling(x, a)); // b → x → a
    if (best < 0.4 * bx) {
      graph.forEachOutNeighbor(x, (y) => {
        if (y !== a && y !== b && graph.hasDirectedEdge(y, a)) consider(0.4 * bx * coupling(x, y) * coupling(y, a)); // b → x → y → a
      });
    }
  });
  return best;
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
