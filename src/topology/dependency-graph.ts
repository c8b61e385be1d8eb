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

/** Neighbours of every node as arrays of node indices, in graphology's own iteration order. */
interface Adjacency {
  index: Map<string, number>;
  names: string[];
  attributes: ServiceNode[];
  out: number[][];
  in: number[][];
  /** In-neighbours, then out-neighbours not already listed: graphology's order for `forEachNeighbor`. */
  both: number[][];
  /** Out-neighbour names per node, for edge tests. */
  outNames: Set<string>[];
  /** Neighbour name lists per direction, built on first request (copies are handed out). */
  nameLists: { out?: string[][]; in?: string[][]; both?: string[][] };
}

type NeighbourCallback = (neighbor: string, attributes: ServiceNode) => void;

/** Bound on the remembered search results of one graph (map entries; ~100 bytes each). */
const MAX_SEARCH_ENTRIES = 1_000_000;

/*
 * The analysis reads the graph far more than it writes it: clustering and ranking walk neighbours hundreds of
 * thousands of times per analysis, and graphology's neighbour iteration (a `for…in` over an object per call) was
 * most of their cost. This subclass answers the neighbour reads from arrays built on first use, in exactly the
 * order graphology iterates (so every result is unchanged), and drops them on any structural change.
 */
class AnalysisGraph extends DirectedGraph<ServiceNode, CallEdge> {
  private adjacency: Adjacency | null = null;
  /** Breadth-first results by direction and depth, then start: the same searches recur in every analysis. */
  private readonly searches = new Map<string, Map<string, ReadonlyMap<string, number>>>();
  private searchEntries = 0;

  constructor() {
    super();
    const invalidate = (): void => {
      this.adjacency = null;
      this.searches.clear();
      this.searchEntries = 0;
    };
    for (const event of ['nodeAdded', 'edgeAdded', 'nodeDropped', 'edgeDropped', 'cleared', 'edgesCleared', 'nodeAttributesUpdated', 'eachNodeAttributesUpdated'] as const) {
      this.on(event, invalidate);
    }
  }

  /** The adjacency arrays (built now if the graph changed since they were last built). */
  neighbourIndex(): Adjacency {
    if (this.adjacency !== null) return this.adjacency;
    const index = new Map<string, number>();
    const names: string[] = [];
    const attributes: ServiceNode[] = [];
    super.forEachNode((node, attrs) => {
      index.set(node, names.length);
      names.push(node);
      attributes.push(attrs);
    });
    const collect = (iterate: (node: string, cb: (n: string) => void) => void): number[][] =>
      names.map((node) => {
        const list: number[] = [];
        iterate(node, (n) => list.push(index.get(n)!));
        return list;
      });
    const out = collect((node, cb) => super.forEachOutNeighbor(node, cb));
    this.adjacency = {
      index,
      names,
      attributes,
      out,
      outNames: out.map((list) => new Set(list.map((k) => names[k]!))),
      nameLists: {},
      in: collect((node, cb) => super.forEachInNeighbor(node, cb)),
      both: collect((node, cb) => super.forEachNeighbor(node, cb)),
    };
    return this.adjacency;
  }

  override forEachOutNeighbor(node: unknown, callback: NeighbourCallback): void {
    if (!this.visit('out', node, callback)) super.forEachOutNeighbor(node, callback);
  }

  override forEachInNeighbor(node: unknown, callback: NeighbourCallback): void {
    if (!this.visit('in', node, callback)) super.forEachInNeighbor(node, callback);
  }

  override forEachNeighbor(node: unknown, callback: NeighbourCallback): void {
    if (!this.visit('both', node, callback)) super.forEachNeighbor(node, callback);
  }

  // graphology answers from a property lookup on a per-node object, which interns the name string on every call;
  // a Set lookup reuses the string's cached hash. The one-argument form (an edge key) stays graphology's.
  override hasDirectedEdge(...args: [edge: unknown] | [source: unknown, target: unknown]): boolean {
    if (args.length !== 2) return super.hasDirectedEdge(...args);
    const adj = this.neighbourIndex();
    const i = adj.index.get(String(args[0]));
    return i !== undefined && adj.outNames[i]!.has(String(args[1]));
  }

  override outNeighbors(node: unknown): string[] {
    return this.names('out', node) ?? super.outNeighbors(node);
  }

  override inNeighbors(node: unknown): string[] {
    return this.names('in', node) ?? super.inNeighbors(node);
  }

  override neighbors(node: unknown): string[] {
    return this.names('both', node) ?? super.neighbors(node);
  }

  /** A remembered search result, or undefined. */
  cachedSearch(kind: string, start: string): ReadonlyMap<string, number> | undefined {
    return this.searches.get(kind)?.get(start);
  }

  /** Remembers a search result, up to MAX_SEARCH_ENTRIES entries over all results (then searches run every time). */
  rememberSearch(kind: string, start: string, result: ReadonlyMap<string, number>): void {
    if (this.searchEntries + result.size > MAX_SEARCH_ENTRIES) return;
    let byStart = this.searches.get(kind);
    if (byStart === undefined) this.searches.set(kind, (byStart = new Map()));
    byStart.set(start, result);
    this.searchEntries += result.size;
  }

