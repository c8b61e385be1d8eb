// Entry point of the generator: family + seed -> recorded event stream, history and ground truth.
import type { HistoricalIncident } from '../../src/model/history.js';
import type { DeclaredDependency } from '../../src/topology/dependency-graph.js';
import { createRng, type Rng } from './rng.js';
import { planFamily, type FamilyName, type GenerateOptions, type ScenarioPlan } from './families.js';
import { FaultPlan } from './fault-injector.js';
import { simulateTraffic, type SimSpan } from './traffic-generator.js';
import { emitAlerts, pickAlertingProfile, type AlertInstance } from './alert-emitter.js';
import { emitSaturationAlerts } from './saturation-alerts.js';
import { emitNoiseAlerts } from './noise-alerts.js';
import { notifyAlertmanager, pickAlertmanagerConfig } from './alertmanager-notifier.js';
import { encodeOtlp } from './otlp-encoder.js';
import { encodeDeploys, versionTimeline } from './change-emitter.js';
import { randomHistory, recurringHistory, type AlertSignature } from './history-generator.js';
import { ancestorsOf, type Topology } from './topology-generator.js';
import { renderEventLines } from './event-line.js';

export { FAMILY_NAMES, type FamilyName, type GenerateOptions } from './families.js';

export interface TruthIncident {
  id: string;
  rootCause: string;
  alerts: string[];
  /** Whether one of these alerts is on the root itself (informative: the eval reports AC@1 apart for such incidents). */
  rootAlerts?: boolean;
}

/** Same shape as the PetShop dataset's truth.json (extra fields are informative). */
export interface Truth {
  incidents: TruthIncident[];
  noise: string[];
  family?: string;
  seed?: number;
}

export interface Scenario {
  events: string[];
  history: HistoricalIncident[];
  truth: Truth;
  /**
   * Every call edge of the scenario's topology, as a service catalog would declare it (`replay --catalog`): what a
   * server learns from hours of sampled traces, where one short stream of sparse traces shows only part of it.
   */
  catalog: DeclaredDependency[];
}

function familySeed(family: string, seed: number): number {
  let h = 0x9e3779b9 ^ seed;
  for (let i = 0; i < family.length; i++) h = Math.imul(h ^ family.charCodeAt(i), 0x85ebca6b) >>> 0;
  return h >>> 0;
}

/** Whether a played scenario shows its family at all: an outage nobody alerted on is not a test case. */
function isUsable(family: FamilyName, truth: Truth): boolean {
  if (family === 'storm') return truth.incidents.length >= 3;
  return truth.incidents.length === 1 && truth.incidents[0]!.alerts.length >= 2;
}

const MAX_ATTEMPTS = 6;

export function generateScenario(family: FamilyName, seed: number, options: GenerateOptions = {}): Scenario {
  let scenario: Scenario | null = null;
  // Deterministic retries: the same seed always lands on the same attempt.
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const rng = createRng(familySeed(family, seed) + attempt * 7919);
    const plan = planFamily(family, rng.fork('plan'), options);
    scenario = playScenario(plan, rng);
    if (isUsable(family, scenario.truth)) break;
  }
  scenario!.truth.family = family;
  scenario!.truth.seed = seed;
  return scenario!;
}

/** Truth from the attributed alerts: a fingerprint belongs to the first fault any of its firings is attributed to. */
function buildTruth(plan: ScenarioPlan, alerts: readonly AlertInstance[], sent: ReadonlySet<string>): Truth {
  const owner = new Map<string, number>();
  for (const a of [...alerts].sort((x, y) => x.firedAt - y.firedAt)) {
    if (!sent.has(a.fingerprint)) continue; // still in Alertmanager's group_wait when the recording stops
    const prev = owner.get(a.fingerprint);
    if (prev === undefined || (prev < 0 && a.faultIndex >= 0)) owner.set(a.fingerprint, a.faultIndex);
  }
  // Alerts of background degradations are unrelated to the incidents: noise, like a false positive.
  const isNoise = (o: number): boolean => o < 0 || plan.faults[o]!.background === true;
  const nodeOf = new Map(alerts.map((a) => [a.fingerprint, a.node]));
  const incidents = plan.faults
    .map((f, i) => {
      const owned = f.background ? [] : [...owner].filter(([, o]) => o === i).map(([fp]) => fp).sort();
      return { id: f.id, rootCause: f.root, alerts: owned, rootAlerts: owned.some((fp) => nodeOf.get(fp) === f.root) };
    })
    .filter((inc) => inc.alerts.length > 0);
  return { incidents, noise: [...owner].filter(([, o]) => isNoise(o)).map(([fp]) => fp).sort() };
}

