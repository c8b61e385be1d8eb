// The one internal shape of an alert, whatever system sent it. Times are epoch milliseconds.

export type AlertStatus = 'firing' | 'resolved';
export type Severity = 'critical' | 'error' | 'warning' | 'info' | 'unknown';

export type AlertSource = 'alertmanager' | 'grafana' | 'pagerduty' | 'datadog' | 'alert';

export interface Alert {
  /** Alertmanager/Grafana fingerprint when given, else a stable hash of the identifying labels. */
  fingerprint: string;
  /** Service named by the first present label of the configured list; '' when none is present. */
  service: string;
  /** The alert's name (Prometheus `alertname`, a monitor's name, an incident's title). */
  name: string;
  severity: Severity;
  status: AlertStatus;
  labels: Readonly<Record<string, string>>;
  /** Short human text (summary/description), may be empty. */
  summary: string;
  startsAt: number;
  /** When the alert resolved; null while firing. */
  endsAt: number | null;
  source: AlertSource;
}

/**
 * Onsets this close are one observation: rules evaluated together (one Prometheus rule group, one Grafana
 * evaluation) stamp every alert they raise with the same `startsAt`, and senders that round report the same second.
 * Two independent failures rarely begin within the same evaluation; one failure seen at two dependencies of one
 * caller often does (the caller slows both, or one fault shows on both).
 */
export const SAME_EVALUATION_MS = 1000;

/** Identity for deduplication: the same alert repeated (HA pairs, repeat_interval) collapses into one. */
export function alertDedupKey(alert: Pick<Alert, 'fingerprint' | 'startsAt' | 'status'>): string {
  return `${alert.fingerprint}|${alert.startsAt}|${alert.status}`;
}
