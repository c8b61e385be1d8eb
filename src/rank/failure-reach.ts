// How strongly a failure at a candidate reaches each anomalous service above it, along the calls between them (decisions
// 016, 017, 023). Pure.
import { downstreamOf } from '../topology/dependency-graph.js';
import { callAnomaly, callsTell, HEALTHY_CALLS_COUPLING, pooledAnomaly, type CallChange } from './trace-signals.js';
import { failsInIncident, TRACE_ANOMALOUS, type ServiceFacts } from './service-facts.js';
import { onlySlowedShare } from './slowdown-share.js';
import type { RankingInput } from './ranking-input.js';

/**
 * Calls this anomalous (0..1, trace-signals.ts) pass a failure on in full. Far from full anomaly: fallbacks and retries
 * absorb much of a failure on its way up, so the calls above a failing service go only a little bad.
 */
export const BAD_CALLS = 0.2;
/**
 * Without calls to judge, each service a failure would pass through on its way up without failing itself weakens the
 * path this much (as a hop does in the clustering): only the alerts on the way say that the failure travelled it.
 */
const SILENT_HOP_FACTOR = 0.8;

/** A call edge as a path up through it reads it (failureReach): how fully it passes a failure on, 0..1 (HEALTHY_CALLS_COUPLING and up). */
interface CallerLink {
  caller: string;
  /** The caller's index in the scratch arrays the searches share (`scratch`). */
  id: number;
  coupling: number;
  /** Its calls cannot tell, and a call of the caller to another dependency that went bad explains the caller's failure. */
  explainedAway: boolean;
}

export interface FailureReach {
  /** Whether paths are judged by the calls along them (else by the topology and the alerts on the way). */
  judgedByCalls: boolean;
  /** How strongly a failure at `candidate` can reach the anomalous service `from`, 0..1 (0 for a `from` not among them). */
  strength(from: string, candidate: string): number;
  /** Whether that path is weak because `from`'s failure (or one on the way) shows on calls to another dependency. */
  failsElsewhere(from: string, candidate: string): boolean;
  /** Whether calls of `caller` that traces judge go bad enough to account for its failure in full (decision 016). */
  explainedBelow(caller: string): boolean;
}

/**
 * What a path search keeps per service, indexed by a number each ranking gives the services it meets: the strongest
 * path found so far and the one found in the current layer, each valid where its stamp is the search's (or the
 * layer's), and whether that path was explained away. Shared by every search, so that searching upward from each of a
 * ranking's candidates allocates no map per layer (a replay ranks a thousand times, each over dozens of candidates).
 */
const scratch = {
  best: new Float64Array(256),
  bestStamp: new Int32Array(256),
  bestElsewhere: new Uint8Array(256),
  layer: new Float64Array(256),
  layerStamp: new Int32Array(256),
  layerElsewhere: new Uint8Array(256),
  /** The layers of one search, one after another (pathsTo). */
  queue: new Int32Array(1024),
  stamp: 0,
};

/** Grows the scratch arrays, keeping what they hold, to number `size` services and queue `queued` of them. */
function ensureScratch(size: number, queued: number): void {
  if (scratch.queue.length < queued) {
    const queue = new Int32Array(Math.max(queued, 2 * scratch.queue.length));
    queue.set(scratch.queue);
    scratch.queue = queue;
  }
  if (scratch.best.length >= size) return;
  let n = scratch.best.length;
  while (n < size) n *= 2;
  const grow = <T extends Float64Array | Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
    const b = make(n);
    b.set(a);
    return b;
  };
  scratch.best = grow(scratch.best, (k) => new Float64Array(k));
  scratch.bestStamp = grow(scratch.bestStamp, (k) => new Int32Array(k));
  scratch.bestElsewhere = grow(scratch.bestElsewhere, (k) => new Uint8Array(k));
  scratch.layer = grow(scratch.layer, (k) => new Float64Array(k));
  scratch.layerStamp = grow(scratch.layerStamp, (k) => new Int32Array(k));
  scratch.layerElsewhere = grow(scratch.layerElsewhere, (k) => new Uint8Array(k));
}

/**
 * The first of `count` stamps no earlier search used, for one search and its layers (stamps are never cleared: the
 * arrays are reset when the stamps run out, between two searches, never within one).
 */
