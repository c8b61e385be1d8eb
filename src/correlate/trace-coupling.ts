// Edge coupling from traces: did calls along caller → callee go bad in a window, compared with the baseline
// just before it (its healthy level: TraceAggregates.edgeBaselineStats)? Feeds the clustering's relation weights (alert-relations.ts).
import type { CallTotals } from '../model/trace-aggregate.js';
import type { TraceAggregates } from '../traces/trace-store.js';
import { compareCalls, HEALTHY_CALLS_COUPLING, pooledAnomaly } from '../rank/trace-signals.js';
import type { EdgeCoupling } from './alert-relations.js';

/** Coupling of an edge whose calls were seen and stayed healthy: weak evidence the two ends are related. */
export const HEALTHY_COUPLING = HEALTHY_CALLS_COUPLING;
/** Coupling when traces cannot tell (no or too few calls): neither evidence for nor against. */
export const UNKNOWN_COUPLING = 0.65;
const MIN_CALLS = 5;

/** Windows snap outwards to whole trace buckets (one minute) so that alerts with nearby onsets share lookups. */
const WINDOW_GRID_MS = 60_000;

/** Who calls a service (the dependency graph's in-neighbours): lets an edge borrow its callee's evidence. */
export type CallersOf = (service: string) => Iterable<string>;

/** Gives the edge coupling for a window [from, to); with `callersOf`, sparse edges borrow their callee's evidence. */
export type CouplingForWindow = (from: number, to: number, callersOf?: CallersOf) => EdgeCoupling;

/**
 * Edge coupling for any window, memoised per (edge, snapped window) and the pooled callee verdicts per (callee,
 * window) for the life of the returned function — one analysis. `to` is capped at `now` so a window never
 * reaches into the future. Cost per new edge: two range queries, plus two per caller of the callee once per window.
 */
export function traceCouplingFor(traces: TraceAggregates, now: number, baselineMs: number): CouplingForWindow {
  const memo = new Map<string, number>();
  const pooledMemo = new Map<string, Verdict>();
  return (from, to, callersOf) => {
    const f = Math.floor(from / WINDOW_GRID_MS) * WINDOW_GRID_MS;
    const t = Math.min(Math.ceil(to / WINDOW_GRID_MS) * WINDOW_GRID_MS, now + 1);
    const window = `${f}\u0000${t}`;
    const pooled = (callee: string, callers: CallersOf): Verdict => {
      const key = `${callee}\u0000${window}`;
      let v = pooledMemo.get(key);
      if (v === undefined) {
        const sumNow = { calls: 0, errors: 0, latencySumMs: 0 };
        const sumBase = { calls: 0, errors: 0, latencySumMs: 0 };
        for (const caller of callers(callee)) {
          add(sumNow, traces.edgeStats(caller, callee, f, t));
          add(sumBase, traces.edgeBaselineStats(caller, callee, f - baselineMs, f));
        }
        v = verdictOf(sumNow, sumBase);
        pooledMemo.set(key, v);
      }
      return v;
    };
    return (caller, callee) => {
      const key = `${caller}\u0000${callee}\u0000${window}\u0000${callersOf ? 'p' : 'e'}`;
      let c = memo.get(key);
      if (c === undefined) {
        const own = verdictOf(traces.edgeStats(caller, callee, f, t), traces.edgeBaselineStats(caller, callee, f - baselineMs, f));
        c = couplingOf(callersOf ? withCallee(own, pooled(callee, callersOf)) : own);
        memo.set(key, c);
      }
      return c;
    };
  };
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

function verdictOf(now: CallTotals | null, base: CallTotals | null): Verdict {
  if (!now || now.calls < MIN_CALLS) return { anomaly: null, calls: now?.calls ?? 0 };
  const change = compareCalls(now, base ?? undefined);
  const anomaly = Math.max(change.errorAnomaly, change.latencyAnomaly);
  // Without a baseline a latency rise cannot be seen, so only a clear error rise says anything.
  if (!base || base.calls < MIN_CALLS) return { anomaly: couplingOf({ anomaly, calls: now.calls }) > UNKNOWN_COUPLING ? anomaly : null, calls: now.calls };
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
