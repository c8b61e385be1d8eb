// rcabot's own generic alert schema (docs/sources.md): one alert object, or {alerts: [...]}.
import { z } from 'zod';
import type { Alert } from '../model/alert.js';
import { alertsResult, parseEnvelope, parseItems, singleAlertResult } from './batch.js';
import { labelFingerprint } from './fingerprint.js';
import { serviceFromLabels } from './service-label.js';
import { severityFromText } from './severity.js';
import { toInputIssues, type IngestContext, type IngestSource } from './source.js';
import { endTimeMs, rfc3339Ms } from './timestamps.js';

export const GenericAlertSchema = z.object({
  name: z.string().min(1, 'name must not be empty'),
  service: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  /** critical | error | warning | info; common aliases (warn, p1, sev2, ...) are mapped, others are "unknown". */
  severity: z.string().optional(),
  status: z.enum(['firing', 'resolved']).default('firing'),
  startsAt: rfc3339Ms.optional(),
  endsAt: endTimeMs.nullable().optional(),
  fingerprint: z.string().min(1).optional(),
  summary: z.string().optional(),
});
export type GenericAlert = z.output<typeof GenericAlertSchema>;

export const GenericAlertBatchSchema = z.object({ alerts: z.array(z.unknown()) });

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Normalises a generic alert. `service` given explicitly wins over the label rule. Without a
 * fingerprint, the identity is the labels plus the name (and the explicit service), hashed.
 */
export function toGenericAlert(item: GenericAlert, ctx: IngestContext): Alert {
  const labels = item.labels ?? NO_LABELS;
  const service = item.service || serviceFromLabels(labels, ctx.serviceLabels);
  let fingerprint = item.fingerprint;
  if (fingerprint === undefined) {
    const identity: Record<string, string> = { ...labels, alertname: item.name };
    if (item.service) identity.service = item.service;
    fingerprint = labelFingerprint(identity);
  }
  const resolved = item.status === 'resolved';
  return {
    fingerprint,
    service,
    name: item.name,
    severity: severityFromText(item.severity),
    status: item.status,
    labels,
    summary: item.summary ?? '',
    startsAt: item.startsAt ?? ctx.receivedAt,
    endsAt: resolved ? (item.endsAt ?? ctx.receivedAt) : null,
    source: 'alert',
  };
}

function isBatch(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && 'alerts' in body;
}

export const genericAlertSource: IngestSource = {
  type: 'alert',
  parse(body, ctx) {
    if (isBatch(body)) {
      const envelope = parseEnvelope(GenericAlertBatchSchema, body);
      if (!envelope.ok) return envelope;
      return alertsResult(ctx.receivedAt, parseItems(envelope.data.alerts, GenericAlertSchema, ['alerts'], (item) => toGenericAlert(item, ctx)));
    }
    const single = GenericAlertSchema.safeParse(body);
    if (!single.success) return { ok: false, issues: toInputIssues(single.error.issues) };
    return singleAlertResult(ctx.receivedAt, toGenericAlert(single.data, ctx));
  },
};
