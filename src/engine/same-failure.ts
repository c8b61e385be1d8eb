// Whether alerts about to open an incident, or to join one, are the failure an open incident is already about, by the
// root causes the open incidents and the alerts rank (decisions 008, 013, 038 and 040–042). Pure.
import type { Alert } from '../model/alert.js';
import { alertSignal, alertSymptom, isSaturation } from '../model/alert-signal.js';
import type { RootCause } from '../model/incident.js';
import type { DependencyGraph } from '../topology/dependency-graph.js';
import { BAD_CALLS } from '../rank/failure-reach.js';
import type { CallChange, TraceSignalLookup } from '../rank/trace-signals.js';

/**
 * How far a ranking's top root cause must lead the next for incidents to be joined on it (decision 008). Scores are
 * comparable (0..1); a closer race means the ranking itself is unsure, and joining on it would carry one wrong
 * guess into another incident (in a storm of silent databases, four failures once became one incident that way).
 */
const DECISIVE_MARGIN = 0.1;

/**
 * Whether alerts ranked alone (`alone`) are another failure than an open incident ranked `open`: both rankings decisive,
 * on different roots, and neither lists the other's root at all. Listing it would mean the two relate (a victim of
 * the open incident's root, or the evidence that will correct its ranking), so those alerts still join.
 */
export function isAnotherFailure(open: readonly RootCause[] | undefined, alone: readonly RootCause[]): boolean {
  const openRoot = decisiveRoot(open);
  const root = decisiveRoot(alone);
  if (openRoot === undefined || root === undefined || root === openRoot) return false;
  return !open!.some((c) => c.service === root) && !alone.some((c) => c.service === openRoot);
}

/** The top root cause when it leads the next by DECISIVE_MARGIN; undefined when the ranking is not decisive. */
export function decisiveRoot(rootCauses: readonly RootCause[] | undefined): string | undefined {
  const [top, next] = rootCauses ?? [];
  if (top === undefined) return undefined;
  // Scores are rounded to 0.001: a lead of exactly the margin counts, whatever the float subtraction says.
  return next === undefined || top.score - next.score > DECISIVE_MARGIN - 1e-9 ? top.service : undefined;
}

/** The top root cause when it scores above the next (a tie names nothing), decisive or not. */
export function firstSuspect(rootCauses: readonly RootCause[] | undefined): string | undefined {
  const [top, next] = rootCauses ?? [];
  return top !== undefined && (next === undefined || top.score > next.score) ? top.service : undefined;
}

/**
 * An undecided ranking's first two suspects, in order, as one key: undefined for a decisive ranking, with fewer than
 * two candidates, or when a third ties the second (then which two come first says nothing). Two rankings with the same
 * key could not tell the same two services apart: twin dependencies that topology cannot separate (two databases
 * every caller uses), seen by two clusters of one failure.
 */
export function undecidedPair(rootCauses: readonly RootCause[] | undefined): string | undefined {
  const [top, next, third] = rootCauses ?? [];
  if (top === undefined || next === undefined || decisiveRoot(rootCauses) !== undefined) return undefined;
  if (third !== undefined && third.score >= next.score) return undefined;
  return `${top.service}\u0000${next.service}`;
}

/**
 * How far down a cluster's own ranking the root of an open incident may stand for the cluster to be its victim
 * (decision 013): the three candidates AC@3 vouches for. Further down sit services merely reachable from the
 * cluster's, and joins on them were wrong (noise on callers of the failing service) in every case measured.
 */
const VICTIM_RANKS = 3;

/** A deploy of a cluster's first suspect weaker than this as a cause says too little to keep the cluster apart. */
const STRONG_DEPLOY = 0.5;

/** Evidence that a candidate is where trouble starts, beyond its own alerts and its place in the graph. */
const OWN_EVIDENCE: ReadonlySet<string> = new Set(['traces', 'error-origin', 'saturation', 'deploy', 'version', 'history']);

/**
 * The open incident a cluster about to open is a victim of (decision 013), or undefined. A victim cluster reports only
 * errors or slowness (no saturation, process down, traffic or future warning); the service its ranking blames first
 * has nothing against it but those alerts (no failing calls, no error origin, no saturation or version split, and no
 * deploy that `deployStrength` counts for at least half a cause: the addendum); and among its top VICTIM_RANKS
 * candidates is the decisive root of an open incident that began at or before the cluster and within `gapMs` of it;
 * further down, such a root counts only when the cluster's services call it directly and the calls show it failing the
 * way the cluster's alerts watch (`failsThroughCalls`, decision 038). A history match of the first suspect keeps the
 * cluster apart, unless such calls show an open incident's root failing, at any rank (decision 042). Such alerts are
 * the failing root's callers showing it late, from a corner of the graph whose sampled calls say little: the root's
 * incident has heard from the rest of the failure, the cluster alone only from itself. `rootCauses` is the cluster's
 * own ranking; `openByRoot` the open incidents by their decisive root; `deployStrength` how strongly a service's
 * deploy counts as the cluster's cause (unknown: every deploy counts).
 */
