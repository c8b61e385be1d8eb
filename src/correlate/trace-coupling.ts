// Edge coupling from traces: did calls along caller → callee go bad in a window, compared with the baseline
// just before it? Feeds the clustering's relation weights (alert-relations.ts).
import type { TraceAggregates } from '../traces/trace-store.js';
import { compareCalls } from '../rank/trace-signals.js';
import type { EdgeCoupling } from './alert-relations.js';

/** Coupling of an edge whose calls were seen and stayed healthy: weak evidence the two ends are related. */
export const HEALTHY_COUPLING = 0.15;
/** Coupling when traces cannot tell (no or too few calls): neither evidence for nor against. */
export const UNKNOWN_COUPLING = 0.65;
const MIN_CALLS = 5;

/** Pair windows snap outwards to this grid so that pairs with nearby onsets share one computation per edge. */
const WINDOW_GRID_MS = 5 * 60_000;

/**
 * Edge coupling for any window, memoised per (edge, snapped window) for the life of the returned function —
 * one analysis. `to` is capped at `now` so a window never reaches into the future.
 */
export function traceCouplingFor(traces: TraceAggregates, now: number, baselineMs: number): (from: number, to: number) => EdgeCoupling {
  const memo = new Map<string, number>();
  return (from, to) => {
    const f = Math.floor(from / WINDOW_GRID_MS) * WINDOW_GRID_MS;
    const t = Math.min(Math.ceil(to / WINDOW_GRID_MS) * WINDOW_GRID_MS, now + 1);
    return (caller, callee) => {
      const key = `${caller}\u0000${callee}\u0000${f}\u0000${t}`;
      let c = memo.get(key);
      if (c === undefined) {
        c = couplingOf(traces, caller, callee, f, t, baselineMs);
        memo.set(key, c);
      }
      return c;
    };
  };
}

function couplingOf(traces: TraceAggregates, caller: string, callee: string, from: number, to: number, baselineMs: number): number {
  const now = traces.edgeStats(caller, callee, from, to);
  if (!now || now.calls < MIN_CALLS) return UNKNOWN_COUPLING;
  const base = traces.edgeStats(caller, callee, from - baselineMs, from) ?? undefined;
  const change = compareCalls(now, base);
  const anomaly = Math.max(change.errorAnomaly, change.latencyAnomaly);
  // Without a baseline a latency rise cannot be seen, so a healthy-looking edge stays "unknown".
  if (!base || base.calls < MIN_CALLS) return Math.max(UNKNOWN_COUPLING, HEALTHY_COUPLING + (1 - HEALTHY_COUPLING) * anomaly);
  return HEALTHY_COUPLING + (1 - HEALTHY_COUPLING) * anomaly;
}
