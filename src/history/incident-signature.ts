// What an incident looks like for similarity search: the services involved, their alerts and the dependencies in play.
import type { HistoricalIncident } from '../model/history.js';

/**
 * The comparable part of an incident, current or past.
 *
 * - `services`: services involved. For a current incident, the services that alert; for a past one, the
 *   services that alerted plus its root-cause service (see `signatureOfHistorical`).
 * - `alerts`: (service, alertname) pairs that fired.
 * - `dependencies`: services seen in traces as callees of `services` that are not themselves in `services`
 *   (non-alerting trace peers). History entries (CONTRACT §3) record none.
 */
export type IncidentSignature = {
  services: string[];
  alerts: Array<{ service: string; alertname: string }>;
  dependencies: string[];
};

/**
 * The signature of a past incident.
 *
 * Why the root cause is a *service* and not a dependency or a token of its own: a past incident is the answer
 * (`rootCause`) plus the symptoms (`alerts`). Matching must compare symptoms with symptoms, or the answer leaks
 * into the question. Two tempting choices leak:
 * - a dedicated root-cause token would only ever match another past incident with the same cause, and
 * - mapping a non-alerting root cause to `dependencies` would make the past incident match *every* current
 *   incident that merely has that service somewhere in its traces: history has no other dependencies, so that
 *   token would be rare, heavily weighted, and would vote for itself in `rootCauseVotes` regardless of the alerts.
 * Putting the root cause among `services` shares one token with "this service alerted": its weight reflects how
 * often the service is involved at all, and it matches a current incident only when that service is alerting
 * now, which is what the symptom side of a current signature holds. Dependencies stay empty (CONTRACT §3 has none).
 */
export function signatureOfHistorical(h: HistoricalIncident): IncidentSignature {
  const services = new Set<string>();
  const pairs = new Map<string, { service: string; alertname: string }>();
  for (const a of h.alerts) {
    if (a.service !== '') services.add(a.service);
    pairs.set(`${a.service}\u0000${a.alertname}`, { service: a.service, alertname: a.alertname });
  }
  services.add(h.rootCause.service);
  return {
    services: [...services].sort(),
    alerts: [...pairs.values()].sort((x, y) => compare(x.service, y.service) || compare(x.alertname, y.alertname)),
    dependencies: [],
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
