// The incident families of the evaluation: each turns a seed into a plan (topology, faults, deploys,
// alerting quirks, history) that the scenario generator then plays out.
import type { Rng } from './rng.js';
import { generateTopology, ancestorsOf, addNode, connect, computeReach, makeNode, type Topology, type TopologyNode } from './topology-generator.js';
import { pickErrorMessage, type Fault, type FaultKind, type RootAlerting } from './fault-injector.js';
import { planDeploy, type Deploy } from './change-emitter.js';
import type { NamingScheme } from './alert-emitter.js';
import { CPU_ALERTS, MEMORY_ALERTS } from './saturation-alerts.js';
import { benchmarkTopology, type BenchmarkTopologyName } from './benchmark-topologies.js';

export const FAMILY_NAMES = [
  'error-cascade',
  'latency-cascade',
  'silent-datastore',
  'bad-deploy',
  'recurring-dependency',
  'storm',
  'label-variety',
  'resource-saturation',
  'network-delay',
  'canary-release',
] as const;
export type FamilyName = (typeof FAMILY_NAMES)[number];

export interface GenerateOptions {
  /** Number of nodes (services + datastores); random per seed when absent. */
  size?: number;
  /** Play on a published system's call graph (benchmark-topologies.ts) instead of a generated one; `size` is then its. */
  topology?: BenchmarkTopologyName;
  /** Sampled (exported) traces per minute; scales with size when absent. */
  tracesPerMinute?: number;
  /** Entry requests per minute as the metrics see them; scales with size when absent. */
  requestsPerMinute?: number;
  /**
   * Share of the sampled traces exported (0..1, default 1): whole traces are dropped after the traffic is played, so
   * the plan, the traffic, the alerts and the truth stay those of the same seed, seen through sparser sampling.
   */
  traceShare?: number;
  /**
   * Spans show the call graph only, as datasets derived from metrics do (PetShop): one snapshot at the start, every
   * span 5 ms and OK. The same incidents, with no trace evidence.
   */
  callGraphOnly?: boolean;
  /**
   * No spans at all, as where nothing is traced (datasets derived from metrics alone): the same incidents, from the
   * alerts (and deploys, history) alone.
   */
  alertsOnly?: boolean;
  /**
   * Every deploy reported through GitHub reports a failed rollout ("rollout timed out"): the same incidents, with the
   * bad deploy among them, where it goes through GitHub, read as a failed rollout.
   */
  failedRollouts?: boolean;
}

export interface ScenarioPlan {
  topology: Topology;
  faults: Fault[];
  deploys: Deploy[];
  naming: NamingScheme;
  noiseAlerts: number;
  startMs: number;
  baselineMinutes: number;
  endMs: number;
  /** Sampled traces per minute (what is exported as spans). */
  tracesPerMinute: number;
  /** All entry requests per minute (what the alert rules see). */
  requestsPerMinute: number;
  randomHistory: number;
  /** The recurring family: the two look-alike dependencies. */
  twins: { root: string; twin: string } | null;
  /** Saturation alerts (CPU, memory) on services unrelated to any fault. */
  saturationDecoys?: number;
  /** Share of the sampled traces exported (GenerateOptions.traceShare). */
  traceShare?: number;
  /** Spans carry only the call graph (GenerateOptions.callGraphOnly). */
  callGraphOnly?: boolean;
  /** No spans (GenerateOptions.alertsOnly). */
  alertsOnly?: boolean;
  /** GitHub deploys report failed rollouts (GenerateOptions.failedRollouts). */
  failedRollouts?: boolean;
}

const MINUTE = 60_000;

function pickSize(rng: Rng): number {
  const u = rng.next();
  if (u < 0.55) return rng.int(10, 40);
  if (u < 0.85) return rng.int(40, 150);
  if (u < 0.97) return rng.int(150, 400);
  return rng.int(400, 1000);
}

