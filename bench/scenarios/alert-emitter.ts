// Prometheus-like alert rules evaluated over the simulated per-minute statistics: thresholds, `for`
// durations, missing rules, late rules, per-pod series and natural flapping, with each firing attributed
// to the fault that caused it (or to none: a false positive, which the truth counts as noise).
import type { Rng } from './rng.js';
import { ancestorsOf, type Topology, type TopologyNode } from './topology-generator.js';
import type { Fault } from './fault-injector.js';
import { emptyCounts, LATENCY_BUCKET_BOUNDS, type CallCounts, type MinuteStats, type TrafficResult } from './traffic-generator.js';
import { alertFingerprint } from './alert-fingerprint.js';

export type NamingLabel = 'service' | 'app' | 'job';
export type NamingScheme = NamingLabel | 'mixed';

export interface AlertInstance {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** When the condition first held (Prometheus ActiveAt). */
  startsAt: number;
  /** When Prometheus sent it to Alertmanager as firing. */
  firedAt: number;
  /** When it resolved; null while still firing at the end. */
  endsAt: number | null;
  node: string;
  /** Index of the fault this firing is attributed to; -1 for noise. */
  faultIndex: number;
}

type Signal = 'errors' | 'latency';
type RuleSignal = Signal | 'rate';

interface AlertRule {
  node: TopologyNode;
  alertname: string;
  /** `rate`: the request rate fell below the threshold (calls per minute) — traffic that stopped arriving. */
  signal: RuleSignal;
  threshold: number;
  forMs: number;
  windowMin: number;
  minCalls: number;
  /** Rules guard against single stray errors on quiet services (`and increase(errors[5m]) > n`). */
  minErrors: number;
  severity: string;
  evalOffsetMs: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface AlertingProfile {
  naming: NamingScheme;
  errorRuleCoverage: number;
  latencyRuleCoverage: number;
  storeRuleCoverage: number;
  perPodShare: number;
  errorAlertname: string;
  latencyAlertname: string;
}

export function pickAlertingProfile(rng: Rng, naming: NamingScheme): AlertingProfile {
  return {
    naming,
    errorRuleCoverage: rng.between(0.7, 0.95),
    latencyRuleCoverage: rng.between(0.45, 0.85),
    storeRuleCoverage: rng.between(0.3, 0.7),
    perPodShare: rng.between(0, 0.4),
    errorAlertname: rng.pick(['HighErrorRate', 'Http5xxRatioHigh', 'ErrorBudgetBurn', 'ServiceErrorRateHigh']),
    latencyAlertname: rng.pick(['HighLatencyP95', 'SlowResponses', 'LatencySLOBreach', 'HighRequestLatency']),
  };
}

const STORE_ALERTS: Record<string, { errors: string; latency: string; port: number }> = {
  postgresql: { errors: 'PostgresqlDown', latency: 'PostgresqlSlowQueries', port: 9187 },
  mysql: { errors: 'MysqlDown', latency: 'MysqlSlowQueries', port: 9104 },
  mongodb: { errors: 'MongodbDown', latency: 'MongodbSlowOperations', port: 9216 },
  redis: { errors: 'RedisDown', latency: 'RedisLatencyHigh', port: 9121 },
  memcached: { errors: 'MemcachedDown', latency: 'MemcachedLatencyHigh', port: 9150 },
  kafka: { errors: 'KafkaBrokerDown', latency: 'KafkaProduceLatencyHigh', port: 9308 },
  rabbitmq: { errors: 'RabbitmqDown', latency: 'RabbitmqPublishLatencyHigh', port: 9419 },
};

export interface WindowStats extends CallCounts {
  /** The calls each fault touched in the window (by fault index); filled only when asked for (attribution). */
  byCause: Map<number, CallCounts>;
}

/** histogram_quantile: the upper bound of the bucket holding the quantile. */
function quantile(w: CallCounts, q: number): number {
  let total = 0;
  for (const n of w.latencyHist) total += n;
  if (total === 0) return 0;
  const target = q * total;
  let seen = 0;
  for (let i = 0; i < w.latencyHist.length; i++) {
    seen += w.latencyHist[i]!;
    if (seen >= target) return LATENCY_BUCKET_BOUNDS[i]!;
  }
  return LATENCY_BUCKET_BOUNDS[LATENCY_BUCKET_BOUNDS.length - 1]!;
}

function addCounts(into: CallCounts, from: CallCounts, sign = 1): void {
  into.calls += sign * from.calls;
  into.errors += sign * from.errors;
  for (let i = 0; i < from.latencyHist.length; i++) into.latencyHist[i]! += sign * from.latencyHist[i]!;
}

/** A rule's window over minutes fromMin..toMin; with `causes`, also what each fault touched in it. */
function windowStats(series: MinuteStats[] | undefined, fromMin: number, toMin: number, causes = false): WindowStats {
  const out: WindowStats = { ...emptyCounts(), byCause: new Map<number, CallCounts>() };
  if (!series) return out;
  for (let m = Math.max(0, fromMin); m <= toMin; m++) {
    const s = series[m];
    if (!s) continue;
    addCounts(out, s);
    if (!causes) continue;
    for (const [k, c] of s.byCause) {
      let sum = out.byCause.get(k);
      if (!sum) out.byCause.set(k, (sum = emptyCounts()));
      addCounts(sum, c);
    }
  }
  return out;
}

/**
 * The window as it would have looked without these faults: the calls they did not touch, which is what the
 * rule would have computed over had the touched calls gone normally unnoticed. Its own guards (minimum calls
 * and errors) then ask whether the untouched calls alone are enough evidence to fire on.
 */
function withoutFaults(w: WindowStats, faultIndices: readonly number[]): CallCounts {
  const out: CallCounts = { calls: w.calls, errors: w.errors, latencyHist: [...w.latencyHist] };
  for (const k of faultIndices) {
    const c = w.byCause.get(k);
    if (c) addCounts(out, c, -1);
  }
  return out;
}

/** The highest error ratio and p95 of any rule window during the baseline. */
function baselineWorst(series: MinuteStats[] | undefined, baselineMinutes: number, windowMin: number, minCalls: number): { ratio: number; p95: number } {
  let ratio = 0;
  let p95 = 0;
  for (let end = windowMin - 1; end < baselineMinutes; end++) {
    const w = windowStats(series, end - windowMin + 1, end);
    if (w.calls < minCalls) continue;
    ratio = Math.max(ratio, w.errors / w.calls);
    p95 = Math.max(p95, quantile(w, 0.95));
  }
  return { ratio, p95 };
}

/** The label that names a node's service in its alerts. */
export function namingLabelFor(rng: Rng, node: TopologyNode, scheme: NamingScheme): NamingLabel {
  if (node.kind !== 'service' && node.kind !== 'frontend') return 'job'; // exporters are scraped under the datastore's job
  return scheme === 'mixed' ? rng.pick(['service', 'app', 'job'] as const) : scheme;
}

export interface RuleOverrides {
  /** Nodes that must have no rules at all. */
  silent: ReadonlySet<string>;
  /** Extra `for` per node (the root that alerts late). */
  extraForMs: ReadonlyMap<string, number>;
  /** Nodes that must carry a rule for a signal (the root that alerts as configured). */
  required: ReadonlyMap<string, Signal>;
}

function buildRules(rng: Rng, topology: Topology, traffic: TrafficResult, baselineMinutes: number, profile: AlertingProfile, overrides: RuleOverrides): AlertRule[] {
  const rules: AlertRule[] = [];
  // About one or two badly tuned (flapping) rules per system, whatever its size.
  const tightChance = Math.min(0.05, 1.5 / Math.max(1, topology.nodes.length));
  for (const node of topology.nodes) {
    if (overrides.silent.has(node.name)) continue;
    const series = traffic.stats.get(node.name);
    const base = windowStats(series, 0, baselineMinutes - 1);
    const perMinute = base.calls / Math.max(1, baselineMinutes);
    if (perMinute < 3) continue; // too quiet to have meaningful rate rules
    const isStore = node.system !== null;
    const label = namingLabelFor(rng, node, profile.naming);
    const required = overrides.required.get(node.name);
    const extraFor = overrides.extraForMs.get(node.name) ?? 0;
    const storeNames = node.system ? STORE_ALERTS[node.system] : undefined;
    for (const signal of ['errors', 'latency'] as const) {
      const coverage = isStore ? profile.storeRuleCoverage : signal === 'errors' ? profile.errorRuleCoverage : profile.latencyRuleCoverage;
      if (required !== signal && !rng.chance(coverage)) continue;
      const windowMin = rng.pick([2, 3, 5]);
      const minCalls = rng.int(5, 20);
      const minErrors = signal === 'errors' ? rng.int(2, 5) : 0;
      if (signal === 'latency' && perMinute * windowMin < 30) continue; // a p95 of a handful of calls is meaningless
      // Operators set thresholds above the worst the service did in normal times (with a margin); a few
      // rules are set too tight and flap.
      const worst = baselineWorst(series, baselineMinutes, windowMin, minCalls);
      const tight = rng.chance(tightChance);
      const threshold =
        signal === 'errors'
          ? tight
            ? Math.max(0.005, worst.ratio * 0.9)
            : Math.max(rng.pick([0.02, 0.05, 0.05, 0.1]), worst.ratio * rng.between(1.3, 1.8) + 0.01)
          : tight
            ? worst.p95 * 0.95
            : Math.max(worst.p95 * rng.between(1.3, 2), worst.p95 + rng.between(30, 120));
      const alertname = storeNames ? storeNames[signal] : signal === 'errors' ? profile.errorAlertname : profile.latencyAlertname;
      const severity = signal === 'errors' ? rng.pick(['critical', 'critical', 'page', 'warning']) : rng.pick(['warning', 'warning', 'critical']);
      const perPod = !isStore && node.pods.length > 1 && rng.chance(profile.perPodShare);
      const common: Record<string, string> = { alertname, severity, [label]: node.name, namespace: node.namespace };
      if (rng.chance(0.3)) common.team = rng.pick(['checkout-team', 'platform', 'sre', 'growth', 'core-services']);
      const annotations: Record<string, string> = {
        summary: signal === 'errors' ? `${node.name}: error ratio above ${Math.round(threshold * 100)}%` : `${node.name}: p95 latency above ${Math.round(threshold)}ms`,
      };
      if (rng.chance(0.4)) annotations.runbook_url = `https://runbooks.example.com/${alertname.toLowerCase()}`;
      const forMs = rng.pick([0, 60_000, 120_000, 120_000, 300_000]) + extraFor;
      const evalOffsetMs = rng.int(0, 59_000);
      const instances: Record<string, string>[] = isStore
        ? [{ ...common, instance: `${node.name}.${node.namespace}.svc:${storeNames?.port ?? 9100}` }]
        : perPod
          ? node.pods.map((pod, i) => ({ ...common, pod, instance: `10.${rng.int(0, 255)}.${rng.int(0, 255)}.${i + 2}:8080` }))
          : [common];
      for (const labels of instances) {
        // Pods see slightly different numbers, so their series cross the threshold at different times.
        const t = labels.pod ? threshold * rng.between(0.85, 1.2) : threshold;
        rules.push({ node, alertname, signal, threshold: t, forMs, windowMin, minCalls, minErrors, severity, evalOffsetMs, labels, annotations });
      }
    }
  }
  return rules;
}

/** Request-rate drop rules (like PetShop's request-count alerts): a failing caller that gives up early
 *  starves its callees, which then alert although nothing is wrong with them. Drawn from their own
 *  random stream so that adding them leaves the other rules of a seed unchanged. */
function buildRateRules(rng: Rng, topology: Topology, traffic: TrafficResult, baselineMinutes: number, profile: AlertingProfile, silent: ReadonlySet<string>): AlertRule[] {
  const coverage = rng.between(0.2, 0.6);
  const alertname = rng.pick(['RequestRateDrop', 'TrafficDrop', 'RequestRateShift']);
  const rules: AlertRule[] = [];
  for (const node of topology.nodes) {
    if (node.kind !== 'service' || silent.has(node.name) || !rng.chance(coverage)) continue;
    const series = traffic.stats.get(node.name);
    const perMinute = windowStats(series, 0, baselineMinutes - 1).calls / Math.max(1, baselineMinutes);
    if (perMinute < 6) continue;
    const windowMin = rng.pick([3, 5]);
    let lowest = Infinity;
    for (let end = windowMin - 1; end < baselineMinutes; end++) lowest = Math.min(lowest, windowStats(series, end - windowMin + 1, end).calls / windowMin);
    const threshold = Math.min(perMinute * rng.between(0.55, 0.75), lowest * 0.9);
    const label = namingLabelFor(rng, node, profile.naming);
    const labels: Record<string, string> = { alertname, severity: 'warning', [label]: node.name, namespace: node.namespace };
    rules.push({ node, alertname, signal: 'rate', threshold, forMs: rng.pick([60_000, 120_000, 300_000]), windowMin, minCalls: 0, minErrors: 0, severity: 'warning', evalOffsetMs: rng.int(0, 59_000), labels, annotations: { summary: `${node.name}: request rate below ${Math.round(threshold)}/min` } });
  }
  return rules;
}

/** The fault a rate drop comes from: the latest one that hit a (transitive) caller of the node. */
function rateDropCause(topology: Topology, node: string, at: number, faults: readonly Fault[]): number {
  const callers = ancestorsOf(topology, node);
  let best = -1;
  faults.forEach((f, i) => {
    if (f.startMs > at || f.kind === 'latency') return;
    if (![f.root, ...f.alsoAffects].some((n) => callers.has(n))) return;
    if (best < 0 || f.startMs > faults[best]!.startMs) best = i;
  });
  return best;
}

/** What the attribution needs to know of a rule. */
export type RuleCondition = Pick<AlertRule, 'signal' | 'threshold' | 'minCalls' | 'minErrors'>;

/** Whether an error or latency rule's condition holds over a window. */
function errorOrLatencyHolds(rule: RuleCondition, w: CallCounts): boolean {
  if (w.calls < rule.minCalls || w.errors < rule.minErrors) return false;
  return (rule.signal === 'errors' ? w.errors / w.calls : quantile(w, 0.95)) > rule.threshold;
}

/**
 * The fault a firing is attributed to, by counterfactual: the rule fired because its condition held at
 * every evaluation from ActiveAt to firing (`evaluations`). If it would have held without the calls any
 * fault touched, the firing is a false positive (-1) however many calls the faults touched; otherwise it
 * goes to the fault without which it would not have fired (the one touching most calls when several
 * qualify), or, when no single fault is necessary (each alone would have done it), to the one touching most calls.
 */
export function attributeFiring(rule: RuleCondition, evaluations: readonly WindowStats[]): number {
  const touched = new Map<number, number>();
  for (const w of evaluations) for (const [k, c] of w.byCause) touched.set(k, (touched.get(k) ?? 0) + c.calls);
  if (touched.size === 0) return -1;
  const firesWithout = (faultIndices: readonly number[]): boolean => evaluations.every((w) => errorOrLatencyHolds(rule, withoutFaults(w, faultIndices)));
  const byTouch = [...touched.keys()].sort((a, b) => touched.get(b)! - touched.get(a)! || a - b);
  if (firesWithout(byTouch)) return -1;
  return byTouch.find((k) => !firesWithout([k])) ?? byTouch[0]!;
}

function evaluateRule(rule: AlertRule, topology: Topology, traffic: TrafficResult, startMs: number, endMs: number, faults: readonly Fault[]): AlertInstance[] {
  const out: AlertInstance[] = [];
  const series = traffic.stats.get(rule.node.name);
  const fingerprint = alertFingerprint(rule.labels);
  let activeAt: number | null = null;
  let firing: AlertInstance | null = null;
  // The windows evaluated since ActiveAt (their last minute): what the firing's attribution asks about.
  let evaluated: number[] = [];
  // Evaluation starts once a full window of data exists (the system ran before the recording began).
  for (let t = startMs + rule.evalOffsetMs + (rule.windowMin + 1) * 60_000; t < endMs; t += 60_000) {
    const nowMin = Math.floor((t - startMs) / 60_000);
    // Scrape lag: the current minute is incomplete, so the window ends at the previous one.
    const w = windowStats(series, nowMin - rule.windowMin, nowMin - 1);
    const holds = rule.signal === 'rate' ? w.calls / rule.windowMin < rule.threshold : errorOrLatencyHolds(rule, w);
    if (holds) {
      activeAt ??= t;
      if (!firing) evaluated.push(nowMin - 1);
      if (!firing && t - activeAt >= rule.forMs) {
        // Only a firing asks what each fault touched: read per cause then, not at every evaluation.
        const faultIndex =
          rule.signal === 'rate'
            ? rateDropCause(topology, rule.node.name, activeAt, faults)
            : attributeFiring(rule, evaluated.map((end) => windowStats(series, end - rule.windowMin + 1, end, true)));
        firing = { fingerprint, labels: rule.labels, annotations: rule.annotations, startsAt: activeAt, firedAt: t, endsAt: null, node: rule.node.name, faultIndex };
        out.push(firing);
      }
    } else {
      if (firing) firing.endsAt = t;
      firing = null;
      activeAt = null;
      evaluated = [];
    }
  }
  return out;
}

export function emitAlerts(
  rng: Rng,
  topology: Topology,
  traffic: TrafficResult,
  faults: readonly Fault[],
  window: { startMs: number; endMs: number; baselineMinutes: number },
  profile: AlertingProfile,
  overrides: RuleOverrides,
): AlertInstance[] {
  const rules = [
    ...buildRules(rng, topology, traffic, window.baselineMinutes, profile, overrides),
    ...buildRateRules(rng.fork('rate-rules'), topology, traffic, window.baselineMinutes, profile, overrides.silent),
  ];
  return rules.flatMap((r) => evaluateRule(r, topology, traffic, window.startMs, window.endMs, faults));
}
