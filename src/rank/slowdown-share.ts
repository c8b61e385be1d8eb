// How much of one service's slowdown a slower dependency accounts for: the latency its calls added, against the latency
// added where it is waited for. Pure.
import { callsTell, clamp01, type CallChange } from './trace-signals.js';
import type { ServiceFacts } from './service-facts.js';

/** An error anomaly below this leaves a dependency "only slow": all it can pass on is latency (slowdownReach). */
const SLOW_ONLY = 0.2;

/** Mean milliseconds added to the calls against their baseline; null when not measured. */
function addedLatencyMs(c: CallChange | null | undefined): number | null {
  if (!callsTell(c) || c.meanLatencyBase === null) return null;
  return c.meanLatencyNow - c.meanLatencyBase;
}

/** How much of `a`'s slowdown the candidate `f` can account for, 0..1: 1 unless `f` only slowed (its errors did not rise). */
export function slowdownReach(f: ServiceFacts, a: ServiceFacts): number {
  const incoming = f.trace?.incoming;
  if (!incoming || incoming.errorAnomaly >= SLOW_ONLY || incoming.latencyAnomaly === 0) return 1;
  const addedByF = addedLatencyMs(incoming);
  const addedAtA = addedLatencyMs(a.trace?.incoming);
  if (addedByF === null || addedAtA === null || addedAtA <= 0) return 1;
  return clamp01(addedByF / addedAtA);
}

/** edgeSlowdownShare for calls that tell and only slowed (their errors did not rise); 1 for any others. */
export function onlySlowedShare(calls: CallChange | null | undefined, callerIncoming: CallChange | null): number {
  return callsTell(calls) && calls.errorAnomaly < SLOW_ONLY ? edgeSlowdownShare(calls, callerIncoming) : 1;
}

/**
 * An edge whose calls are too few to tell, read as its callee's calls from every caller (`calleeIncoming`) at the edge's
 * own count: a callee that slows, slows for all its callers, as the ranking's path weights read it too (pooledAnomaly).
 * Null when the edge carried no calls or nothing is known of the callee's.
 */
export function asEdgeCalls(calleeIncoming: CallChange | null | undefined, edge: CallChange): CallChange | null {
  return calleeIncoming && edge.callsNow > 0 ? { ...calleeIncoming, callsNow: edge.callsNow } : null;
}

/**
 * How much of a caller's own slowdown its calls along one edge account for, 0..1, when both are measured and slowed
 * (the calls clearly and only: their errors did not rise); null otherwise. `callerOwn` is how long the caller takes to
 * answer: what its callers wait for, or its own spans where nothing traced calls it.
 */
export function slowdownAccountedFor(calls: CallChange | null | undefined, callerOwn: CallChange | null): number | null {
  if (!callsTell(calls) || calls.errorAnomaly >= SLOW_ONLY || calls.latencyAnomaly === 0) return null;
  const addedAtCaller = addedLatencyMs(callerOwn);
  return addedAtCaller === null || addedAtCaller <= 0 ? null : edgeSlowdownShare(calls, callerOwn);
}

/**
 * How much of a caller's own slowdown (what its callers wait for it longer, `callerIncoming`) its calls along one edge
 * account for, 0..1: their added latency times calls per request.
 */
export function edgeSlowdownShare(calls: CallChange, callerIncoming: CallChange | null): number {
  const addedOnEdge = addedLatencyMs(calls);
  const addedAtF = addedLatencyMs(callerIncoming);
  const requests = callerIncoming?.callsNow ?? 0;
  if (addedOnEdge === null || addedAtF === null || addedAtF <= 0 || requests === 0) return 1;
  return clamp01((addedOnEdge * Math.max(1, calls.callsNow / requests)) / addedAtF);
}
