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
// The parts it draws on, each pure: what is known of each candidate (service-facts.ts), how far a failure reaches up
// the calls (failure-reach.ts), how failing a silent dependency looks from its callers (silent-dependency.ts), whether a
// service fails only on a caller's new code (new-code-blame.ts), how much a slowdown accounts for (slowdown-share.ts),
// and how strongly a deploy counts (deploy-strength.ts); what it reads and how it weighs it: ranking-input.ts.
import { isSaturation } from '../model/alert-signal.js';
import type { Evidence, RootCause } from '../model/incident.js';
import { upstreamOf, downstreamOf, type DependencyGraph } from '../topology/dependency-graph.js';
import { callAnomaly, callsTell, clamp01 } from './trace-signals.js';
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
import { DEFAULT_RANKING_OPTIONS, type HistoryMatch, type RankingInput, type RankingOptions } from './ranking-input.js';
import { alertedWithOrAfter, callsInto, firstFailureAlerts, gatherFacts, onlySlows, ownShare, TRACE_ANOMALOUS, type FirstFailures } from './service-facts.js';
import { failingOnlyForNewCode, type CallerVersionBlame } from './new-code-blame.js';
import { failingCallers, failureShownBeside } from './silent-dependency.js';
import { failureReach } from './failure-reach.js';
import { asEdgeCalls, edgeSlowdownShare, onlySlowedShare, slowdownAccountedFor, slowdownReach } from './slowdown-share.js';
import { CHANGE_AFTER_ONSET_MS, changeStrength, deployStrength, firstServedAfter, latestChangesNear } from './deploy-strength.js';

const MINUTE = 60_000;
/** Onsets this far apart are barely related (time constant of the exponential). */
const CO_ONSET_SCALE_MS = 10 * MINUTE;
/** A path weaker than this does not show the failure on its calls: evidence says so. */
const SHOWN_ON_CALLS = 0.5;
/** Each call between a candidate and a request-rate shift it explains weakens the link (as in the clustering). */
const TRAFFIC_HOP_FACTOR = 0.8;
/**
 * When the graph knows no service at all (nothing traced, no catalog), how likely a failure at an alerting service
 * reached another that alerted with it or after it: as likely as not. Onsets are then the only direction there is (a
 * failure precedes the alerts it causes; decision 021). A past incident caused by a service, as alike as its
 * similarity, says the same of its root and the alerts now (the decision's addendum).
 */
const UNKNOWN_TOPOLOGY_REACH = 0.5;

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
    /** How much longer the candidate takes to answer: as its callers see it, or its own spans where nothing traced calls it. */
    const ownSlowdown = f.trace?.incoming ?? f.trace?.own ?? null;
    let slowsOnly: boolean | undefined; // asked only of a candidate with calls into a failing callee
    let calleeLatency = 0;
    // Callees' slowdowns are read only to tell how much of the candidate's own they account for (selfSlow, below).
    const slowedItself = (f.trace?.incoming?.latencyAnomaly ?? 0) > 0;
    if (input.graph.hasNode(f.service))
      input.graph.forEachOutNeighbor(f.service, (callee) => {
        const c = facts.get(callee);
        if (!c && !slowedItself) return;
        const latency = slowedItself ? (input.traceSignals.get(callee)?.incoming?.latencyAnomaly ?? 0) : 0;
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
        // A candidate that only slows is as much a victim of calls that only slowed as they account for its own measured
        // slowdown, however mildly they slowed: the milliseconds add up (decision 039).
        // Along an edge with too few calls to tell, the callee's calls from every caller stand in (the addendum).
        const slowed = failure > 0 && calls && (slowsOnly ??= onlySlows(f)) ? (measured ?? asEdgeCalls(c.trace?.incoming, calls)) : null;
        const accounted = slowed ? slowdownAccountedFor(slowed, ownSlowdown) : null;
        const severity = accounted ?? (measured ? Math.min(failure, callAnomaly(measured)) * onlySlowedShare(measured, f.trace?.incoming ?? null) : failure);
        const propagated = severity * (1 - ownDoing);
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

/** The similarity of the most similar past incident whose root cause was `service` (0 when none was). */
function pastRootSimilarity(history: readonly HistoryMatch[], service: string): number {
  let best = 0;
  for (const h of history) if (h.rootCause === service && h.similarity > best) best = h.similarity;
  return best;
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

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