function tracesFor(rng: Rng, size: number): number {
  return Math.round(rng.between(8, 16) + Math.sqrt(size) / 2);
}

function requestsFor(rng: Rng, size: number): number {
  return Math.min(2000, Math.round(rng.between(150, 300) + 1.5 * size));
}

/** Nodes busy enough to matter: at least a few calls a minute reach them. */
function busy(topology: Topology, tpm: number, accept: (n: TopologyNode) => boolean, minPerMinute = 1): TopologyNode[] {
  const ok = topology.nodes.filter((n) => n.kind !== 'frontend' && accept(n) && (topology.reach.get(n.name) ?? 0) * tpm >= minPerMinute);
  if (ok.length > 0) return ok;
  const any = topology.nodes.filter((n) => n.kind !== 'frontend' && accept(n));
  return any.sort((a, b) => (topology.reach.get(b.name) ?? 0) - (topology.reach.get(a.name) ?? 0)).slice(0, 3);
}

const isStore = (n: TopologyNode): boolean => n.system !== null;
const isService = (n: TopologyNode): boolean => n.kind === 'service';

function rootAlerting(rng: Rng, kind: FaultKind): RootAlerting {
  if (kind === 'latency') return rng.chance(0.5) ? 'none' : 'late';
  const u = rng.next();
  return u < 0.75 ? 'normal' : u < 0.9 ? 'late' : 'none';
}

export function makeFault(rng: Rng, topology: Topology, id: string, root: string, kind: FaultKind, startMs: number, alerting: RootAlerting, category: Fault['category']): Fault {
  return {
    id,
    root,
    alsoAffects: [],
    kind,
    startMs,
    rampMs: rng.chance(0.5) ? 0 : rng.int(20, 180) * 1000,
    errorRate: kind === 'latency' ? 0 : kind === 'down' ? rng.between(0.5, 1) : rng.between(0.2, 0.9),
    extraLatencyMs: kind === 'latency' ? Math.min(4000, Math.max(150, rng.logNormal(600, 0.7))) : 0,
    errorMessage: pickErrorMessage(rng, topology, root),
    rootAlerting: alerting,
    category,
  };
}

function namingFor(rng: Rng): NamingScheme {
  const u = rng.next();
  return u < 0.6 ? 'service' : u < 0.85 ? 'app' : 'job';
}

function noiseCount(rng: Rng): number {
  const u = rng.next();
  return u < 0.3 ? 0 : u < 0.75 ? 1 : 2;
}

/** Deploys of services other than `exclude`, at random times in the scenario. */
function randomDeploys(rng: Rng, topology: Topology, count: number, exclude: ReadonlySet<string>, from: number, to: number): Deploy[] {
  const pool = topology.nodes.filter((n) => n.instrumented && !exclude.has(n.name));
  return rng.sample(pool, count).map((n) => planDeploy(rng, n.name, Math.round(rng.between(from, to))));
}

/** A single-fault plan: the skeleton the simple families share. */
function singleFault(rng: Rng, options: GenerateOptions, choose: (topology: Topology, tpm: number) => { root: TopologyNode; kind: FaultKind; alerting: RootAlerting; category: Fault['category'] }): ScenarioPlan {
  const generatedSize = options.topology ? 0 : (options.size ?? pickSize(rng));
  const topology = options.topology ? benchmarkTopology(rng.fork('topology'), options.topology) : generateTopology(rng.fork('topology'), { size: generatedSize });
  const size = options.topology ? topology.nodes.length : generatedSize;
  const tracesPerMinute = options.tracesPerMinute ?? tracesFor(rng, size);
  const requestsPerMinute = Math.max(tracesPerMinute, options.requestsPerMinute ?? requestsFor(rng, size));
  const startMs = Date.UTC(2026, 2, 2, 8) + rng.int(0, 200) * 86_400_000 + rng.int(0, 86_399) * 1000;
  const baselineMinutes = rng.int(15, 25);
  const t0 = startMs + baselineMinutes * MINUTE + rng.int(0, 59) * 1000;
  const { root, kind, alerting, category } = choose(topology, tracesPerMinute);
  const fault = makeFault(rng, topology, 'A', root.name, kind, t0, alerting, category);
  const endMs = t0 + rng.int(10, 15) * MINUTE;
  const deploys = randomDeploys(rng, topology, rng.int(0, 2), new Set([root.name]), startMs + 5 * MINUTE, endMs - 2 * MINUTE);
  return { topology, faults: [fault], deploys, naming: namingFor(rng), noiseAlerts: noiseCount(rng), startMs, baselineMinutes, endMs, tracesPerMinute, requestsPerMinute, randomHistory: rng.int(0, 8), twins: null };
}

