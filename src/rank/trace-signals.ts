// Trace anomalies per service: how calls into a service (timed at the end that was slow, decision 011) and its own
// work changed between a baseline window and the incident window. Pure: takes aggregates, returns numbers.
import type { CallTotals, VersionWindow } from '../model/trace-aggregate.js';

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
  /** Calls into the service from its callers, merged over all callers (see EdgeAggregate for how they are timed). */
  incoming: CallChange | null;
  callers: string[];
  /**
   * How the service's own spans (server and root spans: how long it takes to answer) changed; what a service nothing
   * traced calls (the entry, a scheduled job) has instead of `incoming`, so only such a service gets it (null where
   * `incoming` is measured: one object fewer for every other service of every window). Absent where a test builds
   * signals by hand.
   */
  own?: CallChange | null;
  /** The service's own failing work (errors that did not come from its callees). */
  originErrorRateNow: number;
  originErrorRateBase: number | null;
  originAnomaly: number;
  /** A newer version of the service failing or slow beside an older one serving the same minutes well; else null. */
  versionSplit: VersionSplit | null;
  /** The service's own spans per version in the window, when two or more served in it. */
  versions: readonly VersionWindow[] | null;
}

/**
 * Two versions of one service serving the same minutes (a canary, a rollout under way): the newer one's own spans fail
 * or slow, the older one's do not. They share every dependency, so the difference is the newer version's own code.
 */
export interface VersionSplit {
  worse: VersionWindow;
  better: VersionWindow;
  /** 0..1: how much more the newer version fails (or slows), once that is clearly not luck (versionSplitOf). */
  strength: number;
  symptom: 'errors' | 'latency';
}

/** Calls needed in a window before a rate is read as it is (fewer: see compareCalls). */
export const MIN_CALLS = 5;
/** An error-rate rise of this much (absolute) or more counts fully. */
const FULL_ERROR_RISE = 0.25;
/** Latency ratios (now / baseline) from here (nothing) up to LATENCY_FULL (fully anomalous). */
const LATENCY_START = 1.3;
const LATENCY_FULL = 4;

export function clamp01(x: number): number {
  return x <= 0 ? 0 : x >= 1 ? 1 : x;
}

/** The background error rate assumed for calls without a trusted baseline. */
export const ASSUMED_ERROR_RATE = 0.02;

/** One-sided z of the confidence asked of a verdict drawn from fewer than MIN_CALLS calls (99%). */
const FEW_CALLS_Z = 2.33;
/** Spread assumed for one call's latency (standard deviation of its logarithm): a mean of n calls moves by ~1/√n of it. */
const CALL_LOG_SPREAD = 1;
/** The least anomaly fewer than MIN_CALLS calls must show to say anything: few calls can show a failure, never health. */
const FEW_CALLS_SPEAK = 0.5;

/**
 * How far before a ranking's window a caller's calls into a dependency are read by the caller's version (decision 036):
 * a canary's new version serves, and breaks what it calls, a minute or two before the alerts fire, and those minutes
 * are its clearest. Only minutes in which both versions served count (TraceAggregates.edgeVersions).
 */
const VERSION_LEAD_MS = 5 * 60_000;

/** The chance (one-sided) below which a newer version's extra errors are not luck: 1%. */
const SPLIT_P = 0.01;
/** One-sided z of the confidence asked of a newer version's slowdown (95%), as its mean latency's spread is assumed. */
const SPLIT_Z = 1.64;

/**
 * The clearest split between a newer version and an older one beside it over the same range (VersionSplit), or null.
 * More errors on the newer version count when Fisher's exact test says they are not luck (sampled traces leave both
 * sides a handful of spans), and then as much as the rates differ. The test weighs how few spans each side has, so it
 * asks no least number of them: 3 good spans of the older version against 10 failed of the newer pass it, 2 against 8
 * do not. A slowdown counts by the ratio of mean latencies less the spread of so few spans, and only against an older
 * version with MIN_CALLS spans: few spans can show a failure, never health, and a mean of fewer is no baseline.
 */
