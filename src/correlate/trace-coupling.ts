// Edge coupling from traces: did calls along caller → callee go bad in a window, compared with the baseline
// just before it (its healthy level: TraceAggregates.edgeBaselineStats)? Feeds the clustering's relation weights (alert-relations.ts).
import type { CallTotals } from '../model/trace-aggregate.js';
import type { TraceAggregates } from '../traces/trace-store.js';
import { ASSUMED_ERROR_RATE, callsTell, compareCalls, HEALTHY_CALLS_COUPLING, MIN_CALLS, pooledAnomaly, type CallChange } from '../rank/trace-signals.js';
import type { EdgeCoupling } from './alert-relations.js';

/** Coupling of an edge whose calls were seen and stayed healthy: weak evidence the two ends are related. */
export const HEALTHY_COUPLING = HEALTHY_CALLS_COUPLING;
/** Coupling when traces cannot tell (no or too few calls): neither evidence for nor against. */
export const UNKNOWN_COUPLING = 0.65;

/** Windows snap outwards to whole trace buckets (one minute) so that alerts with nearby onsets share lookups. */
const WINDOW_GRID_MS = 60_000;

/** Who calls a service (the dependency graph's in-neighbours): lets an edge borrow its callee's evidence. */
export type CallersOf = (service: string) => Iterable<string>;
/** What a service calls (the dependency graph's out-neighbours). */
export type CalleesOf = (service: string) => Iterable<string>;

/**
 * Gives the edge coupling for a window [from, to); with `callersOf`, sparse edges borrow their callee's evidence,
 * and with `calleesOf` as well, a caller's failure is shared out among the callees that account for it, and a
 * measured failure below a caller explains away its calls that cannot tell.
 */
export type CouplingForWindow = (from: number, to: number, callersOf?: CallersOf, calleesOf?: CalleesOf, symptom?: CallSymptom) => EdgeCoupling;

/**
 * Which way calls going bad counts: `errors` reads only their failures, `latency` only their slowdown, and `any` (the
 * default) the worse of the two. An alert on a service's errors and one on its latency can be two failures' (a storm:
 * one dependency fails, another slows), and each is explained by the calls that went bad its way (root-split.ts).
 */
export type CallSymptom = 'any' | 'errors' | 'latency';

/** How anomalous a change of calls is, read for one symptom. */
function symptomAnomaly(change: CallChange, symptom: CallSymptom): number {
  return symptom === 'errors' ? change.errorAnomaly : symptom === 'latency' ? change.latencyAnomaly : Math.max(change.errorAnomaly, change.latencyAnomaly);
}

/**
 * A callee that accounts for at least this share of its caller's excess failed calls (or excess call time) couples
 * fully; a smaller share couples in proportion (see blameShares).
 */
const FULL_BLAME_SHARE = 0.5;

/**
 * Edge coupling for any window, memoised per (edge, snapped window), and the pooled callee calls per (callee,
 * window), and blame shares and the clearest failure below per (caller, window), for the life of the returned
 * function — one analysis. `to` is capped at `now` so a window never reaches into the future. Cost per new edge:
 * two range queries, plus two per caller of the callee once per window; with `calleesOf`, once per caller and
 * window, a few per callee it calls.
 */
