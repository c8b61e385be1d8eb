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

/** Identity for deduplication: the same alert repeated (HA pairs, repeat_interval) collapses into one. */
export function alertDedupKey(alert: Pick<Alert, 'fingerprint' | 'startsAt' | 'status'>): string {
  return `${alert.fingerprint}|${alert.startsAt}|${alert.status}`;
}
