// Ranks the likely root causes of one incident from sound, explainable signals. Pure: data in, ranking out.
//
// Score = weighted sum of signals, each in 0..1, weights summing to 1 (so scores compare across incidents):
//   position  — the candidate explains the anomalies above it (they reach it through the call graph, with onsets
//               close in time) and the request-rate shifts below it (traffic travels the other way: a caller
//               that fails stops calling on; model/alert-signal.ts), and its own callees are healthy (else it is
//               more likely a victim); when the graph knows no service at all, the alerts that began with it or
//               after it stand in for those above it (decision 021);
//   anomaly   — the candidate itself is anomalous: its alerts, or its callers see its calls fail or slow; when no
//               calls into it can be judged, a candidate without alerts by the share of its callers that fail (decision 018);
//   origin    — its own spans fail while its callees are fine (errors start here), it slows by itself, or it
//               alerts on its own resources (CPU, memory, restarts: model/alert-signal.ts isSaturation);
//   change    — it was deployed shortly before the onset;
//   history   — similar past incidents were caused by it (when the graph knows no service, such incidents also
//               stand in for its position and, if it raised nothing, its anomaly: decision 021's addendum);
//   onset     — its own alert came first (weak: a root often alerts late or never).
import { SAME_EVALUATION_MS, type Alert } from '../model/alert.js';
import { alertSignal, alertSymptom, isSaturation } from '../model/alert-signal.js';
import type { Change } from '../model/change.js';
import type { IncidentFix } from '../model/history.js';
import type { Evidence, RootCause } from '../model/incident.js';
import type { VersionWindow } from '../model/trace-aggregate.js';
import { downstreamOf, upstreamOf, type DependencyGraph } from '../topology/dependency-graph.js';
import {
  callAnomaly,
  callsTell,
  clamp01,
  HEALTHY_CALLS_COUPLING,
  MIN_CALLS,
  pooledAnomaly,
  type CallChange,
  type ServiceTraceSignal,
  type TraceSignalLookup,
  type VersionSplit,
} from './trace-signals.js';
import {
  describeAlerts,
  describeChange,
  describeFollowers,
  describeFailingCallers,
  describeOneFailingCaller,
  describeHistory,
  describeIncoming,
  describeOrigin,
  describePosition,
  describeSaturation,
  describeVersionSplit,
  describeCallsByVersion,
} from './evidence-text.js';

export interface HistoryMatch {
  id: string;
  similarity: number;
  rootCause: string;
  /** The runbook and target that fixed it, when the history says (CONTRACT §3 `remediation`). */
  fixedWith?: IncidentFix;
}

export interface RankingInput {
  /** The incident's alerts (firing and recently resolved). */
  alerts: readonly Alert[];
  graph: DependencyGraph;
  /** Trace signals for (at least) the candidate services; see lazyTraceSignals. */
  traceSignals: TraceSignalLookup;
  /** Changes from the lookback window, any service. */
  changes: readonly Change[];
  history: readonly HistoryMatch[];
  /** First alert onset of the incident (epoch ms). */
  onset: number;
  /**
   * Services with failure alerts anywhere in the analysis near the onset, given only when no calls were seen around
   * it: callers outside the incident that show its silent dependencies failing (decision 020).
   */
  failingNearby?: ReadonlySet<string>;
}

export interface RankingOptions {
  /** How far below the alerting services candidates are searched (hops). */
  candidateDepth: number;
  /** How far anomalies are followed to explain a candidate (hops). */
  explainDepth: number;
  /** A deploy this long before the onset still counts (ms). */
  changeLookbackMs: number;
  maxResults: number;
  weights: { position: number; anomaly: number; origin: number; change: number; history: number; onset: number };
}

export const DEFAULT_RANKING_OPTIONS: RankingOptions = {
  candidateDepth: 3,
  explainDepth: 6,
  changeLookbackMs: 60 * 60_000,
  maxResults: 10,
  weights: { position: 0.35, anomaly: 0.2, origin: 0.15, change: 0.15, history: 0.1, onset: 0.05 },
};

const MINUTE = 60_000;
/** A deploy up to this long after the first alert still counts (at half): the alert may have fired on its first pods. */
const CHANGE_AFTER_ONSET_MS = 5 * MINUTE;
/** Onsets this far apart are barely related (time constant of the exponential). */
const CO_ONSET_SCALE_MS = 10 * MINUTE;
/**
 * How much a silent candidate's failing calls count toward an incident whose alerts all watch latency: a failing callee
 * can slow its caller (timeouts, retries), but calls that slowed say it more surely.
 */
const SLOW_ONLY_ERRORS = 0.5;
/** A trace anomaly at least this strong makes a service part of the anomalous set. */
const TRACE_ANOMALOUS = 0.3;
/**
 * A request-rate alert says the service's traffic changed, not that the service is broken: it counts this much
 * of a failure alert of the same severity, both as the service's own anomaly and as mass to explain.
 */
const TRAFFIC_WEIGHT = 0.5;
/** An error anomaly below this leaves a dependency "only slow": all it can pass on is latency (slowdownReach). */
const SLOW_ONLY = 0.2;
/**
 * Calls this anomalous (0..1, trace-signals.ts) pass a failure on in full. Far from full anomaly: fallbacks and retries
 * absorb much of a failure on its way up, so the calls above a failing service go only a little bad.
 */
const BAD_CALLS = 0.2;
/** A path weaker than this does not show the failure on its calls: evidence says so. */
const SHOWN_ON_CALLS = 0.5;
/** Each call between a candidate and a request-rate shift it explains weakens the link (as in the clustering). */
const TRAFFIC_HOP_FACTOR = 0.8;
/**
 * Without calls to judge, each service a failure would pass through on its way up without failing itself weakens the
 * path this much (as a hop does in the clustering): only the alerts on the way say that the failure travelled it.
 */
const SILENT_HOP_FACTOR = 0.8;
/**
 * How much a rollout reported failed counts against its service, against one that completed: it may have left new
 * pods serving or rolled itself back, or never reached the cluster (a failed build reported as a failed deployment).
 */
const FAILED_CHANGE = 0.5;
/**
 * When the graph knows no service at all (nothing traced, no catalog), how likely a failure at an alerting service
 * reached another that alerted with it or after it: as likely as not. Onsets are then the only direction there is (a
 * failure precedes the alerts it causes; decision 021). A past incident caused by a service, as alike as its
 * similarity, says the same of its root and the alerts now (the decision's addendum).
 */
const UNKNOWN_TOPOLOGY_REACH = 0.5;
/** Without calls to judge, this many failing callers are needed to see a silent dependency fail through them. */
const FAILING_CALLERS_SEEN = 2;
/**
 * Without calls to judge, how likely one failing caller's failure began below it, in one of its dependencies with no
 * alert, rather than in the caller itself: as likely as not (decision 018, second addendum).
 */
