// Prometheus Alertmanager webhook (version "4"): schema and normaliser. Each body carries the whole
// group, not the change; deduplication (fingerprint + startsAt + status) happens later, not here.
import { z } from 'zod';
import type { Alert, AlertSource } from '../model/alert.js';
import { alertsResult, parseEnvelope, parseItems } from './batch.js';
import { labelFingerprint } from './fingerprint.js';
import { checkLabelledAlert } from './labelled-alert-check.js';
import { serviceFromLabels } from './service-label.js';
import { severityFromText } from './severity.js';
import type { IngestContext, IngestSource } from './source.js';
import { endTimeMs, rfc3339Ms } from './timestamps.js';

/** Labels of an Alertmanager-style alert: string values, `alertname` required (it is the name). */
export const AlertLabelsSchema = z
  .object({ alertname: z.string().min(1, 'alertname must not be empty') })
  .catchall(z.string());

/** One alert of an Alertmanager webhook (Grafana's alerts extend this shape). */
export const AlertmanagerAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: AlertLabelsSchema,
  annotations: z.record(z.string(), z.string()).optional(),
  startsAt: rfc3339Ms,
  endsAt: endTimeMs.optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});
export type AlertmanagerAlert = z.output<typeof AlertmanagerAlertSchema>;

/** The webhook envelope; `alerts` items are validated one by one so one bad alert does not drop the group. */
export const AlertmanagerWebhookSchema = z.object({
  version: z.literal('4', { error: 'expected Alertmanager webhook version "4"' }),
  status: z.enum(['firing', 'resolved']).optional(),
  receiver: z.string().optional(),
  groupKey: z.string().optional(),
  alerts: z.array(z.unknown()),
});

/** Fields shared by Alertmanager and Grafana alerts, after validation. */
export interface LabelledAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string> & { alertname: string };
  annotations?: Record<string, string> | undefined;
  startsAt: number;
  endsAt?: number | null | undefined;
  fingerprint?: string | undefined;
}

/** Short human text of an alert: its summary, else description, else message annotation. */
export function summaryFromAnnotations(annotations: Readonly<Record<string, string>> | undefined): string {
  if (annotations === undefined) return '';
  return annotations.summary || annotations.description || annotations.message || '';
}

/**
 * Normalises an Alertmanager-style alert. A firing alert has no end (senders put Go's zero time, or a
 * future expiry, in `endsAt`); a resolved alert without a usable `endsAt` ended when it was received.
 */
export function toLabelledAlert(item: LabelledAlert, source: AlertSource, ctx: IngestContext, name = item.labels.alertname, summary = summaryFromAnnotations(item.annotations)): Alert {
  const resolved = item.status === 'resolved';
  return {
    fingerprint: item.fingerprint || labelFingerprint(item.labels),
    service: serviceFromLabels(item.labels, ctx.serviceLabels),
    name,
    severity: severityFromText(item.labels.severity),
    status: item.status,
    labels: item.labels,
    summary,
    startsAt: item.startsAt,
    endsAt: resolved ? (item.endsAt ?? ctx.receivedAt) : null,
    source,
  };
}

/** Normalises one validated Alertmanager alert. */
export function toAlertmanagerAlert(item: AlertmanagerAlert, ctx: IngestContext): Alert {
  return toLabelledAlert(item, 'alertmanager', ctx);
}

/** Fields of an Alertmanager alert read as optional strings, beside those every labelled alert has. */
const OPTIONAL_STRINGS = ['generatorURL'] as const;
const quickCheckAlert = (item: unknown): AlertmanagerAlert | undefined => checkLabelledAlert(item, OPTIONAL_STRINGS);

export const alertmanagerSource: IngestSource = {
  type: 'alertmanager',
  parse(body, ctx) {
    const envelope = parseEnvelope(AlertmanagerWebhookSchema, body);
    if (!envelope.ok) return envelope;
    const batch = parseItems(envelope.data.alerts, AlertmanagerAlertSchema, ['alerts'], (item) => toAlertmanagerAlert(item, ctx), quickCheckAlert);
    return alertsResult(ctx.receivedAt, batch);
  },
};
