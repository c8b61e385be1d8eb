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

/** Coupling for the window [from, to), against the `baselineMs` before it; memoised per edge. */
export function traceCoupling(traces: TraceAggregates, from: number, to: number, baselineMs: number): EdgeCoupling {
  const memo = new Map<string, number>();
  return (caller, callee) => {
    const key = `${caller}\u0000${callee}`;
    let c = memo.get(key);
    if (c === undefined) {
      c = couplingOf(traces, caller, callee, from, to, baselineMs);
      memo.set(key, c);
    }
    return c;
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