export function traceCouplingFor(traces: TraceAggregates, now: number, baselineMs: number): CouplingForWindow {
  const memo = new Map<string, number>();
  /** The memo's keys whose judged calls showed the callee failing (showsFailure). */
  const shownFailing = new Set<string>();
  const pooledMemo = new Map<string, PooledCalls>();
  const blameMemo = new Map<string, ReadonlyMap<string, number>>();
  const clearestMemo = new Map<string, number>();
  return (from, to, callersOf, calleesOf, symptom = 'any') => {
    const f = Math.floor(from / WINDOW_GRID_MS) * WINDOW_GRID_MS;
    const t = Math.min(Math.ceil(to / WINDOW_GRID_MS) * WINDOW_GRID_MS, now + 1);
    const window = symptom === 'any' ? `${f}\u0000${t}` : `${f}\u0000${t}\u0000${symptom}`;
    const pooled = (callee: string, callers: CallersOf): PooledCalls => {
      const key = `${callee}\u0000${window}`;
      let p = pooledMemo.get(key);
      if (p === undefined) {
        const sumNow = { calls: 0, errors: 0, latencySumMs: 0 };
        const sumBase = { calls: 0, errors: 0, latencySumMs: 0 };
        for (const caller of callers(callee)) {
          add(sumNow, traces.edgeStats(caller, callee, f, t));
          add(sumBase, traces.edgeBaselineStats(caller, callee, f - baselineMs, f));
        }
        const measured = sumNow.calls > 0 ? compareCalls(sumNow, sumBase) : null;
        const change = callsTell(measured) ? measured : null;
        p = { change, verdict: verdictOf(sumNow, sumBase, symptom, change) };
        pooledMemo.set(key, p);
      }
      return p;
    };
    const sharesOf = (caller: string, callers: CallersOf, callees: CalleesOf): ReadonlyMap<string, number> => {
      const key = `${caller}\u0000${window}`;
      let shares = blameMemo.get(key);
      if (shares === undefined) {
        const excess: ExcessCalls[] = [];
        for (const callee of callees(caller)) {
          const calls = traces.edgeCalls(caller, callee, f, t);
          const e = calls > 0 ? excessCalls(callee, calls, pooled(callee, callers)) : null;
          if (e) excess.push(e);
        }
        shares = blameShares(excess, symptom);
        blameMemo.set(key, shares);
      }
      return shares;
    };
    /** The edge's own calls, read against its callee's calls from every caller when `callersOf` is given. */
    const edgeVerdict = (caller: string, callee: string): Verdict => {
      const own = verdictOf(traces.edgeStats(caller, callee, f, t), traces.edgeBaselineStats(caller, callee, f - baselineMs, f), symptom);
      return callersOf ? withCallee(own, pooled(callee, callersOf).verdict) : own;
    };
    /**
     * The clearest failure among the caller's measured calls (0..1, 0 when none is measured or worse than usual). A
     * caller whose calls to one dependency clearly fail has its trouble explained; a dependency whose calls cannot
     * tell is then no more likely its cause than one whose calls look healthy (decision 016).
     */
    const clearestFailureBelow = (caller: string, callees: CalleesOf): number => {
      const key = `${caller}\u0000${window}`;
      let clearest = clearestMemo.get(key);
      if (clearest === undefined) {
        clearest = 0;
        for (const callee of callees(caller)) {
          const anomaly = edgeVerdict(caller, callee).anomaly;
          if (anomaly !== null && anomaly > clearest) clearest = anomaly;
        }
        clearestMemo.set(key, clearest);
      }
      return clearest;
    };
    const keyOf = (caller: string, callee: string): string => `${caller}\u0000${callee}\u0000${window}\u0000${callersOf ? (calleesOf ? 'b' : 'p') : 'e'}`;
    const coupling: EdgeCoupling = (caller, callee) => {
      const key = keyOf(caller, callee);
      let c = memo.get(key);
      if (c === undefined) {
        const judged = edgeVerdict(caller, callee);
        c = couplingOf(judged);
        if (judged.anomaly !== null && judged.anomaly > 0) shownFailing.add(key);
        // Calls that cannot tell: the neutral weight, less what a measured failure below the caller already explains.
        if (callersOf && calleesOf && judged.anomaly === null) c = HEALTHY_COUPLING + (c - HEALTHY_COUPLING) * (1 - clearestFailureBelow(caller, calleesOf));
        const share = callersOf && calleesOf && c > HEALTHY_COUPLING ? sharesOf(caller, callersOf, calleesOf).get(callee) : undefined;
        if (share !== undefined) c = HEALTHY_COUPLING + (c - HEALTHY_COUPLING) * Math.min(1, share / FULL_BLAME_SHARE);
        memo.set(key, c);
      }
      return c;
    };
    // Asked after the coupling itself (downstreamExplanation): its verdict is in the memo by then.
    coupling.showsFailure = (caller, callee) => {
      const key = keyOf(caller, callee);
      if (!memo.has(key)) coupling(caller, callee);
      return shownFailing.has(key);
    };
    return coupling;
  };
}

/** What a callee's calls from all its callers say: against the baseline (null: too few calls), and as a verdict. */
interface PooledCalls {
  change: CallChange | null;
  verdict: Verdict;
}

/** What one callee adds to its caller's trouble: failed calls and call time beyond its healthy level. */
interface ExcessCalls {
  callee: string;
  errors: number;
  latencyMs: number;
}

/**
 * A caller's calls to `callee` (`calls` in the window) times how much worse the callee answers than at its healthy
 * level, read from all its callers (a failing callee fails for everyone, and sampled traces leave each edge few calls).
 * Without a trusted baseline, errors are read against the small background rate compareCalls assumes; time is not read.
 * Null when the callee's calls are too few to tell: its edge keeps its coupling, whatever the others' shares.
 */
function excessCalls(callee: string, calls: number, { change }: PooledCalls): ExcessCalls | null {
  if (!change) return null;
  const errorRise = change.errorRateNow - (change.errorRateBase ?? ASSUMED_ERROR_RATE);
  const latencyRise = change.meanLatencyBase !== null ? change.meanLatencyNow - change.meanLatencyBase : 0;
  return { callee, errors: Math.max(0, errorRise) * calls, latencyMs: Math.max(0, latencyRise) * calls };
}

/**
 * Each callee's share of its caller's trouble: of the excess failed calls, or of the excess call time, whichever
 * share is larger. A caller that calls two failing services fails mostly through the one it calls more or that
 * fails more; in a storm the other may be another incident's root, and a caller's alert belongs with the failure
 * that accounts for it. Empty when nothing below the caller is worse than usual (nothing to share out); callees
 * whose calls cannot tell are not in it.
 */