export function versionSplitOf(versions: readonly VersionWindow[] | null | undefined): VersionSplit | null {
  if (!versions || versions.length < 2) return null;
  let best: VersionSplit | null = null;
  for (const worse of versions) {
    if (worse.calls === 0) continue;
    for (const better of versions) {
      if (better === worse || better.calls === 0 || !(worse.firstSeen > better.firstSeen)) continue;
      const worseRate = worse.errors / worse.calls;
      const betterRate = better.errors / better.calls;
      const errors =
        worseRate > betterRate && moreErrorsByChance(worse.errors, worse.calls, worse.errors + better.errors, worse.calls + better.calls) <= SPLIT_P
          ? errorRise(worseRate, betterRate)
          : 0;
      const betterMean = better.latencySumMs / better.calls;
      const spread = SPLIT_Z * CALL_LOG_SPREAD * Math.sqrt(1 / worse.calls + 1 / better.calls);
      const latency = better.calls >= MIN_CALLS && betterMean > 0 ? latencyRise((worse.latencySumMs / worse.calls / betterMean) * Math.exp(-spread)) : 0;
      const strength = Math.max(errors, latency);
      if (strength > 0 && (best === null || strength > best.strength)) best = { worse, better, strength, symptom: errors >= latency ? 'errors' : 'latency' };
    }
  }
  return best;
}

/**
 * Fisher's exact test, one-sided: the chance that `calls` spans drawn from `total` of which `errors` failed hold `k`
 * failures or more. Hypergeometric terms from log-factorials; the tail is summed until its terms no longer count.
 */
export function moreErrorsByChance(k: number, calls: number, errors: number, total: number): number {
  const logChoose = (n: number, r: number): number => logFactorial(n) - logFactorial(r) - logFactorial(n - r);
  const denominator = logChoose(total, calls);
  let p = 0;
  for (let x = k; x <= Math.min(errors, calls); x++) {
    const term = Math.exp(logChoose(errors, x) + logChoose(total - errors, calls - x) - denominator);
    p += term;
    if (term < 1e-12 * p) break;
  }
  return Math.min(1, p);
}

/** ln(n!) by Stirling's series past small n, whose factorials are summed exactly: far more precise than a test needs. */
function logFactorial(n: number): number {
  if (n < 20) {
    let sum = 0;
    for (let i = 2; i <= n; i++) sum += Math.log(i);
    return sum;
  }
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n ** 3) + 1 / (1260 * n ** 5);
}

