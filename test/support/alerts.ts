// Builders for alerts and trace edges in unit tests: only what a test states differs from sensible defaults.
import type { Alert } from '../../src/model/alert.js';
import type { Change } from '../../src/model/change.js';
import { emptyCallStats, addCall, type CallStats, type TraceDelta } from '../../src/model/trace-aggregate.js';
import type { ObservedEdge } from '../../src/topology/dependency-graph.js';

export const T0 = Date.parse('2026-10-14T09:00:00Z');
export const MIN = 60_000;

export function alert(service: string, name: string, minutesAfterT0: number, extra: Partial<Alert> = {}): Alert {
  return {
    fingerprint: extra.fingerprint ?? `${service}-${name}-${minutesAfterT0}`,
    service,
    name,
    severity: 'critical',
    status: 'firing',
    labels: { alertname: name, service },
    summary: '',
    startsAt: T0 + minutesAfterT0 * MIN,
    endsAt: null,
    source: 'alertmanager',
    ...extra,
  };
}

export function edge(caller: string, callee: string, calls = 100, uninstrumented = false): ObservedEdge {
  return { caller, callee, stats: { calls }, calleeUninstrumented: uninstrumented, calleeKind: uninstrumented ? 'database' : 'service', lastSeen: T0 };
}

export function stats(calls: number, errors: number, latencyMs: number): CallStats {
  const s = emptyCallStats();
  for (let i = 0; i < calls; i++) addCall(s, latencyMs, i < errors);
  return s;
}

export function deploy(service: string, minutesAfterT0: number, version = 'v2'): Change {
  return { id: `${service}-${version}`, service, version, previousVersion: 'v1', environment: 'prod', at: T0 + minutesAfterT0 * MIN, author: null, source: 'deploy' };
}

/** Minute `m` of traces in which each service calls its own database (`<service>-db`) 50 times, `errors` failing. */
export function callsToOwnDatabases(services: readonly string[], m: number, errors: number): TraceDelta {
  const edges = services.map((s) => {
    const stats = emptyCallStats();
    for (let i = 0; i < 50; i++) addCall(stats, 20, i < errors);
    return { caller: s, callee: `${s}-db`, bucket: T0 + m * MIN, calleeUninstrumented: true, calleeKind: 'database' as const, ...stats };
  });
  return { edges, services: [] };
}