export function victimOf(
  alerts: readonly Alert[],
  rootCauses: readonly RootCause[],
  onset: number,
  openByRoot: ReadonlyMap<string, readonly OpenIncident[]>,
  gapMs: number,
  deployStrength: (service: string) => number = () => 1,
  failsThroughCalls: (service: string, open: OpenIncident) => boolean = () => false,
): string | undefined {
  const [top] = rootCauses;
  if (top === undefined) return undefined;
  /** Whether the first suspect's only evidence beyond its alerts is a past incident's (decision 042). */
  let onlyPast = false;
  for (const e of top.evidence) {
    if (!OWN_EVIDENCE.has(e.kind)) continue;
    if (e.kind === 'history') onlyPast = true;
    else if (e.kind !== 'deploy' || deployStrength(top.service) >= STRONG_DEPLOY) return undefined;
  }
  for (const a of alerts) if (a.service !== '' && (alertSignal(a) !== 'failure' || isSaturation(a))) return undefined;
  const openOf = (service: string): OpenIncident | undefined => openByRoot.get(service)?.find((inc) => inc.onset <= onset && onset - inc.onset <= gapMs);
  // What failed before at the first suspect yields only to calls failing now into an open incident's root, at any rank.
  const ranks = onlyPast ? 1 : VICTIM_RANKS;
  for (const candidate of rootCauses.slice(1, ranks)) {
    const open = openOf(candidate.service);
    if (open) return open.id;
  }
  // Further down, only a dependency the cluster's own services call, whose calls show it failing the way the cluster's
  // alerts watch (decision 038): a failure travels up every call to a failing service, whatever the cluster's ranking
  // made of its few calls.
  for (const candidate of rootCauses.slice(ranks)) {
    const open = openOf(candidate.service);
    if (open !== undefined && failsThroughCalls(candidate.service, open)) return open.id;
  }
  return undefined;
}

/**
 * Whether the alerts' own services call `service` directly (by the dependency graph) and the calls into it (from every
 * caller, over the alerts' ranking window: `signals`) show it failing the way the alerts watch: failing for error
 * alerts, slowing for latency alerts, either for the rest. A dependency that fails fast explains no caller's slowness
 * (decision 027). Asked of the root of an `open` incident, the calls may also show it since that incident began, against
 * the calls before it (`signalsSince` its onset, decision 041): a symptom that alerts minutes into a failure has the
 * failure's own minutes in its window's baseline, and against them the failing calls look as they have for a while.
 */
export function failingThroughCalls(
  graph: DependencyGraph,
  alerts: readonly Alert[],
  signals: TraceSignalLookup,
  signalsSince?: (onset: number) => TraceSignalLookup,
): (service: string, open?: OpenIncident) => boolean {
  return (service, open) =>
    graph.hasNode(service) &&
    alerts.some((a) => a.service !== '' && graph.hasNode(a.service) && graph.hasDirectedEdge(a.service, service)) &&
    (callsFailAsWatched(alerts, signals.get(service)?.incoming ?? null) ||
      (open !== undefined && signalsSince !== undefined && callsFailAsWatched(alerts, signalsSince(open.onset).get(service)?.incoming ?? null)));
}

/** Whether calls went bad (BAD_CALLS) the way the alerts watch: errors, latency, or either when they watch both or neither. */
export function callsFailAsWatched(alerts: readonly Alert[], calls: CallChange | null): boolean {
  if (calls === null) return false;
  let errors = false;
  let latency = false;
  for (const a of alerts) {
    if (a.service === '') continue;
    const symptom = alertSymptom(a);
    if (symptom !== 'latency') errors = true;
    if (symptom !== 'errors') latency = true;
  }
  return (errors && calls.errorAnomaly >= BAD_CALLS) || (latency && calls.latencyAnomaly >= BAD_CALLS);
}

/** An open incident as sameFailure compares clusters with it. */
export interface OpenIncident {
  id: string;
  onset: number;
}

export function addOpenIncident(byRoot: Map<string, OpenIncident[]>, root: string, incident: OpenIncident): void {
  const list = byRoot.get(root);
  if (list) list.push(incident);
  else byRoot.set(root, [incident]);
}
