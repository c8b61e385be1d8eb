// Randomised layered microservice DAGs: frontends on top, services in layers, datastores at the bottom.
import type { Rng } from './rng.js';
import { DATASTORE_FLAVOURS, NamePool, type DatastoreFlavour, type DatastoreKind } from './service-names.js';

export type NodeKind = 'frontend' | 'service' | DatastoreKind;

export interface TopologyNode {
  name: string;
  kind: NodeKind;
  /** Instrumented nodes emit SERVER spans; datastores never do (seen only as client-span peers). */
  instrumented: boolean;
  layer: number;
  /** `db.system` / `messaging.system` of a datastore, null for services. */
  system: string | null;
  selfLatencyMs: number;
  latencySigma: number;
  baseErrorRate: number;
  /** Client timeout this node applies to its outbound calls. */
  timeoutMs: number;
  /** Whether this node calls its callees concurrently (latency = max) or one after another (sum). */
  parallelCalls: boolean;
  pods: string[];
  namespace: string;
  language: 'nodejs' | 'java' | 'go' | 'python';
}

export interface CallEdge {
  caller: string;
  callee: string;
  /** Share of the caller's requests that make this call. */
  probability: number;
  /** Chance that a failed call fails the caller's request too (the rest is absorbed by fallbacks). */
  errorPropagation: number;
}

export interface Topology {
  nodes: TopologyNode[];
  byName: Map<string, TopologyNode>;
  callees: Map<string, CallEdge[]>;
  callers: Map<string, string[]>;
  frontends: string[];
  /** Expected calls reaching each node per frontend request (summed over frontends, weighted by share). */
  reach: Map<string, number>;
  /** Share of entry traffic per frontend. */
  frontendShare: Map<string, number>;
}

export interface TopologyOptions {
  size: number;
}

const K8S_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function podNames(rng: Rng, name: string, count: number): string[] {
  const rs = Array.from({ length: 10 }, () => rng.pick([...K8S_ALPHABET])).join('');
  return Array.from({ length: count }, () => `${name}-${rs}-${Array.from({ length: 5 }, () => rng.pick([...K8S_ALPHABET])).join('')}`);
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, x));
}

/** A node with plausible latency/error characteristics for its kind. */
export function makeNode(rng: Rng, name: string, kind: NodeKind, layer: number, namespace: string, system: string | null = null): TopologyNode {
  const isStore = kind === 'database' || kind === 'cache' || kind === 'queue';
  const selfLatencyMs =
    kind === 'frontend' ? rng.between(4, 20) : kind === 'service' ? clamp(rng.logNormal(8, 0.7), 1, 90) : kind === 'database' ? rng.between(2, 14) : kind === 'cache' ? rng.between(0.3, 2) : rng.between(1, 5);
  return {
    name,
    kind,
    instrumented: !isStore,
    layer,
    system,
    selfLatencyMs,
    latencySigma: rng.between(0.25, 0.6),
    baseErrorRate: rng.chance(0.1) ? rng.between(0.01, 0.025) : rng.between(0.0005, 0.006),
    timeoutMs: rng.pick([1000, 2000, 3000, 5000, 10000]),
    parallelCalls: rng.chance(0.3),
    pods: isStore ? [] : podNames(rng, name, rng.int(1, kind === 'frontend' ? 4 : 3)),
    namespace,
    language: rng.pick(['nodejs', 'java', 'go', 'python'] as const),
  };
}

/** Adds one call edge (no duplicates). */
export function connect(topology: Pick<Topology, 'callees' | 'callers'>, edge: CallEdge): void {
  const out = topology.callees.get(edge.caller) ?? [];
  if (out.some((e) => e.callee === edge.callee)) return;
  out.push(edge);
  topology.callees.set(edge.caller, out);
  const inc = topology.callers.get(edge.callee) ?? [];
  inc.push(edge.caller);
  topology.callers.set(edge.callee, inc);
}

/** Sets call probabilities so a request fans out to a few callees, not to all of them. */
export function tuneProbabilities(rng: Rng, topology: Topology): void {
  for (const [caller, edges] of topology.callees) {
    const node = topology.byName.get(caller)!;
    const services = edges.filter((e) => topology.byName.get(e.callee)!.kind === 'service');
    // Expected service calls per request: a frontend fans out to a few, a service to about one.
    const expected = node.kind === 'frontend' ? rng.between(1.5, 3) : rng.between(0.4, 1.3);
    for (const e of edges) {
      const calleeKind = topology.byName.get(e.callee)!.kind;
      if (calleeKind === 'service') e.probability = clamp((expected / Math.max(1, services.length)) * rng.between(0.5, 1.5), 0.05, 1);
      else e.probability = rng.between(0.3, 0.9);
      e.errorPropagation = calleeKind === 'cache' ? rng.between(0.3, 0.9) : calleeKind === 'queue' ? rng.between(0.5, 1) : rng.between(0.7, 1);
    }
  }
}