function errorCascade(rng: Rng, options: GenerateOptions): ScenarioPlan {
  return singleFault(rng, options, (topology, tpm) => {
    const onStore = rng.chance(0.2);
    const root = rng.pick(busy(topology, tpm, onStore ? isStore : isService));
    return { root, kind: onStore ? 'down' : 'errors', alerting: rootAlerting(rng, 'errors'), category: onStore ? 'resource' : rng.pick(['config', 'resource', 'other'] as const) };
  });
}

function latencyCascade(rng: Rng, options: GenerateOptions): ScenarioPlan {
  return singleFault(rng, options, (topology, tpm) => {
    const root = rng.pick(busy(topology, tpm, rng.chance(0.3) ? isStore : isService));
    return { root, kind: 'latency', alerting: rootAlerting(rng, 'latency'), category: 'resource' };
  });
}

function silentDatastore(rng: Rng, options: GenerateOptions): ScenarioPlan {
  return singleFault(rng, options, (topology, tpm) => {
    const root = rng.pick(busy(topology, tpm, (n) => n.kind === 'database' || n.kind === 'cache'));
    const u = rng.next();
    return { root, kind: u < 0.65 ? 'down' : u < 0.85 ? 'errors' : 'latency', alerting: 'none', category: 'resource' };
  });
}

function badDeploy(rng: Rng, options: GenerateOptions): ScenarioPlan {
  const plan = singleFault(rng, options, (topology, tpm) => {
    const kind: FaultKind = rng.chance(0.6) ? 'errors' : 'latency';
    return { root: rng.pick(busy(topology, tpm, isService)), kind, alerting: rootAlerting(rng, kind), category: 'deploy' };
  });
  const fault = plan.faults[0]!;
  const deployAt = fault.startMs - rng.int(30, 120) * 1000;
  const deploys: Deploy[] = [planDeploy(rng, fault.root, deployAt)];
  const callers = [...ancestorsOf(plan.topology, fault.root)].filter((n) => plan.topology.byName.get(n)!.instrumented);
  if (callers.length > 0 && rng.chance(0.4)) deploys.push(planDeploy(rng, rng.pick(callers), deployAt + rng.int(-300, 300) * 1000)); // a caller deployed around the same time
  deploys.push(...randomDeploys(rng, plan.topology, rng.int(2, 5), new Set([fault.root, ...deploys.map((d) => d.service)]), plan.startMs + 2 * MINUTE, plan.endMs - MINUTE));
  return { ...plan, deploys };
}

/** What a canary's new code may send a dependency that it cannot take. */
const MALFORMED_REQUEST_ERRORS = ['invalid argument: unknown field "discount_v2"', 'schema validation failed: currency is required', 'unsupported api version 2024-11'];

/**
 * A canary release (fault-injection studies' canary scenarios): the root's new version serves a share of its requests
 * from its own pod, and those fail or slow; its other pods serve as before. Half the time the new code breaks a
 * dependency it calls (a malformed request the dependency fails on), so the errors begin at the dependency's spans.
 * The deploy hook reports it in half the cases; otherwise only the spans' service.version show the new version.
 * Unrelated deploys around it, as in bad-deploy.
 */
