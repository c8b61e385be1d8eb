// The live service dependency graph: caller → callee, built from trace aggregates (and optionally a declared catalog).
import { DirectedGraph } from 'graphology';
import type { CallStats } from '../model/trace-aggregate.js';
import type { PeerKind } from '../model/span.js';

export interface ServiceNode {
  /** Known only as a client-span peer: no spans of its own (a database, cache, queue, external API). */
  uninstrumented: boolean;
  kind: PeerKind;
}

export interface CallEdge {
  calls: number;
  /** Last time (epoch ms, bucket start) this edge carried a call; used to age edges out. */
  lastSeen: number;
  /** Declared in a catalog rather than observed in traces. */
  declared: boolean;
}

export type DependencyGraph = DirectedGraph<ServiceNode, CallEdge>;

export interface ObservedEdge {
  caller: string;
  callee: string;
  stats: Pick<CallStats, 'calls'>;
  calleeUninstrumented: boolean;
  calleeKind: PeerKind;
  lastSeen: number;
}

export interface DeclaredDependency {
  service: string;
  dependsOn: readonly string[];
}

export interface DependencyGraphOptions {
  /** Observed edges not seen since this time (epoch ms) are left out. */
  seenSince?: number;
  declared?: readonly DeclaredDependency[];
}

/** Builds the graph from observed edges (traces) and declared dependencies. O(E). */
export function buildDependencyGraph(edges: Iterable<ObservedEdge>, options: DependencyGraphOptions = {}): DependencyGraph {
  const graph: DependencyGraph = new DirectedGraph<ServiceNode, CallEdge>();
  const seenSince = options.seenSince ?? Number.NEGATIVE_INFINITY;
  for (const e of edges) {
    if (e.lastSeen < seenSince || e.caller === e.callee) continue;
    addService(graph, e.caller, { uninstrumented: false, kind: 'service' });
    addService(graph, e.callee, { uninstrumented: e.calleeUninstrumented, kind: e.calleeKind });
    if (graph.hasEdge(e.caller, e.callee)) {
      graph.updateEdgeAttributes(e.caller, e.callee, (a) => ({
        calls: a!.calls + e.stats.calls,
        lastSeen: Math.max(a!.lastSeen, e.lastSeen),
        declared: a!.declared,
      }));
    } else {
      graph.addEdge(e.caller, e.callee, { calls: e.stats.calls, lastSeen: e.lastSeen, declared: false });
    }
  }
  for (const d of options.declared ?? []) {
    addService(graph, d.service, { uninstrumented: false, kind: 'service' });
    for (const dep of d.dependsOn) {
      if (dep === d.service) continue;
      addService(graph, dep, { uninstrumented: false, kind: 'service' });
      if (!graph.hasEdge(d.service, dep)) graph.addEdge(d.service, dep, { calls: 0, lastSeen: 0, declared: true });
    }
  }
  return graph;
}

/** Adds a service node; a node seen once with spans of its own stays instrumented. */
export function addService(graph: DependencyGraph, name: string, attrs: ServiceNode): void {
  if (!graph.hasNode(name)) {
    graph.addNode(name, attrs);
  } else if (!attrs.uninstrumented && graph.getNodeAttribute(name, 'uninstrumented')) {
    graph.mergeNodeAttributes(name, attrs);
  }
}

/**
 * Services reachable by following calls downstream from `start` (callees, their callees, …) up to `maxDepth` hops,
 * with their hop distance. `start` itself is at distance 0. Breadth-first: O(nodes + edges visited).
 */
export function downstreamOf(graph: DependencyGraph, start: string, maxDepth: number): Map<string, number> {
  return breadthFirst(graph, start, maxDepth, (n, visit) => graph.forEachOutNeighbor(n, visit));
}

/** Services that (transitively) call `start`, up to `maxDepth` hops, with their distance. */
export function upstreamOf(graph: DependencyGraph, start: string, maxDepth: number): Map<string, number> {
  return breadthFirst(graph, start, maxDepth, (n, visit) => graph.forEachInNeighbor(n, visit));
}

/** Undirected neighbourhood: services within `maxDepth` hops in either direction. */
export function neighbourhoodOf(graph: DependencyGraph, start: string, maxDepth: number): Map<string, number> {
  return breadthFirst(graph, start, maxDepth, (n, visit) => graph.forEachNeighbor(n, visit));
}

function breadthFirst(
  graph: DependencyGraph,
  start: string,
  maxDepth: number,
  forEachNext: (node: string, visit: (next: string) => void) => void,
): Map<string, number> {
  const distance = new Map<string, number>([[start, 0]]);
  if (!graph.hasNode(start)) return distance;
  let frontier = [start];
  for (let depth = 1; depth <= maxDepth && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const node of frontier) {
      forEachNext(node, (n) => {
        if (!distance.has(n)) {
          distance.set(n, depth);
          next.push(n);
        }
      });
    }
    frontier = next;
  }
  return distance;
}