/** Plays a plan out: traffic, alerting, notifications, spans, deploys, history, truth. */
export function playScenario(plan: ScenarioPlan, rng: Rng): Scenario {
  const { topology, faults, startMs, endMs, baselineMinutes } = plan;
  const faultPlan = new FaultPlan(faults);
  const traffic = simulateTraffic(rng.fork('traffic'), topology, faultPlan, {
    startMs,
    endMs,
    requestsPerMinute: plan.requestsPerMinute,
    sampleRatio: Math.min(1, plan.tracesPerMinute / plan.requestsPerMinute),
  });

  const alertRng = rng.fork('alerts');
  const profile = pickAlertingProfile(alertRng, plan.naming);
  const silent = new Set<string>();
  const extraForMs = new Map<string, number>();
  const required = new Map<string, 'errors' | 'latency'>();
  for (const f of faults) {
    if (f.background) continue;
    for (const n of f.alsoAffects) silent.add(n);
    if (f.rootAlerting === 'none') silent.add(f.root);
    else {
      required.set(f.root, f.kind === 'latency' ? 'latency' : 'errors');
      if (f.rootAlerting === 'late') extraForMs.set(f.root, alertRng.int(3, 8) * 60_000);
    }
  }
  const ruleAlerts = emitAlerts(alertRng, topology, traffic, faults, { startMs, endMs, baselineMinutes }, profile, { silent, extraForMs, required });
  const impacted = new Set<string>();
  for (const f of faults) if (!f.background) for (const n of [f.root, ...f.alsoAffects]) [n, ...ancestorsOf(topology, n)].forEach((x) => impacted.add(x));
  const unrelated = topology.nodes.map((n) => n.name).filter((n) => !impacted.has(n));
  const noise = emitNoiseAlerts(alertRng, topology, unrelated, plan.noiseAlerts, { startMs, endMs }, plan.naming);
  const saturation = emitSaturationAlerts(rng.fork('saturation'), topology, faults, unrelated, plan.saturationDecoys ?? 0, { startMs, endMs }, plan.naming);
  const alerts = [...ruleAlerts, ...noise, ...saturation];

  const amRng = rng.fork('alertmanager');
  const amConfig = pickAlertmanagerConfig(amRng, plan.naming === 'mixed' ? 'service' : plan.naming);
  const events = notifyAlertmanager(amRng, alerts, amConfig, endMs);
  const sent = new Set<string>();
  for (const e of events) for (const a of (e.payload as { alerts: { fingerprint: string }[] }).alerts) sent.add(a.fingerprint);
  const truth = buildTruth(plan, alerts, sent);

  const timeline = versionTimeline(rng.fork('versions'), plan.deploys);
  const canaryPods = new Map(faults.flatMap((f) => (f.canary ? [[f.canary.pod, f.canary.version] as const] : [])));
  const versionAt = (service: string, at: number, pod: string): string => canaryPods.get(pod) ?? timeline(service, at);
  const otlpRng = rng.fork('otlp');
  const sampled = plan.traceShare === undefined ? traffic.spans : keepTraces(rng.fork('trace-share'), traffic.spans, plan.traceShare);
  const exported = plan.alertsOnly ? [] : plan.callGraphOnly ? callGraphSnapshot(sampled, startMs) : sampled;
  events.push(...encodeOtlp(otlpRng, exported, { topology, versionAt, environment: otlpRng.pick(['production', 'prod']) }, { flushIntervalMs: otlpRng.pick([5000, 5000, 2000, 10000]), maxBatchSize: 512, endMs }));
  events.push(...encodeDeploys(rng.fork('deploys'), plan.deploys.filter((d) => d.at < endMs && !d.unreported), plan.failedRollouts === true));

  const histRng = rng.fork('history');
  const alertnames = [profile.errorAlertname, profile.latencyAlertname];
  let history = randomHistory(histRng, topology, plan.randomHistory, startMs, alertnames, 1001);
  if (plan.twins) {
    const idx = faults.findIndex((f) => f.root === plan.twins!.root);
    const seen = new Set<string>();
    const signature: AlertSignature[] = [];
    for (const a of ruleAlerts) {
      if (a.faultIndex !== idx) continue;
      const service = a.node;
      const key = `${service}|${a.labels.alertname}`;
      if (!seen.has(key)) signature.push({ service, alertname: a.labels.alertname ?? '' });
      seen.add(key);
    }
    const other = ['CacheHitRatioLow', 'ConnectionPoolSaturated', 'SlowResponses', 'HighLatencyP99'].filter((n) => !alertnames.includes(n));
    history = [...history, ...recurringHistory(histRng, topology, plan.twins.root, plan.twins.twin, signature, startMs, other, 2001)];
    histRng.shuffle(history);
  }
  return { events: renderEventLines(events), history, truth, catalog: declaredCatalog(topology) };
}

function declaredCatalog(topology: Topology): DeclaredDependency[] {
  return [...topology.callees].filter(([, edges]) => edges.length > 0).map(([service, edges]) => ({ service, dependsOn: edges.map((e) => e.callee) }));
}

/**
 * The call graph as a dataset derived from metrics shows it (PetShop): one snapshot at the start, each call 5 ms and
 * OK. Keeps the first trace that shows each call edge (caller and callee) not yet shown, so every edge the traffic used
 * is there, with a call or a few, and no window around an alert holds any call.
 */
function callGraphSnapshot(spans: readonly SimSpan[], atMs: number): SimSpan[] {
  const byTrace = new Map<string, SimSpan[]>();
  for (const s of spans) (byTrace.get(s.traceId) ?? byTrace.set(s.traceId, []).get(s.traceId)!).push(s);
  const shown = new Set<string>();
  const out: SimSpan[] = [];
  for (const trace of byTrace.values()) {
    const edges = trace.filter((s) => s.kind !== 2).map((s) => `${s.service}\u0000${s.peer}`);
    if (edges.every((e) => shown.has(e))) continue;
    edges.forEach((e) => shown.add(e));
    for (const s of trace) out.push({ ...s, startMs: atMs, durationMs: 5, error: false, message: '', statusCode: 200 });
  }
  return out;
}

/** Whole traces kept with probability `share` each (decided in order of first appearance, so per seed). */
function keepTraces<S extends { traceId: string }>(rng: Rng, spans: readonly S[], share: number): S[] {
  const kept = new Map<string, boolean>();
  return spans.filter((s) => {
    let keep = kept.get(s.traceId);
    if (keep === undefined) kept.set(s.traceId, (keep = rng.chance(share)));
    return keep;
  });
}
