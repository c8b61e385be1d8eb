// What the ranking knows of each candidate service: its alerts and their kinds, how failing it looks from its own alerts
// and the calls into it, and the candidates themselves (the incident's services and what lies a few calls below them).
// Pure.
import { SAME_EVALUATION_MS, type Alert } from '../model/alert.js';
import { alertSignal, alertSymptom, isSaturation } from '../model/alert-signal.js';
import { downstreamOf, upstreamOf } from '../topology/dependency-graph.js';
import { callAnomaly, callsTell, type CallChange, type ServiceTraceSignal, type TraceSignalLookup } from './trace-signals.js';
import type { RankingInput, RankingOptions } from './ranking-input.js';
import type { CallerVersionBlame } from './new-code-blame.js';

/**
 * How much a silent candidate's failing calls count toward an incident whose alerts all watch latency: a failing callee
 * can slow its caller (timeouts, retries), but calls that slowed say it more surely.
 */
const SLOW_ONLY_ERRORS = 0.5;
/** A trace anomaly at least this strong makes a service part of the anomalous set. */
export const TRACE_ANOMALOUS = 0.3;
/**
 * A request-rate alert says the service's traffic changed, not that the service is broken: it counts this much
 * of a failure alert of the same severity, both as the service's own anomaly and as mass to explain.
 */
const TRAFFIC_WEIGHT = 0.5;

/** Per service, when its first alert of a failure began (not a request-rate shift, not a warning), and of errors. */
export interface FirstFailures {
  any: Map<string, number>;
  /** Alerts that may watch errors: not latency alone, not the service's own resources. */
  errors: Map<string, number>;
}

export function firstFailureAlerts(alerts: readonly Alert[]): FirstFailures {
  const first: FirstFailures = { any: new Map(), errors: new Map() };
  const note = (map: Map<string, number>, service: string, at: number): void => {
    const seen = map.get(service);
    if (seen === undefined || at < seen) map.set(service, at);
  };
  for (const a of alerts) {
    if (!a.service || alertSignal(a) !== 'failure') continue;
    note(first.any, a.service, a.startsAt);
    if (!isSaturation(a) && alertSymptom(a) !== 'latency') note(first.errors, a.service, a.startsAt);
  }
  return first;
}

/** What the ranking knows of one candidate service (gatherFacts). */
export interface ServiceFacts {
  service: string;
  alerts: Alert[];
  firstAlertAt: number | null;
  trace: ServiceTraceSignal | undefined;
  /** max(failure alerts' severity, incoming trace anomaly): how broken the service looks from outside. */
  failure: number;
  /** TRAFFIC_WEIGHT × the severity of its request-rate alerts: its traffic shifted (the cause is above it). */
  traffic: number;
  /**
   * The severity of its warnings of a future problem (a certificate expiring, a disk filling up: alertSignal's
   * `local`): they name the service itself, but nothing fails because of them, so it is not failing.
   */
  warning: number;
  /** max(failure, traffic, warning): how anomalous the service looks. */
  anomaly: number;
  /** The severity of its alerts on its own resources (CPU, memory, restarts), 0 without any. */
  saturation: number;
  /**
   * The part of `failure` a failing dependency could cause: not its saturation alerts, only half the rest when
   * saturated, and less by as much as its own spans are where errors begin.
   */
  failureFromBelow: number;
}

/** Whether `a` began to alert with `f` (within one rule evaluation) or after it; false for a service without alerts. */
export function alertedWithOrAfter(a: ServiceFacts, f: ServiceFacts): boolean {
  return f.firstAlertAt !== null && a.firstAlertAt !== null && a.firstAlertAt >= f.firstAlertAt - SAME_EVALUATION_MS;
}

/**
 * Whether a failing service only slowed: its failure alerts all watch latency, and calls into it, where they tell, show
 * no errors; or, without a failure alert, those calls only slowed. What the evidence says of it ("is slow", not "fails").
 */
export function onlySlows(f: ServiceFacts): boolean {
  const incoming = f.trace?.incoming ?? null;
  if (incoming !== null && incoming.errorAnomaly > 0) return false;
  const failures = f.alerts.filter((a) => alertSignal(a) === 'failure');
  if (failures.length > 0) return failures.every((a) => alertSymptom(a) === 'latency');
  return incoming !== null && incoming.latencyAnomaly > 0;
}