function canaryRelease(rng: Rng, options: GenerateOptions): ScenarioPlan {
  const plan = singleFault(rng, options, (topology, tpm) => {
    const kind: FaultKind = rng.chance(0.7) ? 'errors' : 'latency';
    return { root: rng.pick(busy(topology, tpm, (n) => isService(n) && n.instrumented && n.pods.length > 0)), kind, alerting: rootAlerting(rng, kind), category: 'deploy' };
  });
  const fault = plan.faults[0]!;
  const deploy: Deploy = { ...planDeploy(rng, fault.root, fault.startMs - rng.int(0, 60) * 1000), canary: true, unreported: rng.chance(0.5) };
  const callees = (plan.topology.callees.get(fault.root) ?? []).map((e) => e.callee).filter((c) => plan.topology.byName.get(c)!.instrumented);
  const breaks = fault.kind === 'errors' && callees.length > 0 && rng.chance(0.5) ? rng.pick(callees) : null;
  const pod = `${fault.root}-${rng.hex(10)}-${rng.hex(5)}`; // a ReplicaSet of its own
  // The canary's share of traffic at full weight, and a clearer failure on it than a whole-service fault needs.
  fault.canary = { version: deploy.version, pod, share: rng.between(0.15, 0.4), breaks };
  if (fault.kind === 'errors') fault.errorRate = rng.between(0.5, 1);
  if (breaks !== null) fault.errorMessage = rng.pick(MALFORMED_REQUEST_ERRORS);
  const deploys = [deploy, ...randomDeploys(rng, plan.topology, rng.int(2, 4), new Set([fault.root]), plan.startMs + 2 * MINUTE, plan.endMs - MINUTE)];
  return { ...plan, deploys };
}

const TWIN_NAMES: ReadonlyArray<[string, string, 'database' | 'cache', string]> = [
  ['session-redis', 'ratelimit-redis', 'cache', 'redis'],
  ['catalog-cache', 'pricing-cache', 'cache', 'redis'],
  ['accounts-db', 'billing-db', 'database', 'postgresql'],
  ['primary-mysql', 'reporting-mysql', 'database', 'mysql'],
  ['profile-memcached', 'search-memcached', 'cache', 'memcached'],
];

function recurringDependency(rng: Rng, options: GenerateOptions): ScenarioPlan {
  let twins: { root: string; twin: string } | null = null;
  const plan = singleFault(rng, options, (topology, tpm) => {
    const [a0, b0, kind, system] = rng.pick(TWIN_NAMES);
    const free = (n: string): string => (topology.byName.has(n) ? `${n}-2` : n);
    const [a, b] = [free(a0), free(b0)];
    const users = rng.sample(busy(topology, tpm, isService, 0.5), rng.int(3, 6));
    const ns = users[0]?.namespace ?? 'prod';
    for (const name of [a, b]) addNode(topology, makeNode(rng, name, kind, 99, ns, system));
    for (const u of users) {
      // Same call probability and fallback behaviour towards both: identical topology positions.
      const probability = rng.between(0.5, 1);
      const errorPropagation = rng.between(0.7, 1);
      connect(topology, { caller: u.name, callee: a, probability, errorPropagation });
      connect(topology, { caller: u.name, callee: b, probability, errorPropagation });
    }
    computeReach(topology);
    const [root, twin] = rng.chance(0.5) ? [a, b] : [b, a];
    twins = { root, twin };
    return { root: topology.byName.get(root)!, kind: rng.chance(0.7) ? 'down' : 'errors', alerting: 'none', category: 'resource' };
  });
  const fault = plan.faults[0]!;
  // Both look-alikes fail together as the callers see it (shared client pool / proxy), so traces cannot tell them apart.
  fault.alsoAffects = [twins!.twin];
  return { ...plan, twins, randomHistory: rng.int(0, 5) };
}

