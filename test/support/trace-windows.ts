// Trace signals for ranking tests from plain edge lists, through the same lazy lookup the engine uses.
import type { CallTotals, VersionWindow } from '../../src/model/trace-aggregate.js';
import { lazyTraceSignals, type TraceSignalLookup } from '../../src/rank/trace-signals.js';

export interface TestEdge {
  caller: string;
  callee: string;
  stats: CallTotals;
}

const BASELINE_FROM = 0;
const FROM = 1;
const TO = 2;

/** A service's own (server-side) spans in the incident window and the baseline before it. */
export interface TestOwnSpans {
  now: CallTotals & { originErrors: number };
  base?: CallTotals & { originErrors: number };
}

/**
 * `current` and `baseline` are the edges' calls in the incident window and the baseline before it; `versions`, a
 * service's own spans per version in the window's minutes where two versions served; `edgeVersions`, by
 * "caller→callee", an edge's calls per version of its caller in the minutes two versions of it were live.
 */
export function signalsFrom(
  current: readonly TestEdge[],
  baseline: readonly TestEdge[] = [],
  own: Readonly<Record<string, TestOwnSpans>> = {},
  versions: Readonly<Record<string, VersionWindow[]>> = {},
  edgeVersions: Readonly<Record<string, VersionWindow[]>> = {},
): TraceSignalLookup {
  const find = (list: readonly TestEdge[], caller: string, callee: string) => list.find((e) => e.caller === caller && e.callee === callee)?.stats ?? null;
  return lazyTraceSignals(
    {
      callers: (service) => [...new Set([...current, ...baseline].filter((e) => e.callee === service).map((e) => e.caller))],
      edge: (caller, callee, from) => find(from === BASELINE_FROM ? baseline : current, caller, callee),
      service: (service, from) => (from === BASELINE_FROM ? own[service]?.base : own[service]?.now) ?? null,
      serviceVersions: (service, from) => (from === BASELINE_FROM ? null : (versions[service] ?? null)),
      edgeVersions: (caller, callee, from) => (from === BASELINE_FROM ? null : (edgeVersions[`${caller}→${callee}`] ?? null)),
    },
    { baselineFrom: BASELINE_FROM, from: FROM, to: TO },
  );
}