/** What a service's own alerts and calls put at the service itself: its failure, or its warnings when those weigh more. */
export function ownShare(f: ServiceFacts): number {
  return Math.max(f.failure, f.warning);
}

/** Whether the service raises alerts in the incident and fails (not merely a shift in its traffic, nor a warning). */
export function alertsFailing(facts: ReadonlyMap<string, ServiceFacts>, service: string): boolean {
  const f = facts.get(service);
  return f !== undefined && f.alerts.length > 0 && f.failure > 0;
}

/** Whether the service fails in the incident (a failure alert, or failing calls into it): what decisions 017 and 018 read without calls to judge. */
export function failsInIncident(facts: ReadonlyMap<string, ServiceFacts>, service: string): boolean {
  return (facts.get(service)?.failure ?? 0) > 0;
}

/**
 * Whether calls into the candidate tell: all of them pooled, or one caller's. Sampled traces may catch an incident's
 * failing calls and none of those into a silent dependency below them: its callers are then all there is to judge it.
 */
export function callsInto(input: RankingInput, f: ServiceFacts): boolean {
  if (callsTell(f.trace?.incoming ?? null)) return true;
  if (!input.graph.hasNode(f.service)) return false;
  const edge = input.traceSignals.edge;
  let tells = false;
  input.graph.forEachInNeighbor(f.service, (caller) => {
    tells ||= callsTell(edge?.(caller, f.service));
  });
  return tells;
}

/** The incident's services plus their dependencies a few hops down (further along failing calls), with what we know of each. */
export function gatherFacts(input: RankingInput, options: RankingOptions, blameOf: (service: string) => CallerVersionBlame | null): Map<string, ServiceFacts> {
  const byService = new Map<string, Alert[]>();
  for (const a of input.alerts) {
    if (!a.service) continue;
    let list = byService.get(a.service);
    if (!list) byService.set(a.service, (list = []));
    list.push(a);
  }
  const candidates = new Set<string>(byService.keys());
  /** The candidates exactly candidateDepth calls below an alerting service: where the search stopped. */
  const frontier = new Set<string>();
  for (const [s, alerts] of byService) {
    for (const [d, hops] of downstreamOf(input.graph, s, options.candidateDepth)) {
      candidates.add(d);
      if (hops === options.candidateDepth) frontier.add(d);
    }
    // The cause of a request-rate shift is above it: its callers are candidates too.
    if (alerts.some((a) => alertSignal(a) === 'traffic')) for (const u of upstreamOf(input.graph, s, options.candidateDepth).keys()) candidates.add(u);
    // So is the cause of a failure met only on what one caller's new code sends (decisions 026, 028).
    const blame = blameOf(s);
    if (blame) candidates.add(blame.caller);
  }
  followFailingCalls(input, candidates, frontier, options.explainDepth - options.candidateDepth);
  for (const h of input.history) candidates.add(h.rootCause);

  const saturationMemo = new Map<string, number>();
  const saturationOf = (service: string): number => {
    let saturation = saturationMemo.get(service);
    if (saturation === undefined) {
      saturation = 0;
      for (const a of byService.get(service) ?? []) if (isSaturation(a)) saturation = Math.max(saturation, severityWeight(a));
      saturationMemo.set(service, saturation);
    }
    return saturation;
  };
  // Alerts that all watch latency are explained by calls that slowed more than by calls that fail fast: a candidate
  // that raised nothing counts its failing calls at half toward them (decision 025). Its own alerts speak for it.
  const watched = input.alerts.filter((a) => alertSignal(a) === 'failure' && !isSaturation(a));
  const latencyOnly = watched.length > 0 && watched.every((a) => alertSymptom(a) === 'latency');
  const silentAnomaly = (c: CallChange | null): number => (c === null ? 0 : latencyOnly ? Math.max(c.latencyAnomaly, SLOW_ONLY_ERRORS * c.errorAnomaly) : callAnomaly(c));
  const facts = new Map<string, ServiceFacts>();
  for (const service of candidates) {
    const alerts = byService.get(service) ?? [];
    let failureAlerts = 0;
    let trafficAlerts = 0;
    let warning = 0;
    const saturation = saturationOf(service);
    let symptomAlerts = 0;
    for (const a of alerts) {
      const signal = alertSignal(a);
      const weight = severityWeight(a);
      if (signal === 'traffic') trafficAlerts = Math.max(trafficAlerts, weight);
      else if (signal === 'local') warning = Math.max(warning, weight);
      else failureAlerts = Math.max(failureAlerts, weight);
      if (signal === 'failure' && !isSaturation(a)) symptomAlerts = Math.max(symptomAlerts, weight);
    }
    const trace = seenBySaturatedCallers(service, input.traceSignals.get(service), input.traceSignals, saturationOf);
    const firstAlertAt = alerts.length === 0 ? null : Math.min(...alerts.map((a) => a.startsAt));
    const failure = Math.max(failureAlerts, alerts.length === 0 ? silentAnomaly(trace?.incoming ?? null) : callAnomaly(trace?.incoming ?? null));
    const traffic = TRAFFIC_WEIGHT * trafficAlerts;
    // A saturated service's own latency and errors may come from its saturation as much as from a dependency:
    // with no way to tell, a dependency below is credited with half of them. Errors its own spans raise while its
    // callees succeed (originAnomaly) begin here, as the traces show: a dependency below is credited with none of that.
    const failureFromBelow = Math.max(symptomAlerts, callAnomaly(trace?.incoming ?? null)) * (1 - saturation / 2) * (1 - (trace?.originAnomaly ?? 0));
    facts.set(service, { service, alerts, firstAlertAt, trace, failure, traffic, warning, anomaly: Math.max(failure, traffic, warning), saturation, failureFromBelow });
  }
  return facts;
}