const ONE_CALLER_BELOW = 0.5;

/** How much of a reported deploy's strength counts when no calls tell that the dependency fails only for its caller. */
const UNTOLD_DEPLOY_SHARE = 0.5;

/** Per service, when its first alert of a failure began (not a request-rate shift, not a warning), and of errors. */
interface FirstFailures {
  any: Map<string, number>;
  /** Alerts that may watch errors: not latency alone, not the service's own resources. */
  errors: Map<string, number>;
}

function firstFailureAlerts(alerts: readonly Alert[]): FirstFailures {
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

interface ServiceFacts {
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

export function rankRootCauses(input: RankingInput, options: RankingOptions = DEFAULT_RANKING_OPTIONS): RootCause[] {
  const recentChanges = latestChangesNear(input.changes, input.onset, options.changeLookbackMs);
  /** Per failing service, the caller whose new code it fails on, if any (memo: null when none). */
  const blamedAbove = new Map<string, CallerVersionBlame | null>();
  // Read only where no calls into a failing service tell (decision 030): most rankings with traces never need it.
  let firstFailures: FirstFailures | undefined;
  const firstFailureAt = (): FirstFailures => (firstFailures ??= firstFailureAlerts(input.alerts));
  // Read only for a deploy reported after the onset (decision 033).
  let lastAlertAt: number | undefined;
  const lastAlertStart = (): number => (lastAlertAt ??= input.alerts.reduce((latest, a) => Math.max(latest, a.startsAt), Number.NEGATIVE_INFINITY));
  const blameOf = (service: string): CallerVersionBlame | null => {
    let blame = blamedAbove.get(service);
    if (blame === undefined) blamedAbove.set(service, (blame = failingOnlyForNewCode(input, service, recentChanges, firstFailureAt)));
    return blame;
  };
  const facts = gatherFacts(input, options, blameOf);
  // The symptoms a root cause must explain: the incident's alerting services (a trace anomaly elsewhere may be
  // another incident's); trace-anomalous services count only when no service of the incident alerts.
  const alerting = [...facts.values()].filter((f) => f.alerts.length > 0);
  const anomalous = alerting.length > 0 ? alerting : [...facts.values()].filter((f) => f.anomaly >= TRACE_ANOMALOUS);
  // A warning explains its own service (ownShare) and nothing else.
  const anomalousMass = anomalous.reduce((sum, f) => sum + ownShare(f) + f.traffic, 0) || 1;
  const historyTotal = input.history.reduce((s, h) => s + h.similarity, 0);
  const w = options.weights;
  const reach = failureReach(input, facts, anomalous, options.explainDepth);
  const unknownTopology = input.graph.order === 0;
  for (const a of anomalous) blameOf(a.service);

  const ranked: RootCause[] = [];
  for (const f of facts.values()) {
    const evidence: Evidence[] = [];

    // Position: the failures upstream of (or at) the candidate and the request-rate shifts it explains,
    // discounted by distance in onset time.
    const upstream = upstreamOf(input.graph, f.service, options.explainDepth);
    let explained = 0;
    let explainedCount = 0;
    /** Anomalous services above the candidate whose calls down to it do not show their failure… */
    let callsLookHealthy = 0;
    /** …or cannot tell, and fail through calls to another dependency. */
    let failElsewhere = 0;
    const trafficExplained: string[] = [];
    /** Services below the candidate failing only on what its new version sends them (they do not depend on it). */
    const brokenByNewCode: string[] = [];
    // A candidate whose own traffic shifted, with nothing failing, is a victim of what is above it: it passes
    // the shift on to its callees but explains nothing beside it.
    const onlyTraffic = f.traffic > 0 && f.failure === 0;
    // Without any topology: how alike the closest past incident caused by the candidate is (decision 021's addendum).
    const pastRoot = unknownTopology ? pastRootSimilarity(input.history, f.service) : 0;
    let followers = 0;
    let namedByHistory = 0;
    /** The part of `explained` that is the candidate's own warnings beyond its failure (they explain nothing else). */
    let ownWarning = 0;
    /** The caller whose new code the candidate fails on, if any (decisions 026, 028). */
    const brokenBy = blamedAbove.get(f.service) ?? null;
    for (const a of anomalous) {
      // Without any topology, a failure at the candidate may have reached what alerted with it or after it, or what
      // alerted as in past incidents it caused.
      const byOnset = unknownTopology && a !== f && alertedWithOrAfter(a, f) ? Math.exp(-Math.max(0, a.firstAlertAt! - f.firstAlertAt!) / CO_ONSET_SCALE_MS) : 0;
      const byHistory = a !== f ? pastRoot : 0;
      if (byOnset > 0 || byHistory > 0) {
        explained += (a.failureFromBelow + (onlyTraffic ? 0 : a.traffic)) * UNKNOWN_TOPOLOGY_REACH * Math.max(byOnset, byHistory);
        explainedCount++;
        if (byOnset > 0) followers++;
        else namedByHistory++;
        continue;
      }
      // A service's failure is explained by itself, or from below — except saturation of its own resources — or, as
      // far as its failing calls all come from a caller's new code, by that caller.
      const blame = blamedAbove.get(a.service);
      let failureShare = a.service === f.service ? ownShare(a) * (1 - (blame?.share ?? 0)) : upstream.has(a.service) ? a.failureFromBelow : 0;
      if (a.service === f.service) ownWarning = Math.max(0, a.warning - a.failure) * (1 - (blame?.share ?? 0));
      if (blame?.caller === f.service) failureShare = Math.max(failureShare, a.failure * blame.share);
      // Nor does a caller failing through what its own new code broke below count as that dependency's doing.
      if (brokenBy?.caller === a.service) failureShare *= 1 - brokenBy.share;
      if (failureShare > 0 && a.service !== f.service && blame?.caller !== f.service) {
        const pathStrength = reach.strength(a.service, f.service);
        if (pathStrength < SHOWN_ON_CALLS && reach.judgedByCalls) {
          if (reach.failsElsewhere(a.service, f.service)) failElsewhere++;
          else callsLookHealthy++;
        }
        failureShare *= slowdownReach(f, a) * pathStrength;
      }
      const failureExplained = failureShare > 0;
      const trafficLink = a.traffic > 0 ? trafficExplanationStrength(input.graph, f.service, a.service, upstream, options.explainDepth, onlyTraffic) : 0;
      if (!failureExplained && trafficLink === 0) continue;
      const coOnset =
        a.firstAlertAt !== null && f.firstAlertAt !== null ? Math.exp(-Math.abs(a.firstAlertAt - f.firstAlertAt) / CO_ONSET_SCALE_MS) : 1;
      explained += (failureShare + a.traffic * trafficLink) * coOnset;
      explainedCount++;
      if (trafficLink > 0 && !failureExplained && a.service !== f.service) trafficExplained.push(a.service);
      if (failureExplained && blame?.caller === f.service && a.service !== f.service) brokenByNewCode.push(a.service);
    }
    const explains = clamp01(explained / anomalousMass);
    // A callee makes the candidate a likely victim only if the candidate's calls to it went bad; when traces show
    // those calls healthy, the callee's alert is not this candidate's problem (a traffic drop below a failing
    // service, say). Without trace data for the edge, the callee's own anomaly stands in.
    // One pass over its callees also gives how much of its own slowdown they account for (origin, below).
    let worstCallee = 0;
    let worstCalleeName = '';
    let calleeLatency = 0;
    if (input.graph.hasNode(f.service))
      input.graph.forEachOutNeighbor(f.service, (callee) => {
        const c = facts.get(callee);
        const latency = input.traceSignals.get(callee)?.incoming?.latencyAnomaly ?? 0;
        if (!c && latency === 0) return;
        const calls = input.traceSignals.edge?.(f.service, callee);
        const measured = callsTell(calls) ? calls : null;
        if (latency > 0) calleeLatency = Math.max(calleeLatency, measured ? latency * edgeSlowdownShare(measured, f.trace?.incoming ?? null) : latency);
        if (!c) return;
        // Only a failing callee makes a victim: a request-rate shift below the candidate is its consequence.
        // Calls that only slowed make the candidate a victim only as far as they account for its own slowdown.
        // Without calls to judge, a silent callee fails as far as its other callers show it (decision 019).
        const failure = c.failure === 0 && c.alerts.length === 0 && !reach.judgedByCalls ? failureShownBeside(input.graph, facts, callee, f.service, upstream, options.explainDepth, input.failingNearby) : c.failure;
        // A callee failing on what the candidate's own new code sends it does not make the candidate its victim.
        const broken = blamedAbove.get(callee);
        const ownDoing = broken?.caller === f.service ? broken.share : 0;
        const propagated = (measured ? Math.min(failure, callAnomaly(measured)) * onlySlowedShare(measured, f.trace?.incoming ?? null) : failure) * (1 - ownDoing);
        if (propagated > worstCallee) {
          worstCallee = propagated;
          worstCalleeName = callee;
        }
      });
    // How much the candidate looks like its callee's victim; a service short of its own CPU or memory is not merely
    // that, nor is one whose own spans raise errors while its callees succeed.
    // Nor is one whose newer version fails beside an older one serving well: its callees failing is the new code's doing.
    const split = f.trace?.versionSplit ?? null;
    const splitStrength = split?.strength ?? 0;
    const victim = worstCallee * (1 - f.saturation) * (1 - (f.trace?.originAnomaly ?? 0)) * (1 - splitStrength);
    const calleesHealthy = 1 - 0.8 * victim;
    // Without calls into it that judge it, a dependency that raised nothing fails as far as its callers show it
    // (decision 018), whatever calls elsewhere in the incident show (third addendum).
    const untold = f.alerts.length === 0 && !callsInto(input, f);
    const callers = f.alerts.length === 0 && (!reach.judgedByCalls || untold) ? failingCallers(input, facts, f.service, untold, options.explainDepth, reach.explainedBelow) : undefined;
    // Without topology, a root that raised nothing looks as failing as the past incidents it caused look like this one.
    const anomaly = callers ? Math.max(f.anomaly, callers.share) : Math.max(f.anomaly, pastRoot);
    // Its own warnings explain themselves, whatever its callees do; what it explains beyond them, it explains as a
    // service that is not failing: a warning makes it no likelier the root of other services' failures.
    const warningExplains = Math.min(explains, ownWarning / anomalousMass);
    const failingAnomaly = callers ? Math.max(f.failure, f.traffic, callers.share) : Math.max(f.failure, f.traffic, pastRoot);
    const position = (explains - warningExplains) * calleesHealthy * (0.3 + 0.7 * failingAnomaly) + warningExplains * (0.3 + 0.7 * anomaly);
    const upstreamAnomalous = explainedCount - (anomalous.includes(f) ? 1 : 0) - trafficExplained.length - followers - namedByHistory - brokenByNewCode.length;
    if (followers > 0) evidence.push({ kind: 'onset', detail: describeFollowers(f.service, followers, anomalous.length) });
    if (upstreamAnomalous > 0 || trafficExplained.length > 0 || victim > 0.3) {
      evidence.push({
        kind: 'topology',
        detail: describePosition(f.service, upstreamAnomalous, anomalous.length, worstCalleeName, victim, trafficExplained, callsLookHealthy, failElsewhere),
      });
    }

    if (f.alerts.length > 0) evidence.push({ kind: 'alerts', detail: describeAlerts(f.service, f.alerts, input.onset) });
    if (callers) {
      const detail = callers.onlyCaller !== undefined
        ? describeOneFailingCaller(f.service, callers.onlyCaller, callers.silentBeside, callers.slowOnly)
        : describeFailingCallers(f.service, callers.failing, callers.all, callers.elsewhere, callers.slowOnly);
      evidence.push({ kind: 'topology', detail });
    }
    const incoming = f.trace?.incoming ?? null;
    if (callAnomaly(incoming) >= 0.2 && incoming) {
      evidence.push({ kind: 'traces', detail: describeIncoming(f.service, incoming, f.trace!.callers, f.alerts.length === 0) });
    }

    // Origin: its own spans fail (errors not propagated from callees), or it slows while its callees do not.
    const selfSlow = clamp01((incoming?.latencyAnomaly ?? 0) - calleeLatency);
    const node = input.graph.hasNode(f.service) ? input.graph.getNodeAttributes(f.service) : undefined;
    // An uninstrumented dependency has no callees we can see: what its callers see is its own behaviour.
    // Its own resources saturated (CPU, memory, restarts): the trouble begins here, whatever its callees do.
    // Its newer version failing beside an older one that serves well: the trouble begins in the new code. Spans that
    // fail only on what a caller's new code sends them do not make their service the origin.
    const ownOrigin = node?.uninstrumented ? callAnomaly(incoming) * calleesHealthy : Math.max(f.trace?.originAnomaly ?? 0, selfSlow);
    const origin = Math.max(ownOrigin * (1 - (brokenBy?.share ?? 0)), f.saturation, splitStrength);
    // For an uninstrumented dependency the callers' view above already says it; it has no spans of its own.
    if (!node?.uninstrumented && (f.trace?.originAnomaly ?? 0) >= 0.2) evidence.push({ kind: 'error-origin', detail: describeOrigin(f.service, f.trace!) });
    if (f.saturation > 0) evidence.push({ kind: 'saturation', detail: describeSaturation(f.service, f.alerts.filter(isSaturation)) });
    // What calls show failing only for the candidate's new code, and what only began to fail after its deploy.
    // Those whose calls split by its version say so in a line of their own.
    const shownBroken = brokenByNewCode.length === 0 ? brokenByNewCode : brokenByNewCode.filter((s) => blamedAbove.get(s)!.shownOnCalls && !blamedAbove.get(s)!.callsByVersion);
    const failingAfter = brokenByNewCode.length === 0 ? brokenByNewCode : brokenByNewCode.filter((s) => !blamedAbove.get(s)!.shownOnCalls);
    if (split && splitStrength >= 0.2) evidence.push({ kind: 'version', detail: describeVersionSplit(f.service, split, shownBroken) });
    for (const s of brokenByNewCode) {
      const { callsByVersion: byVersion, alsoFailing } = blamedAbove.get(s)!;
      if (byVersion) evidence.push({ kind: 'version', detail: describeCallsByVersion(s, f.service, byVersion, alsoFailing) });
    }

    // Change: the latest deploy of the candidate before (or just after) the onset.
    const change = recentChanges.get(f.service);
    let changeScore = 0;
    const splitShown = split !== null && splitStrength >= 0.2;
    if (change) {
      // A deploy reported after the onset counts (at half) because the alerts may have fired on its first pods; when
      // the spans show its version serving only after the alerts began, they did not (decision 033).
      const servedFrom = firstServedAfter(f.trace?.versions, change, input.onset, lastAlertStart);
      changeScore = servedFrom === null ? deployStrength(change, input.onset) : 0;
      evidence.push({ kind: 'deploy', detail: describeChange(change, input.onset, splitShown ? [] : shownBroken, failingAfter, servedFrom) });
    }
    // A newer version that fails beside the older one is a deploy the traces saw, reported or not: it counts as one as
    // clearly as it fails, from the first minute it served.
    if (split && split.worse.firstSeen >= input.onset - options.changeLookbackMs && split.worse.firstSeen <= input.onset + CHANGE_AFTER_ONSET_MS) {
      changeScore = Math.max(changeScore, changeStrength(split.worse.firstSeen, input.onset) * splitStrength);
    }

    // History: similar past incidents whose root cause was this service.
    const votes = input.history.filter((h) => h.rootCause === f.service);
    const historyScore = historyTotal > 0 ? votes.reduce((s, h) => s + h.similarity, 0) / Math.max(historyTotal, 1) : 0;
    if (votes.length > 0) evidence.push({ kind: 'history', detail: describeHistory(f.service, votes) });

    const onsetScore = f.firstAlertAt !== null ? Math.exp(-(f.firstAlertAt - input.onset) / (5 * MINUTE)) : 0;

    const score =
      w.position * position +
      w.anomaly * anomaly +
      w.origin * origin +
      w.change * changeScore +
      w.history * historyScore +
      w.onset * clamp01(onsetScore);
    if (score <= 0.01 && evidence.length === 0) continue;
    ranked.push({ service: f.service, score: round3(score), evidence });
  }
  ranked.sort((a, b) => b.score - a.score || a.service.localeCompare(b.service));
  return ranked.slice(0, options.maxResults);
}

/*
 * Latency adds up along calls: a dependency whose calls got 14 ms slower cannot be why its caller got 1.3 s slower.
 * Ratios alone (15 ms against 1 ms is as anomalous as 1.3 s against 12 ms) would make that caller its victim, so
 * where both slowdowns are measured, a merely slow dependency is credited with the share of the slowdown it can
 * account for: its added milliseconds (times the calls made per request along a direct edge) over the caller's.
 * Unmeasured (no baseline, too few calls, or no callers with traces) keeps the full credit.
 */

/** Mean milliseconds added to the calls against their baseline; null when not measured. */
function addedLatencyMs(c: CallChange | null | undefined): number | null {
  if (!callsTell(c) || c.meanLatencyBase === null) return null;
  return c.meanLatencyNow - c.meanLatencyBase;
}

/** How much of `a`'s slowdown the candidate `f` can account for, 0..1: 1 unless `f` only slowed (its errors did not rise). */
function slowdownReach(f: ServiceFacts, a: ServiceFacts): number {
  const incoming = f.trace?.incoming;
  if (!incoming || incoming.errorAnomaly >= SLOW_ONLY || incoming.latencyAnomaly === 0) return 1;
  const addedByF = addedLatencyMs(incoming);
  const addedAtA = addedLatencyMs(a.trace?.incoming);
  if (addedByF === null || addedAtA === null || addedAtA <= 0) return 1;
  return clamp01(addedByF / addedAtA);
}

/** edgeSlowdownShare for calls that tell and only slowed (their errors did not rise); 1 for any others. */
function onlySlowedShare(calls: CallChange | null | undefined, callerIncoming: CallChange | null): number {
  return callsTell(calls) && calls.errorAnomaly < SLOW_ONLY ? edgeSlowdownShare(calls, callerIncoming) : 1;
}

/**
 * How much of a caller's own slowdown (what its callers wait for it longer, `callerIncoming`) its calls along one edge
 * account for, 0..1: their added latency times calls per request.
 */
function edgeSlowdownShare(calls: CallChange, callerIncoming: CallChange | null): number {
  const addedOnEdge = addedLatencyMs(calls);
  const addedAtF = addedLatencyMs(callerIncoming);
  const requests = callerIncoming?.callsNow ?? 0;
  if (addedOnEdge === null || addedAtF === null || addedAtF <= 0 || requests === 0) return 1;
  return clamp01((addedOnEdge * Math.max(1, calls.callsNow / requests)) / addedAtF);
}

/** A service whose failing calls all come from one caller whose new code is what changed (failingOnlyForNewCode). */
interface CallerVersionBlame {
  caller: string;
  /** How clearly the caller's new code is the change (its VersionSplit's strength, or its deploy's recency): how much of the failure is its doing. */
  share: number;
  /** Calls into the service show it failing for this caller alone; else only the deploy and the onsets say so (decision 030). */
  shownOnCalls: boolean;
  /** The caller's calls into the service by its version, when their split is what shows it (decision 031). */
  callsByVersion?: VersionSplit;
  /** Other callers whose calls fail too, and the blamed caller's share of the failed calls (decision 035). */
  alsoFailing?: { callers: string[]; callerShare: number };
}

/**
 * Whether `service` fails only for one caller whose new code sends it what it cannot take: the caller's newer version
 * fails while its older one serves well (decision 026), or the caller deployed shortly before the onset while calls
 * from another caller still succeed and nothing of the service's own changed (decision 028). When calls from other
 * callers fail too, only a caller's calls splitting by its version still say so, for its share of the failed calls
 * (decision 035, oneCallersNewCodeAmongSeveral). Null when the failing caller shows no such change. When no calls into
 * it tell, the alerts' onsets and a reported deploy decide, at half the share (decision 030, deployedCallerFailingFirst).
 */
function failingOnlyForNewCode(
  input: RankingInput,
  service: string,
  recentChanges: ReadonlyMap<string, Change>,
  firstFailureAt: () => FirstFailures,
): CallerVersionBlame | null {
  if (!input.graph.hasNode(service)) return null;
  const failingCallers: FailingCaller[] = [];
  let healthyBeside = false;
  let told = false;
  if (input.traceSignals.edge !== undefined)
    input.graph.forEachInNeighbor(service, (caller) => {
      const calls = input.traceSignals.edge!(caller, service);
      if (!callsTell(calls)) return;
      told = true;
      if (calls.errorAnomaly < BAD_CALLS) healthyBeside ||= calls.callsNow >= MIN_CALLS;
      else failingCallers.push({ caller, errors: calls.callsNow * calls.errorRateNow });
    });
  if (!told) return deployedCallerFailingFirst(input, service, recentChanges, firstFailureAt());
  if (failingCallers.length === 0) return null;
  if (failingCallers.length > 1) return oneCallersNewCodeAmongSeveral(input, service, failingCallers);
  const failing = failingCallers[0]!.caller;
  const split = input.traceSignals.get(failing)?.versionSplit;
  if (split?.symptom === 'errors') return { caller: failing, share: split.strength, shownOnCalls: true };
  // The caller's own calls into the service, by its version: the newer one's fail beside the older one's succeeding in
  // the same minutes (decision 031). Only the code that sends them differs: the same caller, the same service.
  const byVersion = input.traceSignals.edgeVersionSplit?.(failing, service);
  if (byVersion?.symptom === 'errors') return { caller: failing, share: byVersion.strength, shownOnCalls: true, callsByVersion: byVersion };
  // A reported deploy says less than a split: the service may fail for that caller alone for a reason of its own
  // (one endpoint only that caller uses). Calls from another caller succeeding in the same minutes, and no change of
  // the service's own, leave the caller's new code as the one change the failure follows.
  if (!healthyBeside || recentChanges.has(service) || input.traceSignals.get(service)?.versionSplit) return null;
  const change = recentChanges.get(failing);
  if (!change || change.at > input.onset) return null;
  return { caller: failing, share: deployStrength(change, input.onset), shownOnCalls: true };
}

interface FailingCaller {
  caller: string;
  /** Its failed calls into the service over the ranking's window. */
  errors: number;
}

/**
 * When calls from several callers fail (decision 035): the service fails for more than one caller's code, so a
 * caller's deploy or its own failing version no longer says what breaks it. Its calls into the service splitting by
 * its version still do, for the caller whose calls split: the same caller's older code is served well in the same
 * minutes. That caller's new code then accounts for its share of the service's failed calls; the rest stay the
 * service's own. Null when no failing caller's calls split, or more than one's do.
 */
function oneCallersNewCodeAmongSeveral(input: RankingInput, service: string, failingCallers: readonly FailingCaller[]): CallerVersionBlame | null {
  let blamed: { caller: string; errors: number; split: VersionSplit } | null = null;
  let errors = 0;
  for (const f of failingCallers) {
    errors += f.errors;
    const split = input.traceSignals.edgeVersionSplit?.(f.caller, service);
    if (split?.symptom !== 'errors') continue;
    if (blamed !== null) return null;
    blamed = { ...f, split };
  }
  if (blamed === null || !(errors > 0)) return null;
  const callerShare = blamed.errors / errors;
  const callers = failingCallers.filter((f) => f.caller !== blamed.caller).map((f) => f.caller);
  return { caller: blamed.caller, share: blamed.split.strength * callerShare, shownOnCalls: true, callsByVersion: blamed.split, alsoFailing: { callers, callerShare } };
}

/**
 * Without calls into `service` that tell (decision 030): its errors follow its one failing caller's deploy when that
 * caller deployed before the onset and erred no later than it, and nothing of its own changed. Null otherwise.
 */
function deployedCallerFailingFirst(
  input: RankingInput,
  service: string,
  recentChanges: ReadonlyMap<string, Change>,
  firstFailureAt: FirstFailures,
): CallerVersionBlame | null {
  // New code sends what a dependency cannot take: the dependency answers with errors, not merely slowly.
  const failingSince = firstFailureAt.errors.get(service);
  if (failingSince === undefined || recentChanges.has(service) || input.traceSignals.get(service)?.versionSplit) return null;
  let failing: string | null = null;
  let several = false;
  input.graph.forEachInNeighbor(service, (caller) => {
    if (!firstFailureAt.any.has(caller)) return;
    if (failing === null) failing = caller;
    else several = true;
  });
  if (failing === null || several) return null;
  // Its new code's failing requests fail it too, as errors, from the first minute.
  const callerFailingSince = firstFailureAt.errors.get(failing);
  if (callerFailingSince === undefined || callerFailingSince > failingSince) return null;
  const change = recentChanges.get(failing);
  if (!change || change.at > input.onset) return null;
  return { caller: failing, share: deployStrength(change, input.onset) * UNTOLD_DEPLOY_SHARE, shownOnCalls: false };
}

/**
 * For a deploy reported after the onset: the first minute the service's own spans show its version serving, when that
 * minute began after every alert of the incident had begun (the deploy can then have caused none of them); else null.
 * Every alert, not the first: an incident may hold a failure that began before the deploy and one it caused. The spans
 * show versions only when two or more served in the window, which a rollout under way does.
 */
function firstServedAfter(versions: readonly VersionWindow[] | null | undefined, change: Change, onset: number, lastAlertAt: () => number): number | null {
  if (change.at <= onset || !versions) return null;
  const v = versions.find((w) => w.version === change.version);
  return v !== undefined && v.firstSeen > lastAlertAt() ? v.firstSeen : null;
}

/** How strongly a change at `at` counts as the incident's cause: full at the onset, decaying over 20 minutes before it, half just after. */
function changeStrength(at: number, onset: number): number {
  const before = onset - at;
  return before >= 0 ? Math.exp(-before / (20 * MINUTE)) : 0.5;
}

/** A reported deploy's strength as a cause (changeStrength), halved when its rollout failed. */
function deployStrength(change: Change, onset: number): number {
  return changeStrength(change.at, onset) * (change.failed ? FAILED_CHANGE : 1);
}

/**
 * How strongly `service`'s latest deploy near `onset` counts as the cause (deployStrength; 0 without one), as the
 * ranking reads it: for callers that weigh a ranking's deploy evidence (engine.ts victimOf).
 */
export function deployStrengthNear(changes: readonly Change[], service: string, onset: number, lookbackMs: number): number {
  const latest = latestChangesNear(changes, onset, lookbackMs).get(service);
  return latest ? deployStrength(latest, onset) : 0;
}

/** The similarity of the most similar past incident whose root cause was `service` (0 when none was). */
function pastRootSimilarity(history: readonly HistoryMatch[], service: string): number {
  let best = 0;
  for (const h of history) if (h.rootCause === service && h.similarity > best) best = h.similarity;
  return best;
}

/** Whether `a` began to alert with `f` (within one rule evaluation) or after it; false for a service without alerts. */
function alertedWithOrAfter(a: ServiceFacts, f: ServiceFacts): boolean {
  return f.firstAlertAt !== null && a.firstAlertAt !== null && a.firstAlertAt >= f.firstAlertAt - SAME_EVALUATION_MS;
}

/**
 * Whether a failing service only slowed: its failure alerts all watch latency, and calls into it, where they tell, show
 * no errors; or, without a failure alert, those calls only slowed. What the evidence says of it ("is slow", not "fails").
 */
function onlySlows(f: ServiceFacts): boolean {
  const incoming = f.trace?.incoming ?? null;
  if (incoming !== null && incoming.errorAnomaly > 0) return false;
  const failures = f.alerts.filter((a) => alertSignal(a) === 'failure');
  if (failures.length > 0) return failures.every((a) => alertSymptom(a) === 'latency');
  return incoming !== null && incoming.latencyAnomaly > 0;
}

/** What a service's own alerts and calls put at the service itself: its failure, or its warnings when those weigh more. */
function ownShare(f: ServiceFacts): number {
  return Math.max(f.failure, f.warning);
}

/** Whether the service raises alerts in the incident and fails (not merely a shift in its traffic, nor a warning). */
function alertsFailing(facts: ReadonlyMap<string, ServiceFacts>, service: string): boolean {
  const f = facts.get(service);
  return f !== undefined && f.alerts.length > 0 && f.failure > 0;
}

/** Whether the service fails in the incident (a failure alert, or failing calls into it): what decisions 017 and 018 read without calls to judge. */
function failsInIncident(facts: ReadonlyMap<string, ServiceFacts>, service: string): boolean {
  return (facts.get(service)?.failure ?? 0) > 0;
}

/**
 * Whether calls into the candidate tell: all of them pooled, or one caller's. Sampled traces may catch an incident's
 * failing calls and none of those into a silent dependency below them: its callers are then all there is to judge it.
 */
function callsInto(input: RankingInput, f: ServiceFacts): boolean {
  if (callsTell(f.trace?.incoming ?? null)) return true;
  if (!input.graph.hasNode(f.service)) return false;
  const edge = input.traceSignals.edge;
  let tells = false;
  input.graph.forEachInNeighbor(f.service, (caller) => {
    tells ||= callsTell(edge?.(caller, f.service));
  });
  return tells;
}

/** How failing a silent dependency looks from its callers (failingCallers). */
interface FailingCallers {
  failing: number;
  all: number;
  elsewhere: number;
  /** 0..1: stands in for its anomaly. */
  share: number;
  /** Whether every failing caller counted only slowed (latency alerts, or calls into it that only slowed). */
  slowOnly: boolean;
  /**
   * When one caller fails: that caller, and how many of its dependencies (this one included) are silent: no alert of
   * their own, and no calls of the caller that traces judge.
   */
  onlyCaller?: string;
  silentBeside?: number;
}

/**
 * How failing a dependency with no alert looks from its direct callers, when no calls can judge the incident or none into
 * the dependency can (third addendum); undefined when it does not. A dependency with no alert rules of its own (most
 * databases, queues, external APIs) shows a failure only through its callers:
 * - two or more of them failing at once (FAILING_CALLERS_SEEN) is what one failing dependency looks like, and their
 *   share is how far it looks failing (decision 018). A failing caller with another dependency that alerts, one its
 *   failure cannot have come through from this service, fails through that one (`elsewhere`): a frontend calls dozens
 *   of services, and when one of them alerts, the others are no likelier to be failing than before (addendum);
 * - one failing caller, alerting on a failure, is as likely where its failure began as anything below it
 *   (ONE_CALLER_BELOW): each of its dependencies with no alert and no calls that tell takes its posterior share
 *   (second addendum). Calls into the candidate that do tell, however few, say whether it failed: then traces decide.
 *   A database only its own service uses ranks beside that service.
 * O(callers × their callees), each callee's downstream search remembered by the graph.
 */
function failingCallers(
  input: RankingInput,
  facts: ReadonlyMap<string, ServiceFacts>,
  service: string,
  /** No calls into the service tell (callsInto). */
  untold: boolean,
  maxDepth: number,
  explainedBelow: (caller: string) => boolean,
): FailingCallers | undefined {
  const graph = input.graph;
  if (!graph.hasNode(service)) return undefined;
  const { firstFailing, ...callers } = countFailingCallers(graph, facts, service, maxDepth, input.failingNearby, undefined, explainedBelow, (caller) =>
    onlySlows(facts.get(caller)!),
  );
  if (callers.failing >= FAILING_CALLERS_SEEN) return { ...callers, share: callers.failing / callers.all };
  const caller = callers.failing === 1 ? firstFailing : undefined;
  if (caller === undefined || !alertsFailing(facts, caller) || !untold) return undefined;
  const edge = input.traceSignals.edge;
  // Before the traces, ONE_CALLER_BELOW (p) of the caller's failure lies below it, spread evenly over its dependencies
  // with no alert (quiet); calls seen healthy clear some of those, which leaves the caller itself likelier: each one
  // left (silent) holds (p / quiet) / (1 − p + p · silent / quiet) = p / ((1 − p) · quiet + p · silent).
  let quiet = 0;
  let silent = 0;
  graph.forEachOutNeighbor(caller, (dependency) => {
    if ((facts.get(dependency)?.alerts.length ?? 0) > 0) return;
    quiet++;
    if (!callsTell(edge?.(caller, dependency))) silent++;
  });
  const p = ONE_CALLER_BELOW;
  return { ...callers, share: p / ((1 - p) * quiet + p * silent), onlyCaller: caller, silentBeside: silent };
}

/**
 * A dependency's direct callers (`all`), those of them that fail in the incident or, outside it, in `nearby`
 * (`failing`, the first of them `firstFailing`), and those that fail but through another dependency that alerts, or
 * whose calls to another one traces show failing (`explainedBelow`) (`elsewhere`, not in `failing`); an outside
 * caller's other dependencies are read over `nearby` too. Callers `skip` names are not asked.
 */
function countFailingCallers(
  graph: DependencyGraph,
  facts: ReadonlyMap<string, ServiceFacts>,
  service: string,
  maxDepth: number,
  nearby?: ReadonlySet<string>,
  skip?: (caller: string) => boolean,
  explainedBelow?: (caller: string) => boolean,
  /** Asked of each failing caller in the incident only when given: the evidence's wording, not the share. */
  slows?: (caller: string) => boolean,
): { failing: number; all: number; elsewhere: number; firstFailing: string | undefined; slowOnly: boolean } {
  let all = 0;
  let failing = 0;
  let elsewhere = 0;
  let slow = 0;
  let firstFailing: string | undefined;
  graph.forEachInNeighbor(service, (caller) => {
    all++;
    if (skip?.(caller)) return;
    const inside = failsInIncident(facts, caller);
    if (!inside && !nearby?.has(caller)) return;
    if (failsThroughAnother(graph, facts, caller, service, maxDepth, inside ? undefined : nearby) || explainedBelow?.(caller)) elsewhere++;
    else {
      if (failing++ === 0) firstFailing = caller;
      if (inside && slows?.(caller)) slow++;
    }
  });
  return { failing, all, elsewhere, firstFailing, slowOnly: failing > 0 && slow === failing };
}

/**
 * How failing a silent dependency of `candidate` looks from its other callers, 0..1, when no calls can be judged: the
 * share of its direct callers that fail in the incident, `candidate` among them, once one or more do that `candidate`
 * cannot explain. A caller above `candidate` may fail through it, and one that fails through another alerting
 * dependency says nothing about this one (failsThroughAnother); those are not counted. With FAILING_CALLERS_SEEN in all,
 * `candidate` is likelier the dependency's victim than the root: the dependency explains them both (decision 019).
 * O(its callers × their callees).
 */
function failureShownBeside(
  graph: DependencyGraph,
  facts: ReadonlyMap<string, ServiceFacts>,
  dependency: string,
  candidate: string,
  upstreamOfCandidate: ReadonlyMap<string, number>,
  maxDepth: number,
  nearby?: ReadonlySet<string>,
): number {
  const beside = countFailingCallers(graph, facts, dependency, maxDepth, nearby, (caller) => caller === candidate || upstreamOfCandidate.has(caller));
  const failing = beside.failing + (failsInIncident(facts, candidate) ? 1 : 0);
  return beside.failing > 0 && failing >= FAILING_CALLERS_SEEN ? failing / beside.all : 0;
}

/**
 * Whether another dependency of `caller` alerts on a failure (in the incident, or in `nearby`) that cannot come from
 * `service` (not within maxDepth calls below it).
 */
function failsThroughAnother(
  graph: DependencyGraph,
  facts: ReadonlyMap<string, ServiceFacts>,
  caller: string,
  service: string,
  maxDepth: number,
  nearby?: ReadonlySet<string>,
): boolean {
  let found = false;
  graph.forEachOutNeighbor(caller, (callee) => {
    if (found || callee === service) return;
    const c = facts.get(callee);
    const alertsFailing = (c !== undefined && c.alerts.length > 0 && c.failure > 0) || nearby?.has(callee) === true;
    if (alertsFailing && !downstreamOf(graph, callee, maxDepth).has(service)) found = true;
  });
  return found;
}

/** A call edge as a path up through it reads it (failureReach): how fully it passes a failure on, 0..1 (HEALTHY_CALLS_COUPLING and up). */
interface CallerLink {
  caller: string;
  coupling: number;
  /** Its calls cannot tell, and a call of the caller to another dependency that went bad explains the caller's failure. */
  explainedAway: boolean;
}

interface FailureReach {
  /** Whether paths are judged by the calls along them (else by the topology and the alerts on the way). */
  judgedByCalls: boolean;
  /** How strongly a failure at `candidate` can reach the anomalous service `from`, 0..1. */
  strength(from: string, candidate: string): number;
  /** Whether that path is weak because `from`'s failure (or one on the way) shows on calls to another dependency. */
  failsElsewhere(from: string, candidate: string): boolean;
  /** Whether calls of `caller` that traces judge go bad enough to account for its failure in full (decision 016). */
  explainedBelow(caller: string): boolean;
}

/**
 * How strongly a failure at a candidate can reach each anomalous service above it, 0..1: the strongest path of calls
 * from the anomalous service down to the candidate, each call weighing as much as the calls along it went bad
 * (HEALTHY_CALLS_COUPLING when seen and healthy; an edge with few calls borrows its callee's calls from every caller,
 * as the clustering does: pooledAnomaly). A dependency whose callers' calls to it stayed healthy explains none of their
 * failures however they are wired. Calls that cannot tell count fully, less as much as another call of the same caller
 * clearly went bad (decision 016: that failure already explains the caller's). When the traces show no failure anywhere
 * in the incident (none sampled, or the alerts watch what spans do not carry), calls cannot judge a path: it counts
 * fully through services that fail themselves and SILENT_HOP_FACTOR less through each one that does not (decision 017).
 * Paths are searched upward from the candidate, only through services below some anomalous one, memoised per edge:
 * O(edges among the incident's services and what lies below them) per candidate.
 */
function failureReach(
  input: RankingInput,
  facts: ReadonlyMap<string, ServiceFacts>,
  anomalous: readonly ServiceFacts[],
  maxDepth: number,
): FailureReach {
  const signals = input.traceSignals;
  const tracesShowFailures = [...facts.values()].some((f) => callAnomaly(f.trace?.incoming ?? null) >= TRACE_ANOMALOUS);
  const judgedByCalls = signals.edge !== undefined && tracesShowFailures;
  /** Without calls to judge: how fully a failure at `candidate` passes through `service` on its way up. */
  const passesThrough = (service: string, candidate: string): number =>
    service === candidate || failsInIncident(facts, service) ? 1 : SILENT_HOP_FACTOR;
  // Every path from an anomalous service down to a candidate runs through what lies below that service (itself included).
  const below = new Set<string>();
  for (const a of anomalous) for (const d of downstreamOf(input.graph, a.service, maxDepth).keys()) below.add(d);
  const seen = (calls: CallChange | null): number | null => (callsTell(calls) ? callAnomaly(calls) : null);
  /** How bad the calls along the edge went (null: they cannot tell), its callee's calls from every caller filling in. */
  const edgeAnomaly = (caller: string, callee: string): number | null => {
    const own = signals.edge!(caller, callee);
    const incoming = (facts.get(callee)?.trace ?? signals.get(callee))?.incoming ?? null;
    return pooledAnomaly({ anomaly: seen(own), calls: own?.callsNow ?? 0 }, seen(incoming));
  };
  /** How fully calls this anomalous pass a failure on, 0..1 (BAD_CALLS and worse: fully). */
  const badShare = (anomaly: number): number => Math.min(1, anomaly / BAD_CALLS);
  const clearestBelow = new Map<string, number>();
  /** The clearest failure among the caller's judged calls, 0..1: what already explains its trouble (decision 016). */
  const clearestFailureBelow = (caller: string): number => {
    let clearest = clearestBelow.get(caller);
    if (clearest === undefined) {
      let worst = 0;
      input.graph.forEachOutNeighbor(caller, (callee) => {
        const anomaly = edgeAnomaly(caller, callee);
        if (anomaly !== null && anomaly > worst) worst = anomaly;
      });
      clearestBelow.set(caller, (clearest = worst));
    }
    return clearest;
  };
  /** How fully calls from `caller` pass a failure at `callee` on, and whether its caller's failure is explained away. */
  const link = (caller: string, callee: string): CallerLink => {
    const anomaly = edgeAnomaly(caller, callee);
    // Calls that cannot tell pass a failure on in full, unless a call of the caller that went bad already explains it.
    // Calls that only slowed pass it on as far as they account for the caller's own slowdown: what lies above the
    // caller fails through the caller, so no more of it than of the caller (decision 023).
    const slowedShare = anomaly !== null ? onlySlowedShare(signals.edge!(caller, callee), (facts.get(caller)?.trace ?? signals.get(caller))?.incoming ?? null) : 1;
    const share = (anomaly !== null ? badShare(anomaly) : 1 - badShare(clearestFailureBelow(caller))) * slowedShare;
    return { caller, coupling: HEALTHY_CALLS_COUPLING + (1 - HEALTHY_CALLS_COUPLING) * share, explainedAway: anomaly === null && share < 1 };
  };
  /**
   * Per callee, its callers that lie below an anomalous service (the only ones a path up can pass), in the graph's
   * order, with their links: worked out once per ranking, although every candidate's search may pass the callee.
   */
  const linksInto = new Map<string, CallerLink[]>();
  const callersBelow = (callee: string): CallerLink[] => {
    let links = linksInto.get(callee);
    if (links === undefined) {
      const found: CallerLink[] = [];
      if (input.graph.hasNode(callee)) {
        input.graph.forEachInNeighbor(callee, (caller) => {
          if (below.has(caller)) found.push(judgedByCalls ? link(caller, callee) : { caller, coupling: 1, explainedAway: false });
        });
      }
      linksInto.set(callee, (links = found));
    }
    return links;
  };
  /** Per candidate: the strongest path from each service above it, and the services whose path was explained away. */
  const memo = new Map<string, { strengths: Map<string, number>; elsewhere: Set<string> }>();
  const pathsTo = (candidate: string): { strengths: Map<string, number>; elsewhere: Set<string> } => {
    let paths = memo.get(candidate);
    if (!paths) {
      const strengths = new Map([[candidate, 1]]);
      const elsewhere = new Set<string>();
      let level = new Map([[candidate, 1]]);
      for (let depth = 1; depth <= maxDepth && level.size > 0; depth++) {
        const next = new Map<string, number>();
        const nextElsewhere = new Set<string>();
        for (const [callee, strength] of level) {
          for (const { caller, coupling, explainedAway } of callersBelow(callee)) {
            const s = strength * (judgedByCalls ? coupling : passesThrough(callee, candidate));
            if (s > (strengths.get(caller) ?? 0) && s > (next.get(caller) ?? 0)) {
              next.set(caller, s);
              if (elsewhere.has(callee) || explainedAway) nextElsewhere.add(caller);
              else nextElsewhere.delete(caller);
            }
          }
        }
        for (const [node, strength] of next) {
          strengths.set(node, strength);
          if (nextElsewhere.has(node)) elsewhere.add(node);
          else elsewhere.delete(node);
        }
        level = next;
      }
      memo.set(candidate, (paths = { strengths, elsewhere }));
    }
    return paths;
  };
  return {
    judgedByCalls,
    strength: (from, candidate) => pathsTo(candidate).strengths.get(from) ?? 0,
    failsElsewhere: (from, candidate) => pathsTo(candidate).elsewhere.has(from),
    explainedBelow: (caller) => judgedByCalls && badShare(clearestFailureBelow(caller)) >= 1,
  };
}

/** The incident's services plus their dependencies a few hops down (further along failing calls), with what we know of each. */
function gatherFacts(input: RankingInput, options: RankingOptions, blameOf: (service: string) => CallerVersionBlame | null): Map<string, ServiceFacts> {
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

/**
 * How strongly a failure at `candidate` explains a request-rate shift at `shifted`, 0..1: it is the service
 * itself (1); it calls it, directly or through others (a failing caller stops calling on); or it is called,
 * directly or through others, by one of the shifted service's callers (that caller fails on the candidate and
 * gives up before calling the shifted service). Each call on the path past the first weakens the link.
 * `onlyDownstream`: the candidate is itself only a traffic victim, so only the first way holds.
 */
function trafficExplanationStrength(
  graph: DependencyGraph,
  candidate: string,
  shifted: string,
  upstreamOfCandidate: ReadonlyMap<string, number>,
  maxDepth: number,
  onlyDownstream: boolean,
): number {
  if (candidate === shifted) return 1;
  if (!graph.hasNode(shifted)) return 0;
  let best = 0;
  const below = downstreamOf(graph, candidate, maxDepth).get(shifted);
  if (below !== undefined) best = TRAFFIC_HOP_FACTOR ** (below - 1);
  if (onlyDownstream) return best;
  graph.forEachInNeighbor(shifted, (caller) => {
    const d = caller === candidate ? 0 : upstreamOfCandidate.get(caller);
    if (d !== undefined && d > 0 && d < maxDepth) best = Math.max(best, TRAFFIC_HOP_FACTOR ** d);
  });
  return best;
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

/**
 * Each service's latest change from `lookbackMs` before the onset to 5 minutes after it: one pass over the changes per
 * ranking, so that a busy deploy log costs each candidate a lookup, not a scan.
 */
function latestChangesNear(changes: readonly Change[], onset: number, lookbackMs: number): Map<string, Change> {
  const latest = new Map<string, Change>();
  for (const c of changes) {
    if (c.at < onset - lookbackMs || c.at > onset + CHANGE_AFTER_ONSET_MS) continue;
    const best = latest.get(c.service);
    if (!best || c.at > best.at) latest.set(c.service, c);
  }
  return latest;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
