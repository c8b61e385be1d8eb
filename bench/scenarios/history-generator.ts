// Past incidents (CONTRACT §3): unrelated ones for every scenario, and for the recurring family a
// record that names the right one of two look-alike dependencies.
import type { HistoricalIncident } from '../../src/model/history.js';
import type { Rng } from './rng.js';
import { ancestorsOf, type Topology } from './topology-generator.js';

export interface AlertSignature {
  service: string;
  alertname: string;
}

const CATEGORIES = ['deploy', 'resource', 'dependency', 'config', 'other'] as const;
const RUNBOOKS: Record<string, string> = { database: 'failover-database', cache: 'restart-cache', queue: 'restart-broker', service: 'rollback-deployment', frontend: 'rollback-deployment' };

function pastWindow(rng: Rng, beforeMs: number): { openedAt: string; resolvedAt: string } {
  const opened = beforeMs - rng.int(2, 200) * 86_400_000 - rng.int(0, 86_399) * 1000;
  return { openedAt: new Date(opened).toISOString(), resolvedAt: new Date(opened + rng.int(15, 300) * 60_000).toISOString() };
}

function incident(rng: Rng, id: number, topology: Topology, root: string, alerts: AlertSignature[], beforeMs: number, category?: HistoricalIncident['rootCause']['category']): HistoricalIncident {
  const kind = topology.byName.get(root)?.kind ?? 'service';
  const cat = category ?? (kind === 'service' || kind === 'frontend' ? rng.pick(['deploy', 'deploy', 'config', 'resource', 'other'] as const) : rng.pick(['resource', 'dependency'] as const));
  const lead = alerts[0];
  const title = lead ? `${lead.alertname} on ${lead.service}` : `Degradation of ${root}`;
  const h: HistoricalIncident = { id: `INC-${id}`, title, ...pastWindow(rng, beforeMs), rootCause: { service: root, category: cat }, alerts };
  if (rng.chance(0.6)) h.remediation = { runbook: RUNBOOKS[kind] ?? 'rollback-deployment', target: root };
  return h;
}

/** Plausible past incidents of random roots: the alerts they raised are on the root and its callers. */
export function randomHistory(rng: Rng, topology: Topology, count: number, beforeMs: number, alertnames: readonly string[], firstId: number): HistoricalIncident[] {
  const out: HistoricalIncident[] = [];
  const candidates = topology.nodes.filter((n) => n.kind !== 'frontend');
  for (let i = 0; i < count && candidates.length > 0; i++) {
    const root = rng.pick(candidates).name;
    const around = [root, ...ancestorsOf(topology, root)].filter((n) => topology.byName.get(n)?.instrumented);
    const alerts = rng.sample(around, rng.int(1, Math.min(5, Math.max(1, around.length)))).map((service) => ({ service, alertname: rng.pick(alertnames) }));
    out.push(incident(rng, firstId + i, topology, root, alerts, beforeMs, rng.chance(0.3) ? rng.pick(CATEGORIES) : undefined));
  }
  return out;
}

/** Past incidents of the recurring family: the true root recurred with the current signature; the twin
 *  failed before too, but with a different one. */
export function recurringHistory(rng: Rng, topology: Topology, root: string, twin: string, signature: readonly AlertSignature[], beforeMs: number, otherAlertnames: readonly string[], firstId: number): HistoricalIncident[] {
  const out: HistoricalIncident[] = [];
  let id = firstId;
  const repeats = rng.int(2, 4);
  for (let i = 0; i < repeats; i++) {
    const keep = signature.filter(() => rng.chance(0.8));
    const alerts = keep.length > 0 ? keep : signature.slice(0, 1);
    out.push(incident(rng, id++, topology, root, [...alerts], beforeMs, rng.pick(['resource', 'dependency'] as const)));
  }
  const services = [...new Set(signature.map((s) => s.service))];
  const twinCount = rng.int(1, 2);
  for (let i = 0; i < twinCount; i++) {
    // The twin's incidents show up under other alert names, on a part of the same callers.
    const alerts = rng.sample(services, Math.max(1, Math.ceil(services.length / 2))).map((service) => ({ service, alertname: rng.pick(otherAlertnames) }));
    out.push(incident(rng, id++, topology, twin, alerts, beforeMs, 'resource'));
  }
  return out;
}