function storm(rng: Rng, options: GenerateOptions): ScenarioPlan {
  const size = options.size ?? rng.int(60, 400);
  const plan = singleFault(rng, { ...options, size }, (topology, tpm) => ({ root: rng.pick(busy(topology, tpm, isService)), kind: 'errors', alerting: 'normal', category: 'other' }));
  const { topology } = plan;
  const t0 = plan.faults[0]!.startMs;
  const count = rng.int(3, 5);
  const faults: Fault[] = [];
  const deploys: Deploy[] = [];
  const taken = new Set<string>();
  const candidates = busy(topology, plan.tracesPerMinute, (n) => n.kind !== 'frontend');
  for (let i = 0; i < count; i++) {
    const free = candidates.filter((n) => !taken.has(n.name) && ![...taken].some((t) => ancestorsOf(topology, t).has(n.name) || ancestorsOf(topology, n.name).has(t)));
    if (free.length === 0) break;
    const root = rng.pick(free);
    taken.add(root.name);
    const kind: FaultKind = isStore(root) ? rng.pick(['down', 'latency'] as const) : rng.pick(['errors', 'errors', 'latency'] as const);
    const start = t0 + rng.int(0, 600) * 1000;
    const viaDeploy = isService(root) && rng.chance(0.3);
    faults.push(makeFault(rng, topology, String.fromCharCode(65 + i), root.name, kind, start, root.system !== null && rng.chance(0.5) ? 'none' : rootAlerting(rng, kind), viaDeploy ? 'deploy' : isStore(root) ? 'resource' : 'other'));
    if (viaDeploy) deploys.push(planDeploy(rng, root.name, start - rng.int(30, 120) * 1000));
  }
  const last = Math.max(...faults.map((f) => f.startMs));
  const endMs = last + rng.int(8, 12) * MINUTE;
  deploys.push(...randomDeploys(rng, topology, rng.int(1, 3), taken, plan.startMs + 2 * MINUTE, endMs - MINUTE));
  return { ...plan, faults, deploys, endMs, noiseAlerts: rng.int(2, 5) };
}

/**
 * A service runs out of CPU (it slows, and so do the client calls it makes: a starved process reads responses
 * late, so its dependencies look slow from its side) or memory (OOM kills: errors). Its own latency or error rule
 * fires late or not at all, as in the cascades; a CPU or memory rule usually fires on it, and such rules also fire
 * on unrelated services now and then.
 */
function resourceSaturation(rng: Rng, options: GenerateOptions): ScenarioPlan {
  const plan = singleFault(rng, options, (topology, tpm) => {
    const kind: FaultKind = rng.chance(0.6) ? 'latency' : 'errors';
    const withCallees = busy(topology, tpm, (n) => isService(n) && (topology.callees.get(n.name)?.length ?? 0) > 0);
    return { root: rng.pick(withCallees), kind, alerting: rootAlerting(rng, kind), category: 'resource' };
  });
  const fault = plan.faults[0]!;
  const cpu = fault.kind === 'latency';
  fault.saturation = {
    alertname: cpu ? rng.pick(CPU_ALERTS) : rng.pick(MEMORY_ALERTS),
    alerts: rng.chance(0.8),
    delayMs: rng.int(1, 5) * MINUTE,
    clientSlowdown: cpu ? rng.between(0.3, 0.8) : 0,
  };
  return { ...plan, saturationDecoys: rng.int(0, 2) };
}

/**
 * A fault-injection study's network delay on one service's pod: everything it sends leaves late, so its callers wait
 * longer for its answers and its dependencies get its requests late, while every handler, its own included, runs as
 * fast as ever. Half the time the service calls nothing (a leaf: its own spans do not change at all). Its own latency
 * rule sees only its own spans; its callers' rules see the wait.
 */
