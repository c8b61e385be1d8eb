// Trace anomalies per service: how calls into a service (as its callers see them) and its own work changed
// between a baseline window and the incident window. Pure: takes aggregates, returns numbers.
import type { CallStats } from '../model/trace-aggregate.js';
import { emptyCallStats, mergeCallStats } from '../model/trace-aggregate.js';

export interface WindowEdge {
  caller: string;
  callee: string;
  stats: CallStats;
}

export interface TraceWindows {
  /** Edges merged over the incident window (from shortly before onset to now). */
  current: readonly WindowEdge[];
  /** Edges merged over the baseline window before onset. */
  baseline: readonly WindowEdge[];
  /** Services' own stats (server side), incident window and baseline. */
  currentServices: ReadonlyMap<string, CallStats & { originErrors: number }>;
  baselineServices: ReadonlyMap<string, CallStats & { originErrors: number }>;
}

export interface CallChange {
  callsNow: number;
  errorRateNow: number;
  errorRateBase: number | null;
  meanLatencyNow: number;
  meanLatencyBase: number | null;
  /** 0..1: how clearly errors rose. */
  errorAnomaly: number;
  /** 0..1: how clearly latency rose (needs a baseline). */
  latencyAnomaly: number;
}

export interface ServiceTraceSignal {
  /** Calls into the service as its callers saw them, merged over all callers. */
  incoming: CallChange | null;
  callers: string[];
  /** The service's own failing work (errors that did not come from its callees). */
  originErrorRateNow: number;
  originErrorRateBase: number | null;
  originAnomaly: number;
}

/** Calls needed in a window before a rate is trusted. */
const MIN_CALLS = 5;
/** An error-rate rise of this much (absolute) or more counts fully. */
const FULL_ERROR_RISE = 0.25;
/** Latency ratios (now / baseline) from here (nothing) up to LATENCY_FULL (fully anomalous). */
const LATENCY_START = 1.3;
const LATENCY_FULL = 4;

export function clamp01(x: number): number {
  return x <= 0 ? 0 : x >= 1 ? 1 : x;
}

/** Compares a window's call stats to its baseline. */
export function compareCalls(now: CallStats, base: CallStats | undefined): CallChange {
  const trustedBase = base && base.calls >= MIN_CALLS ? base : undefined;
  const errorRateNow = now.calls > 0 ? now.errors / now.calls : 0;
  const errorRateBase = trustedBase ? trustedBase.errors / trustedBase.calls : null;
  const meanLatencyNow = now.calls > 0 ? now.latencySumMs / now.calls : 0;
  const meanLatencyBase = trustedBase ? trustedBase.latencySumMs / trustedBase.calls : null;
  const enough = now.calls >= MIN_CALLS;
  // Without a baseline an error rate is judged against a small assumed background rate (2%).
  const errorAnomaly = enough ? clamp01((errorRateNow - (errorRateBase ?? 0.02) - 0.02) / FULL_ERROR_RISE) : 0;
  const ratio = meanLatencyBase && meanLatencyBase > 0 ? meanLatencyNow / meanLatencyBase : 1;
  const latencyAnomaly = enough ? clamp01((ratio - LATENCY_START) / (LATENCY_FULL - LATENCY_START)) : 0;
  return { callsNow: now.calls, errorRateNow, errorRateBase, meanLatencyNow, meanLatencyBase, errorAnomaly, latencyAnomaly };
}

export function callAnomaly(c: CallChange | null): number {
  return c ? Math.max(c.errorAnomaly, c.latencyAnomaly) : 0;
}

/** Per-service trace signals for the services asked about. O(edges + services). */
export function computeTraceSignals(windows: TraceWindows, services: Iterable<string>): Map<string, ServiceTraceSignal> {
  const wanted = new Set(services);
  const incomingNow = new Map<string, { stats: CallStats; callers: string[] }>();
  const incomingBase = new Map<string, CallStats>();
  for (const e of windows.current) {
    if (!wanted.has(e.callee)) continue;
    let entry = incomingNow.get(e.callee);
    if (!entry) incomingNow.set(e.callee, (entry = { stats: emptyCallStats(), callers: [] }));
    mergeCallStats(entry.stats, e.stats);
    entry.callers.push(e.caller);
  }
  for (const e of windows.baseline) {
    if (!wanted.has(e.callee)) continue;
    let stats = incomingBase.get(e.callee);
    if (!stats) incomingBase.set(e.callee, (stats = emptyCallStats()));
    mergeCallStats(stats, e.stats);
  }
  const signals = new Map<string, ServiceTraceSignal>();
  for (const service of wanted) {
    const inNow = incomingNow.get(service);
    const own = windows.currentServices.get(service);
    const ownBase = windows.baselineServices.get(service);
    const originErrorRateNow = own && own.calls > 0 ? own.originErrors / own.calls : 0;
    const originErrorRateBase = ownBase && ownBase.calls >= MIN_CALLS ? ownBase.originErrors / ownBase.calls : null;
    const originAnomaly =
      own && own.calls >= MIN_CALLS ? clamp01((originErrorRateNow - (originErrorRateBase ?? 0.02) - 0.02) / FULL_ERROR_RISE) : 0;
    signals.set(service, {
      incoming: inNow ? compareCalls(inNow.stats, incomingBase.get(service)) : null,
      callers: inNow ? [...new Set(inNow.callers)].sort() : [],
      originErrorRateNow,
      originErrorRateBase,
      originAnomaly,
    });
  }
  return signals;
}