/** Expected calls per entry request, propagated down the DAG in layer order. */
export function computeReach(topology: Topology): void {
  topology.reach = new Map(topology.nodes.map((n) => [n.name, 0]));
  for (const f of topology.frontends) topology.reach.set(f, topology.frontendShare.get(f) ?? 0);
  const ordered = [...topology.nodes].sort((a, b) => a.layer - b.layer);
  for (const n of ordered) {
    const r = topology.reach.get(n.name) ?? 0;
    for (const e of topology.callees.get(n.name) ?? []) topology.reach.set(e.callee, (topology.reach.get(e.callee) ?? 0) + r * e.probability);
  }
}

export function emptyTopology(): Topology {
  return { nodes: [], byName: new Map(), callees: new Map(), callers: new Map(), frontends: [], reach: new Map(), frontendShare: new Map() };
}

export function addNode(topology: Topology, node: TopologyNode): TopologyNode {
  topology.nodes.push(node);
  topology.byName.set(node.name, node);
  if (node.kind === 'frontend') topology.frontends.push(node.name);
  return node;
}

export function generateTopology(rng: Rng, options: TopologyOptions): Topology {
  const size = Math.max(8, Math.round(options.size));
  const names = new NamePool(rng);
  const topology = emptyTopology();
  const namespaces = rng.sample(['prod', 'shop', 'platform', 'payments', 'core', 'web'], rng.int(1, 3));
  const nFront = size < 25 ? 1 : size < 200 ? 2 : 3;
  const nStores = Math.max(2, Math.round(size * rng.between(0.15, 0.25)));
  const nSvc = Math.max(3, size - nFront - nStores);
  const layers = clamp(Math.round(Math.log2(nSvc) / 1.6) + 1, 2, 6);

  for (let i = 0; i < nFront; i++) addNode(topology, makeNode(rng, names.frontend(), 'frontend', 0, rng.pick(namespaces)));
  const byLayer: TopologyNode[][] = Array.from({ length: layers + 1 }, () => []);
  byLayer[0] = topology.nodes.slice();
  for (let i = 0; i < nSvc; i++) {
    // The first services fill each layer once so that no layer is empty; the rest lean to the middle.
    const layer = i < layers ? i + 1 : clamp(Math.round(1 + rng.next() * (layers - 1) + rng.normal() * 0.4), 1, layers);
    const node = addNode(topology, makeNode(rng, names.service(), 'service', layer, rng.pick(namespaces)));
    byLayer[layer]!.push(node);
  }
  // Callers: each service is called from 1–3 nodes of upper layers, mostly the one just above.
  for (let layer = 1; layer <= layers; layer++) {
    for (const node of byLayer[layer]!) {
      const count = layer === 1 ? rng.int(1, nFront) : rng.int(1, 3);
      for (let c = 0; c < count; c++) {
        const from = layer === 1 || rng.chance(0.7) ? layer - 1 : rng.int(0, layer - 1);
        const pool = byLayer[from]!.length > 0 ? byLayer[from]! : byLayer[layer - 1]!;
        connect(topology, { caller: rng.pick(pool).name, callee: node.name, probability: 1, errorPropagation: 1 });
      }
    }
  }
  for (const f of byLayer[0]!) if (!topology.callees.has(f.name)) connect(topology, { caller: f.name, callee: rng.pick(byLayer[1]!).name, probability: 1, errorPropagation: 1 });

  // Datastores: some services own a database; the rest are shared caches, queues and databases.
  const services = topology.nodes.filter((n) => n.kind === 'service');
  let budget = nStores;
  for (const owner of rng.shuffle([...services])) {
    if (budget <= Math.ceil(nStores / 3)) break;
    if (!rng.chance(0.45)) continue;
    const flavour = rng.pick(DATASTORE_FLAVOURS.filter((f) => f.kind === 'database'));
    const store = addNode(topology, makeNode(rng, names.datastore(owner.name, flavour), 'database', layers + 1, owner.namespace, flavour.system));
    connect(topology, { caller: owner.name, callee: store.name, probability: 1, errorPropagation: 1 });
    budget--;
  }
  for (; budget > 0; budget--) {
    const flavour: DatastoreFlavour = rng.pick(DATASTORE_FLAVOURS);
    const store = addNode(topology, makeNode(rng, names.sharedDatastore(flavour), flavour.kind, layers + 1, rng.pick(namespaces), flavour.system));
    for (const user of rng.sample(services, rng.int(2, Math.min(6, services.length)))) connect(topology, { caller: user.name, callee: store.name, probability: 1, errorPropagation: 1 });
  }

  for (const f of topology.frontends) topology.frontendShare.set(f, 1 / topology.frontends.length);
  tuneProbabilities(rng, topology);
  computeReach(topology);
  return topology;
}

/** Every node that (transitively) calls `name`. */
export function ancestorsOf(topology: Topology, name: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(topology.callers.get(name) ?? [])];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...(topology.callers.get(n) ?? []));
  }
  return seen;
}