function networkDelay(rng: Rng, options: GenerateOptions): ScenarioPlan {
  const plan = singleFault(rng, options, (topology, tpm) => {
    const isLeaf = (n: TopologyNode): boolean => (topology.callees.get(n.name)?.length ?? 0) === 0;
    const leaves = busy(topology, tpm, (n) => isService(n) && isLeaf(n));
    const pool = rng.chance(0.5) && leaves.length > 0 ? leaves : busy(topology, tpm, (n) => isService(n) && !isLeaf(n));
    return { root: rng.pick(pool), kind: 'latency', alerting: 'normal', category: 'other' };
  });
  const fault = plan.faults[0]!;
  fault.network = { delayMs: rng.between(100, 800) };
  fault.extraLatencyMs = 0;
  return plan;
}

function labelVariety(rng: Rng, options: GenerateOptions): ScenarioPlan {
  const plan = rng.chance(0.5) ? errorCascade(rng, options) : latencyCascade(rng, options);
  return { ...plan, naming: 'mixed' };
}

/** Minor unrelated degradations elsewhere in the system, as real systems always have some: a node that
 *  gets a little slower or starts throwing a trickle of errors, at any time in the recording. */
function addBackgroundDegradations(rng: Rng, plan: ScenarioPlan, count: number): ScenarioPlan {
  const { topology } = plan;
  const path = new Set<string>();
  for (const f of plan.faults) for (const n of [f.root, ...f.alsoAffects]) [n, ...ancestorsOf(topology, n)].forEach((x) => path.add(x));
  const pool = busy(topology, plan.tracesPerMinute, (n) => !path.has(n.name), 0.3);
  const faults = [...plan.faults];
  for (const node of rng.sample(pool, count)) {
    const kind: FaultKind = rng.chance(0.5) ? 'latency' : 'errors';
    const start = Math.round(rng.between(plan.startMs + 3 * MINUTE, plan.endMs - 4 * MINUTE));
    const f = makeFault(rng, topology, `bg${faults.length}`, node.name, kind, start, 'normal', 'other');
    f.background = true;
    f.rampMs = rng.int(0, 300) * 1000;
    if (kind === 'latency') f.extraLatencyMs = node.selfLatencyMs * rng.between(0.5, 3) + rng.between(5, 60);
    else f.errorRate = rng.between(0.01, 0.08);
    faults.push(f);
  }
  return { ...plan, faults };
}

export function planFamily(family: FamilyName, rng: Rng, options: GenerateOptions = {}): ScenarioPlan {
  const plan = planIncidents(family, rng, options);
  const count = family === 'storm' ? rng.int(1, 3) : rng.chance(0.6) ? rng.int(1, 2) : 0;
  const played = addBackgroundDegradations(rng.fork('background'), plan, count);
  return {
    ...played,
    ...(options.traceShare !== undefined ? { traceShare: options.traceShare } : {}),
    ...(options.callGraphOnly ? { callGraphOnly: true } : {}),
    ...(options.alertsOnly ? { alertsOnly: true } : {}),
    ...(options.failedRollouts ? { failedRollouts: true } : {}),
  };
}

function planIncidents(family: FamilyName, rng: Rng, options: GenerateOptions): ScenarioPlan {
  switch (family) {
    case 'error-cascade':
      return errorCascade(rng, options);
    case 'latency-cascade':
      return latencyCascade(rng, options);
    case 'silent-datastore':
      return silentDatastore(rng, options);
    case 'bad-deploy':
      return badDeploy(rng, options);
    case 'recurring-dependency':
      return recurringDependency(rng, options);
    case 'storm':
      return storm(rng, options);
    case 'label-variety':
      return labelVariety(rng, options);
    case 'resource-saturation':
      return resourceSaturation(rng, options);
    case 'network-delay':
      return networkDelay(rng, options);
    case 'canary-release':
      return canaryRelease(rng, options);
  }
}
