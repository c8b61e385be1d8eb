// Sender severities and priorities mapped onto the model's Severity.
import type { Severity } from '../model/alert.js';

// Common words of Prometheus rules, Grafana, Opsgenie-style priorities and SEV levels.
const BY_WORD: ReadonlyMap<string, Severity> = new Map<string, Severity>([
  ['critical', 'critical'], ['crit', 'critical'], ['fatal', 'critical'], ['emergency', 'critical'],
  ['emerg', 'critical'], ['alert', 'critical'], ['page', 'critical'], ['disaster', 'critical'],
  ['p1', 'critical'], ['sev1', 'critical'], ['sev-1', 'critical'], ['sev0', 'critical'], ['sev-0', 'critical'],
  ['error', 'error'], ['err', 'error'], ['major', 'error'], ['high', 'error'],
  ['p2', 'error'], ['sev2', 'error'], ['sev-2', 'error'],
  ['warning', 'warning'], ['warn', 'warning'], ['minor', 'warning'], ['medium', 'warning'], ['average', 'warning'],
  ['p3', 'warning'], ['sev3', 'warning'], ['sev-3', 'warning'],
  ['info', 'info'], ['informational', 'info'], ['information', 'info'], ['notice', 'info'], ['low', 'info'],
  ['debug', 'info'], ['none', 'info'], ['ok', 'info'],
  ['p4', 'info'], ['p5', 'info'], ['sev4', 'info'], ['sev-4', 'info'], ['sev5', 'info'], ['sev-5', 'info'],
]);

/** A free-text severity (label `severity`, generic alert field); 'unknown' when not recognised. */
export function severityFromText(value: string | undefined | null): Severity {
  if (value === undefined || value === null || value === '') return 'unknown';
  return BY_WORD.get(value.trim().toLowerCase()) ?? 'unknown';
}

/**
 * PagerDuty: the incident priority (P1..P5, when the account uses priorities) wins; else urgency.
 * High urgency pages someone now, so it is at least an error; low urgency waits, so a warning.
 */
export function severityFromPagerDuty(priority: string | undefined | null, urgency: string | undefined | null): Severity {
  const byPriority = severityFromText(priority);
  if (byPriority !== 'unknown') return byPriority;
  if (urgency === 'high') return 'error';
  if (urgency === 'low') return 'warning';
  return 'unknown';
}

/**
 * Datadog: a Warn transition is a warning whatever the monitor's priority; else the monitor priority
 * (P1..P5); else `$ALERT_TYPE` (error/warning/info/success).
 */
export function severityFromDatadog(transition: string, priority: string | undefined, alertType: string | undefined): Severity {
  if (/^(re-)?warn/i.test(transition)) return 'warning';
  const byPriority = severityFromText(priority);
  if (byPriority !== 'unknown') return byPriority;
  if (alertType === 'success') return 'info';
  return severityFromText(alertType);
}