/**
 * A failure deeper than candidateDepth still shows on the way to it: each call on the path went bad. From the
 * frontier, follow calls whose errors or latency rose, up to `extraDepth` more calls, adding their callees as
 * candidates. Without this, a service at the frontier whose callee is the real root looks like the origin ("its
 * own dependencies look healthy"), because nothing below it is looked at.
 */
function followFailingCalls(input: RankingInput, candidates: Set<string>, frontier: ReadonlySet<string>, extraDepth: number): void {
  const signals = input.traceSignals;
  if (!signals.edge || extraDepth <= 0) return;
  let level = [...frontier];
  for (let depth = 0; depth < extraDepth && level.length > 0; depth++) {
    const next: string[] = [];
    for (const service of level) {
      if (!input.graph.hasNode(service)) continue;
      input.graph.forEachOutNeighbor(service, (callee) => {
        if (candidates.has(callee)) return;
        const calls = signals.edge?.(service, callee);
        if (!callsTell(calls) || callAnomaly(calls) < TRACE_ANOMALOUS) return;
        candidates.add(callee);
        next.push(callee);
      });
    }
    level = next;
  }
}

/**
 * A service's incoming calls as evidence about it. A caller short of CPU reads its responses late, so calls look
 * slow from its side whatever the callee does: each caller's view of the latency counts for its share of the calls,
 * less its saturation (errors still count in full). Unchanged when no caller is saturated, and when the lookup
 * cannot give per-edge calls.
 */
function seenBySaturatedCallers(
  service: string,
  trace: ServiceTraceSignal | undefined,
  lookup: TraceSignalLookup,
  saturationOf: (service: string) => number,
): ServiceTraceSignal | undefined {
  if (!trace?.incoming || trace.incoming.latencyAnomaly === 0 || !lookup.edge || !trace.callers.some((c) => saturationOf(c) > 0)) return trace;
  let calls = 0;
  let weighted = 0;
  for (const caller of trace.callers) {
    const edge = lookup.edge(caller, service);
    if (!edge) continue;
    calls += edge.callsNow;
    weighted += edge.callsNow * edge.latencyAnomaly * (1 - saturationOf(caller));
  }
  const latencyAnomaly = calls > 0 ? Math.min(trace.incoming.latencyAnomaly, weighted / calls) : trace.incoming.latencyAnomaly;
  return { ...trace, incoming: { ...trace.incoming, latencyAnomaly } };
}

function severityWeight(a: Alert): number {
  switch (a.severity) {
    case 'critical':
    case 'error':
      return 1;
    case 'warning':
      return 0.8;
    case 'info':
      return 0.4;
    default:
      return 0.7;
  }
}