  /** False when the node is unknown: the caller then lets graphology throw its own error. */
  private visit(direction: 'out' | 'in' | 'both', node: unknown, callback: NeighbourCallback): boolean {
    const adj = this.neighbourIndex();
    const i = adj.index.get(String(node));
    if (i === undefined) return false;
    const list = adj[direction][i]!;
    for (let k = 0; k < list.length; k++) callback(adj.names[list[k]!]!, adj.attributes[list[k]!]!);
    return true;
  }

  private names(direction: 'out' | 'in' | 'both', node: unknown): string[] | undefined {
    const adj = this.neighbourIndex();
    const i = adj.index.get(String(node));
    if (i === undefined) return undefined;
    const lists = (adj.nameLists[direction] ??= adj[direction].map((list) => list.map((k) => adj.names[k]!)));
    return lists[i]!.slice();
  }
}

/** A fresh, empty dependency graph (with the fast neighbour reads of AnalysisGraph). */
export function emptyDependencyGraph(): DependencyGraph {
  return new AnalysisGraph();
}

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
  const graph = emptyDependencyGraph();
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
  // A catalog says who depends on whom, not who exports spans: a declared dependency adds a node the traces have not
  // seen, and leaves a traced one as the traces describe it (a database seen only as a peer stays uninstrumented).
  for (const d of options.declared ?? []) {
    addDeclaredService(graph, d.service);
    for (const dep of d.dependsOn) {
      if (dep === d.service) continue;
      addDeclaredService(graph, dep);
      if (!graph.hasEdge(d.service, dep)) graph.addEdge(d.service, dep, { calls: 0, lastSeen: 0, declared: true });
    }
  }
  return graph;
}

/** A node only a catalog names: taken for an instrumented service until traces say otherwise. */
function addDeclaredService(graph: DependencyGraph, name: string): void {
  if (!graph.hasNode(name)) graph.addNode(name, { uninstrumented: false, kind: 'service' });
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
export function downstreamOf(graph: DependencyGraph, start: string, maxDepth: number): ReadonlyMap<string, number> {
  return search(graph, start, maxDepth, 'out');
}

/** Services that (transitively) call `start`, up to `maxDepth` hops, with their distance. */
export function upstreamOf(graph: DependencyGraph, start: string, maxDepth: number): ReadonlyMap<string, number> {
  return search(graph, start, maxDepth, 'in');
}

/**
 * Undirected neighbourhood: services within `maxDepth` hops in either direction. Like the two above, the result
 * may be shared with other callers (the graph remembers it until it changes): read it, never modify it.
 */
export function neighbourhoodOf(graph: DependencyGraph, start: string, maxDepth: number): ReadonlyMap<string, number> {
  return search(graph, start, maxDepth, 'both');
}

function search(graph: DependencyGraph, start: string, maxDepth: number, direction: 'out' | 'in' | 'both'): ReadonlyMap<string, number> {
  if (!(graph instanceof AnalysisGraph)) return breadthFirst(graph, start, maxDepth, direction);
  const kind = direction + maxDepth;
  const known = graph.cachedSearch(kind, start);
  if (known !== undefined) return known;
  const result = breadthFirst(graph, start, maxDepth, direction);
  graph.rememberSearch(kind, start, result);
  return result;
}

/** Visit marks for the index-based search, reused across calls (stamped, so never cleared). */
let marks = new Int32Array(0);
let stamp = 0;

function breadthFirst(graph: DependencyGraph, start: string, maxDepth: number, direction: 'out' | 'in' | 'both'): Map<string, number> {
  const distance = new Map<string, number>([[start, 0]]);
  if (!graph.hasNode(start)) return distance;
  if (!(graph instanceof AnalysisGraph)) return slowBreadthFirst(graph, start, maxDepth, direction, distance);
  const adj = graph.neighbourIndex();
  const lists = adj[direction];
  if (marks.length < adj.names.length) marks = new Int32Array(Math.max(adj.names.length, 2 * marks.length));
  if (++stamp === 0x7fffffff) {
    marks.fill(0);
    stamp = 1;
  }
  let frontier = [adj.index.get(start)!];
  marks[frontier[0]!] = stamp;
  for (let depth = 1; depth <= maxDepth && frontier.length > 0; depth++) {
    const next: number[] = [];
    for (const node of frontier) {
      const list = lists[node]!;
      for (let k = 0; k < list.length; k++) {
        const n = list[k]!;
        if (marks[n] === stamp) continue;
        marks[n] = stamp;
        distance.set(adj.names[n]!, depth);
        next.push(n);
      }
    }
    frontier = next;
  }
  return distance;
}

/** The same search over a graph built elsewhere (plain graphology). */
function slowBreadthFirst(
  graph: DependencyGraph,
  start: string,
  maxDepth: number,
  direction: 'out' | 'in' | 'both',
  distance: Map<string, number>,
): Map<string, number> {
  const forEachNext = (n: string, visit: (next: string) => void): void =>
    direction === 'out' ? graph.forEachOutNeighbor(n, visit) : direction === 'in' ? graph.forEachInNeighbor(n, visit) : graph.forEachNeighbor(n, visit);
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