/** Wilson's lower confidence bound of a rate of k in n. */
function rateLowerBound(k: number, n: number, z: number): number {
  if (n === 0) return 0;
  const p = k / n;
  const z2 = z * z;
  return (p + z2 / (2 * n) - z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
}

function errorRise(rateNow: number, rateBase: number | null): number {
  // Without a baseline an error rate is judged against a small assumed background rate (2%).
  return clamp01((rateNow - (rateBase ?? ASSUMED_ERROR_RATE) - 0.02) / FULL_ERROR_RISE);
}

/** An error rise read from fewer than MIN_CALLS calls: from the rate's lower confidence bound, and only when clear. */
function fewCallsErrorRise(errors: number, calls: number, rateBase: number | null): number {
  const rise = errorRise(rateLowerBound(errors, calls, FEW_CALLS_Z), rateBase);
  return rise < FEW_CALLS_SPEAK ? 0 : rise;
}

function latencyRise(ratio: number): number {
  return clamp01((ratio - LATENCY_START) / (LATENCY_FULL - LATENCY_START));
}

/**
 * Compares a window's call stats to its baseline. With MIN_CALLS calls on both sides the rates are read as they are;
 * with fewer on either side only by their lower confidence bounds (Wilson's for the error rate, the mean latency's
 * ratio less the spread of so few calls), and only when that still shows a clear failure (FEW_CALLS_SPEAK): sampled
 * traces leave most edges a few calls a window, and three calls of a second where there were three of 30 ms say
 * more than any threshold on their count.
 */
export function compareCalls(now: CallTotals, base: CallTotals | undefined): CallChange {
  const trustedBase = base && base.calls >= MIN_CALLS ? base : undefined;
  const errorRateNow = now.calls > 0 ? now.errors / now.calls : 0;
  const errorRateBase = trustedBase ? trustedBase.errors / trustedBase.calls : null;
  const meanLatencyNow = now.calls > 0 ? now.latencySumMs / now.calls : 0;
  let meanLatencyBase = trustedBase ? trustedBase.latencySumMs / trustedBase.calls : null;
  if (now.calls >= MIN_CALLS) {
    const ratio = meanLatencyBase && meanLatencyBase > 0 ? meanLatencyNow / meanLatencyBase : 1;
    return { callsNow: now.calls, errorRateNow, errorRateBase, meanLatencyNow, meanLatencyBase, errorAnomaly: errorRise(errorRateNow, errorRateBase), latencyAnomaly: latencyRise(ratio) };
  }
  let errorAnomaly = 0;
  let latencyAnomaly = 0;
  if (now.calls > 0) {
    errorAnomaly = fewCallsErrorRise(now.errors, now.calls, errorRateBase);
    const baseCalls = base?.calls ?? 0;
    const baseMean = base && baseCalls > 0 ? base.latencySumMs / baseCalls : 0;
    if (baseMean > 0) {
      const spread = FEW_CALLS_Z * CALL_LOG_SPREAD * Math.sqrt(1 / now.calls + 1 / baseCalls);
      latencyAnomaly = latencyRise((meanLatencyNow / baseMean) * Math.exp(-spread));
      if (latencyAnomaly < FEW_CALLS_SPEAK) latencyAnomaly = 0;
      else meanLatencyBase = baseMean;
    }
  }
  return { callsNow: now.calls, errorRateNow, errorRateBase, meanLatencyNow, meanLatencyBase, errorAnomaly, latencyAnomaly };
}

export function callAnomaly(c: CallChange | null): number {
  return c ? Math.max(c.errorAnomaly, c.latencyAnomaly) : 0;
}

/** Whether calls say anything: MIN_CALLS of them, or fewer that clearly fail (compareCalls). */
export function callsTell(c: CallChange | null | undefined): c is CallChange {
  return !!c && (c.callsNow >= MIN_CALLS || callAnomaly(c) > 0);
}

/**
 * How much calls seen and healthy still couple their two ends (0..1; failing calls couple up to fully). The
 * clustering's relations and the ranking's failure reach read an edge with the same weight.
 */
export const HEALTHY_CALLS_COUPLING = 0.15;
/** An edge's own calls count for calls / (calls + POOLED_CALLS) of its verdict; its callee's calls from every caller for the rest. */
const POOLED_CALLS = 10;

/**
 * An edge's anomaly read against its callee's. Sampled traces leave most edges with a handful of calls per window: one
 * stray error among five calls looks like an outage, five healthy calls like health. A callee that fails, fails for
 * all of its callers, so the callee's calls from every caller fill in for the calls the edge did not carry.
 * `own.anomaly` / `callee` are null when they cannot tell (too few calls); the result is null when neither can.
 */
export function pooledAnomaly(own: { anomaly: number | null; calls: number }, callee: number | null): number | null {
  if (callee === null) return own.anomaly;
  const w = own.anomaly === null ? 0 : own.calls / (own.calls + POOLED_CALLS);
  return w * (own.anomaly ?? 0) + (1 - w) * callee;
}

/** What ranking reads of trace signals: a Map works, and so does the lazy lookup below. */
export interface TraceSignalLookup {
  get(service: string): ServiceTraceSignal | undefined;
  /** How calls along one edge changed; undefined when the lookup cannot say (then callers fall back). */
  edge?(caller: string, callee: string): CallChange | null;
  /**
   * A newer version of the caller whose calls along the edge fail (or slow) beside an older one's in the same minutes
   * (versionSplitOf over the caller's versions): the callee fails on what the new code sends it (decision 031).
   */
  edgeVersionSplit?(caller: string, callee: string): VersionSplit | null;
}

/** The trace facts about one service over the incident window and its baseline. */
interface ServiceWindowFacts {
  incomingNow: Array<{ caller: string; stats: CallTotals }>;
  incomingBase: CallTotals[];
  own: (CallTotals & { originErrors: number }) | undefined;
  ownBase: (CallTotals & { originErrors: number }) | undefined;
  /** The service's own spans per version in the window, when two or more served in it. */
  versions: readonly VersionWindow[] | null;
}

function sumTotals(into: CallTotals, from: CallTotals): CallTotals {
  into.calls += from.calls;
  into.errors += from.errors;
  into.latencySumMs += from.latencySumMs;
  return into;
}

function signalOf(f: ServiceWindowFacts): ServiceTraceSignal {
  let incoming: CallChange | null = null;
  if (f.incomingNow.length > 0) {
    const now: CallTotals = { calls: 0, errors: 0, latencySumMs: 0 };
    for (const e of f.incomingNow) sumTotals(now, e.stats);
    let base: CallTotals | undefined;
    for (const b of f.incomingBase) base = sumTotals(base ?? { calls: 0, errors: 0, latencySumMs: 0 }, b);
    incoming = compareCalls(now, base);
  }
  const { own, ownBase } = f;
  const originErrorRateNow = own && own.calls > 0 ? own.originErrors / own.calls : 0;
  const originErrorRateBase = ownBase && ownBase.calls >= MIN_CALLS ? ownBase.originErrors / ownBase.calls : null;
  let originAnomaly = 0;
  if (own && own.calls >= MIN_CALLS) originAnomaly = errorRise(originErrorRateNow, originErrorRateBase);
  else if (own && own.calls > 0) originAnomaly = fewCallsErrorRise(own.originErrors, own.calls, originErrorRateBase);
  return {
    incoming,
    callers: [...new Set(f.incomingNow.map((e) => e.caller))].sort(),
    own: incoming === null && own ? compareCalls(own, ownBase) : null,
    originErrorRateNow,
    originErrorRateBase,
    originAnomaly,
    versionSplit: versionSplitOf(f.versions),
    versions: f.versions,
  };
}

/** Where a lazy lookup reads its facts: the call graph's callers and per-edge / per-service range queries. */
export interface TraceWindowSource {
  callers(service: string): readonly string[];
  edge(caller: string, callee: string, from: number, to: number): CallTotals | null;
  /** An edge's baseline over [from, to); the range's totals when absent. */
  edgeBaseline?(caller: string, callee: string, from: number, to: number): CallTotals | null;
  service(service: string, from: number, to: number): (CallTotals & { originErrors: number }) | null;
  /** The service's own spans per version over [from, to) when two or more served in it (TraceAggregates.serviceVersions). */
  serviceVersions?(service: string, from: number, to: number): VersionWindow[] | null;
  /** An edge's calls per version of its caller over [from, to) when two or more called (TraceAggregates.edgeVersions). */
  edgeVersions?(caller: string, callee: string, from: number, to: number): VersionWindow[] | null;
}

/** The inner map of a memo keyed by caller, then callee. */
function memoFor<V>(memo: Map<string, Map<string, V>>, caller: string): Map<string, V> {
  let byCallee = memo.get(caller);
  if (byCallee === undefined) memo.set(caller, (byCallee = new Map()));
  return byCallee;
}

/**
 * Trace signals computed on demand for the services and edges ranking actually looks at, memoised: the cost follows the
 * incident's candidates and their in-edges, not the size of the whole graph.
 */
export function lazyTraceSignals(source: TraceWindowSource, window: { baselineFrom: number; from: number; to: number }): TraceSignalLookup {
  const memo = new Map<string, ServiceTraceSignal>();
  // By caller, then callee: a ranking asks for edges tens of thousands of times, and a key joined from both names would
  // be a new string, allocated and hashed, on every ask.
  const edgeMemo = new Map<string, Map<string, CallChange | null>>();
  const edgeSplitMemo = new Map<string, Map<string, VersionSplit | null>>();
  const baseline = (caller: string, callee: string): CallTotals | null =>
    (source.edgeBaseline ?? source.edge)(caller, callee, window.baselineFrom, window.from);
  const versionsFrom = window.from - VERSION_LEAD_MS;
  return {
    edge(caller: string, callee: string): CallChange | null {
      const byCallee = memoFor(edgeMemo, caller);
      let change = byCallee.get(callee);
      if (change === undefined) {
        const now = source.edge(caller, callee, window.from, window.to);
        change = now ? compareCalls(now, baseline(caller, callee) ?? undefined) : null;
        byCallee.set(callee, change);
      }
      return change;
    },
    edgeVersionSplit(caller: string, callee: string): VersionSplit | null {
      const byCallee = memoFor(edgeSplitMemo, caller);
      let split = byCallee.get(callee);
      if (split === undefined) byCallee.set(callee, (split = versionSplitOf(source.edgeVersions?.(caller, callee, versionsFrom, window.to))));
      return split;
    },
    get(service: string): ServiceTraceSignal {
      let signal = memo.get(service);
      if (signal === undefined) {
        const incomingNow: ServiceWindowFacts['incomingNow'] = [];
        const incomingBase: CallTotals[] = [];
        for (const caller of source.callers(service)) {
          const now = source.edge(caller, service, window.from, window.to);
          if (now) incomingNow.push({ caller, stats: now });
          const base = baseline(caller, service);
          if (base) incomingBase.push(base);
        }
        signal = signalOf({
          incomingNow,
          incomingBase,
          own: source.service(service, window.from, window.to) ?? undefined,
          ownBase: source.service(service, window.baselineFrom, window.from) ?? undefined,
          versions: source.serviceVersions?.(service, window.from, window.to) ?? null,
        });
        memo.set(service, signal);
      }
      return signal;
    },
  };
}