function blameShares(excess: readonly ExcessCalls[], symptom: CallSymptom): ReadonlyMap<string, number> {
  let errors = 0;
  let latencyMs = 0;
  for (const e of excess) {
    if (symptom !== 'latency') errors += e.errors;
    if (symptom !== 'errors') latencyMs += e.latencyMs;
  }
  const shares = new Map<string, number>();
  if (errors === 0 && latencyMs === 0) return shares;
  for (const e of excess) shares.set(e.callee, Math.max(errors > 0 ? e.errors / errors : 0, latencyMs > 0 ? e.latencyMs / latencyMs : 0));
  return shares;
}

/** What a window of calls says: how anomalous they are (0..1; null when it cannot tell) and how many calls say it. */
interface Verdict {
  anomaly: number | null;
  calls: number;
}

function add(into: CallTotals, from: CallTotals | null): void {
  if (!from) return;
  into.calls += from.calls;
  into.errors += from.errors;
  into.latencySumMs += from.latencySumMs;
}

/** `change`: compareCalls(now, base) when the caller has it already. */
function verdictOf(now: CallTotals | null, base: CallTotals | null, symptom: CallSymptom, change?: CallChange | null): Verdict {
  if (!now || now.calls === 0) return { anomaly: null, calls: 0 };
  change ??= compareCalls(now, base ?? undefined);
  if (!callsTell(change)) return { anomaly: null, calls: now.calls };
  const anomaly = symptomAnomaly(change, symptom);
  // Without a baseline, or with few calls, only a clear failure says anything.
  if (!base || base.calls < MIN_CALLS || now.calls < MIN_CALLS) return { anomaly: couplingOf({ anomaly, calls: now.calls }) > UNKNOWN_COUPLING ? anomaly : null, calls: now.calls };
  return { anomaly, calls: now.calls };
}

/** The edge's own verdict read against its callee's (trace-signals.ts pooledAnomaly). */
function withCallee(own: Verdict, callee: Verdict): Verdict {
  return { anomaly: pooledAnomaly(own, callee.anomaly), calls: own.calls };
}

function couplingOf(v: Verdict): number {
  return v.anomaly === null ? UNKNOWN_COUPLING : HEALTHY_COUPLING + (1 - HEALTHY_COUPLING) * v.anomaly;
}

/** A change in call volume this large (a halving, or a doubling) couples the two ends fully. */
const FULL_RATE_CHANGE = 0.5;

/**
 * Edge coupling for traffic explanations (alert-relations.ts trafficExplanation): did the volume of calls along
 * caller → callee change in the window, per minute, against the baseline just before it? Only a change measured on
 * the edge ties a request-rate alert to that caller. Unchanged volume is weak evidence (HEALTHY_COUPLING), and so
 * is volume the traces see too rarely to measure (under MIN_CALLS both before and during the window): unlike a
 * failure, which travels up every call to a failing service, a request rate moves for reasons of its own (a batch
 * job, a client's retries, the time of day), so a caller that merely could have caused the shift is no evidence
 * that it did (decision 005, amendment). An edge the traces did not see at all, before or during the window
 * (declared by a catalog, or not traced), is judged by the topology alone, as failures are (UNKNOWN_COUPLING).
 * Only complete minutes count: the minute still being flushed would look like a drop. Memoised like
 * traceCouplingFor.
 */
export function rateCouplingFor(traces: TraceAggregates, now: number, baselineMs: number): CouplingForWindow {
  const memo = new Map<string, number>();
  const completeTo = Math.floor(now / WINDOW_GRID_MS) * WINDOW_GRID_MS;
  return (from, to) => {
    const f = Math.floor(from / WINDOW_GRID_MS) * WINDOW_GRID_MS;
    const t = Math.min(Math.ceil(to / WINDOW_GRID_MS) * WINDOW_GRID_MS, completeTo);
    return (caller, callee) => {
      if (t - f < WINDOW_GRID_MS) return UNKNOWN_COUPLING;
      const key = `${caller}\u0000${callee}\u0000${f}\u0000${t}`;
      let c = memo.get(key);
      if (c === undefined) {
        const base = traces.edgeStats(caller, callee, f - baselineMs, f)?.calls ?? 0;
        const current = traces.edgeStats(caller, callee, f, t)?.calls ?? 0;
        c = base === 0 && current === 0 ? UNKNOWN_COUPLING : rateCoupling(current, t - f, base, baselineMs);
        memo.set(key, c);
      }
      return c;
    };
  };
}

/** Calls in the window and in the baseline before it, each over its length (ms). */
function rateCoupling(calls: number, windowMs: number, baseCalls: number, baselineMs: number): number {
  // Too few calls on both sides to measure a volume; a caller that was (nearly) silent and now calls is a change.
  if (baseCalls < MIN_CALLS && calls < MIN_CALLS) return HEALTHY_COUPLING;
  const rateNow = calls / windowMs;
  const rateBase = baseCalls / baselineMs;
  const change = Math.abs(rateNow - rateBase) / Math.max(rateNow, rateBase);
  return HEALTHY_COUPLING + (1 - HEALTHY_COUPLING) * Math.min(1, change / FULL_RATE_CHANGE);
}