function stampsFor(count: number): number {
  if (scratch.stamp > 0x7fffffff - count) {
    scratch.bestStamp.fill(0);
    scratch.layerStamp.fill(0);
    scratch.stamp = 0;
  }
  const first = scratch.stamp + 1;
  scratch.stamp += count;
  return first;
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
export function failureReach(
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
  /** Each service the searches meet, numbered for the scratch arrays. */
  const ids = new Map<string, number>();
  const names: string[] = [];
  const idOf = (service: string): number => {
    let id = ids.get(service);
    if (id === undefined) {
      ids.set(service, (id = names.length));
      names.push(service);
    }
    return id;
  };
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
    return { caller, id: idOf(caller), coupling: HEALTHY_CALLS_COUPLING + (1 - HEALTHY_CALLS_COUPLING) * share, explainedAway: anomaly === null && share < 1 };
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
          if (below.has(caller)) found.push(judgedByCalls ? link(caller, callee) : { caller, id: idOf(caller), coupling: 1, explainedAway: false });
        });
      }
      linksInto.set(callee, (links = found));
    }
    return links;
  };
  /** Per candidate: the strongest path from each anomalous service above it (by its place in `anomalous`), and whether it was explained away. */
  const memo = new Map<string, { strengths: Float64Array; elsewhere: Uint8Array }>();
  const pathsTo = (candidate: string): { strengths: Float64Array; elsewhere: Uint8Array } => {
    let paths = memo.get(candidate);
    if (!paths) {
      const start = idOf(candidate);
      // One stamp for the search, one more for each of its layers.
      const search = stampsFor(maxDepth + 1);
      ensureScratch(names.length, 1);
      scratch.best[start] = 1;
      scratch.bestStamp[start] = search;
      scratch.bestElsewhere[start] = 0;
      // Each layer's services in the order first reached (the order the next layer searches from), one after another
      // in the shared queue: this layer's are queue[from, to), the next one's are appended after them.
      let from = 0;
      let to = 1;
      scratch.queue[0] = start;
      for (let depth = 1; depth <= maxDepth && to > from; depth++) {
        const layer = search + depth;
        let end = to;
        for (let q = from; q < to; q++) {
          const callee = scratch.queue[q]!;
          const strength = scratch.best[callee]!;
          const calleeElsewhere = scratch.bestElsewhere[callee] === 1;
          const calleeName = names[callee]!;
          for (const { id, coupling, explainedAway } of callersBelow(calleeName)) {
            // callersBelow may have met services no earlier search did.
            ensureScratch(names.length, end + 1);
            const s = strength * (judgedByCalls ? coupling : passesThrough(calleeName, candidate));
            const known = scratch.bestStamp[id] === search ? scratch.best[id]! : 0;
            const inLayer = scratch.layerStamp[id] === layer;
            if (s > known && s > (inLayer ? scratch.layer[id]! : 0)) {
              if (!inLayer) {
                scratch.layerStamp[id] = layer;
                scratch.queue[end++] = id;
              }
              scratch.layer[id] = s;
              scratch.layerElsewhere[id] = calleeElsewhere || explainedAway ? 1 : 0;
            }
          }
        }
        for (let q = to; q < end; q++) {
          const id = scratch.queue[q]!;
          scratch.best[id] = scratch.layer[id]!;
          scratch.bestStamp[id] = search;
          scratch.bestElsewhere[id] = scratch.layerElsewhere[id]!;
        }
        from = to;
        to = end;
      }
      const strengths = new Float64Array(anomalous.length);
      const elsewhere = new Uint8Array(anomalous.length);
      for (let i = 0; i < anomalous.length; i++) {
        const id = ids.get(anomalous[i]!.service);
        if (id === undefined || scratch.bestStamp[id] !== search) continue;
        strengths[i] = scratch.best[id]!;
        elsewhere[i] = scratch.bestElsewhere[id]!;
      }
      memo.set(candidate, (paths = { strengths, elsewhere }));
    }
    return paths;
  };
  const anomalousIndex = new Map<string, number>();
  anomalous.forEach((a, i) => {
    if (!anomalousIndex.has(a.service)) anomalousIndex.set(a.service, i);
  });
  return {
    judgedByCalls,
    strength: (from, candidate) => {
      const i = anomalousIndex.get(from);
      return i === undefined ? 0 : pathsTo(candidate).strengths[i]!;
    },
    failsElsewhere: (from, candidate) => {
      const i = anomalousIndex.get(from);
      return i !== undefined && pathsTo(candidate).elsewhere[i] === 1;
    },
    explainedBelow: (caller) => judgedByCalls && badShare(clearestFailureBelow(caller)) >= 1,
  };
}
