// How strongly two groups of alerts are related: topology (same service, calls, shared dependencies), onset time
// and shared labels. Pure; the weights are the clustering's only knobs, so each one is explained here.
import type { DependencyGraph } from '../topology/dependency-graph.js';

export interface RelationOptions {
  /** Onsets this far apart weigh e^-1 of onsets at the same time. */
  timeScaleMs: number;
  /** Labels whose equality strengthens (never creates) a topological relation. */
  sharedLabels: readonly string[];
}

export const DEFAULT_RELATION_OPTIONS: RelationOptions = {
  timeScaleMs: 15 * 60_000,
  sharedLabels: ['namespace', 'cluster', 'env', 'environment'],
};

/**
 * Topological relatedness of two services, 0..1, from their positions in the call graph:
 * - same service: 1;
 * - one calls the other: 1 (failures propagate along calls);
 * - both call a common dependency: 0.7 (two callers of one failing database belong together);
 * - a two-hop call chain: 0.6;
 * - three-hop chain: 0.3;
 * - siblings under a common caller only: 0.1 (a frontend calls everything; that alone says little).
 * Unrelated or unknown services: 0 — an alert never joins an incident on labels or time alone.
 */
export function topologicalRelation(graph: DependencyGraph, a: string, b: string): number {
  if (a === b) return 1;
  if (!graph.hasNode(a) || !graph.hasNode(b)) return 0;
  if (graph.hasDirectedEdge(a, b) || graph.hasDirectedEdge(b, a)) return 1;
  let best = 0;
  graph.forEachOutNeighbor(a, (x) => {
    if (graph.hasDirectedEdge(b, x)) best = Math.max(best, 0.7); // shared dependency
    if (graph.hasDirectedEdge(x, b)) best = Math.max(best, 0.6); // a → x → b
  });
  if (best >= 0.7) return best;
  graph.forEachOutNeighbor(b, (x) => {
    if (graph.hasDirectedEdge(x, a)) best = Math.max(best, 0.6); // b → x → a
  });
  if (best > 0) return best;
  if (threeHopChain(graph, a, b) || threeHopChain(graph, b, a)) return 0.3;
  graph.forEachInNeighbor(a, (x) => {
    if (graph.hasDirectedEdge(x, b)) best = Math.max(best, 0.1);
  });
  return best;
}

function threeHopChain(graph: DependencyGraph, from: string, to: string): boolean {
  let found = false;
  graph.forEachOutNeighbor(from, (x) => {
    if (found) return;
    graph.forEachOutNeighbor(x, (y) => {
      if (!found && y !== from && graph.hasDirectedEdge(y, to)) found = true;
    });
  });
  return found;
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
