// PagerDuty V3 webhook subscription: schema, normaliser and signature check. One event per body;
// incident events become one Alert per incident, every other event type is accepted and ignored.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Alert } from '../model/alert.js';
import { parseEnvelope, singleAlertResult } from './batch.js';
import { labelFingerprint } from './fingerprint.js';
import { serviceFromLabels } from './service-label.js';
import { severityFromPagerDuty } from './severity.js';
import { toInputIssues, type IngestContext, type IngestSource } from './source.js';
import { rfc3339Ms } from './timestamps.js';

const reference = z.object({ id: z.string().optional(), summary: z.string().optional() });

/** A custom field value as PagerDuty renders it: `{name, value}` (value of any JSON type). */
const customField = z.object({ name: z.string(), value: z.unknown() });

/** `event.data` of the event types whose `data.type` is `incident`. */
export const PagerDutyIncidentSchema = z.object({
  id: z.string().min(1),
  type: z.literal('incident'),
  title: z.string(),
  status: z.string().optional(),
  number: z.number().optional(),
  incident_key: z.string().nullable().optional(),
  created_at: rfc3339Ms.optional(),
  html_url: z.string().optional(),
  service: reference.nullable().optional(),
  priority: reference.nullable().optional(),
  urgency: z.string().nullable().optional(),
  custom_fields: z.array(customField).nullable().optional(),
});
export type PagerDutyIncident = z.output<typeof PagerDutyIncidentSchema>;

/** The V3 envelope: `{event: {...}}`. `data` is validated only for incident events. */
export const PagerDutyWebhookSchema = z.object({
  event: z.object({
    id: z.string(),
    event_type: z.string().min(1),
    resource_type: z.string().optional(),
    occurred_at: rfc3339Ms,
    agent: z.unknown().optional(),
    client: z.unknown().optional(),
    data: z.unknown(),
  }),
});

// Event types whose `data` is the incident itself (annotated, responder.*, status_update_published
// carry notes/responders and only a reference to the incident: nothing to correlate).
const INCIDENT_EVENTS = new Set([
  'incident.triggered', 'incident.acknowledged', 'incident.unacknowledged', 'incident.resolved',
  'incident.reopened', 'incident.escalated', 'incident.reassigned', 'incident.delegated',
  'incident.priority_updated', 'incident.conference_bridge.updated', 'incident.incident_type.changed',
]);

function customFieldLabels(fields: PagerDutyIncident['custom_fields']): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!fields) return labels;
  for (const field of fields) {
    const v = field.value;
    if (v === null || v === undefined) continue;
    labels[field.name] = Array.isArray(v) ? v.map(String).join(',') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return labels;
}

/**
 * Normalises a PagerDuty incident. Fingerprint: hash of the incident id (stable from trigger to
 * resolve). Service: the configured label rule over custom fields when one matches, else the
 * PagerDuty service's name. Resolved only on `incident.resolved` (or a resolved status).
 */
export function toPagerDutyAlert(incident: PagerDutyIncident, eventType: string, occurredAt: number, ctx: IngestContext): Alert {
  const labels = customFieldLabels(incident.custom_fields);
  const pdService = incident.service?.summary ?? '';
  const priority = incident.priority?.summary;
  labels.pagerduty_incident_id = incident.id;
  if (pdService) labels.pagerduty_service = pdService;
  if (incident.urgency) labels.urgency = incident.urgency;
  if (priority) labels.priority = priority;
  const resolved = eventType === 'incident.resolved' || incident.status === 'resolved';
  return {
    fingerprint: labelFingerprint({ pagerduty_incident_id: incident.id }),
    service: serviceFromLabels(labels, ctx.serviceLabels) || pdService,
    name: incident.title,
    severity: severityFromPagerDuty(priority, incident.urgency),
    status: resolved ? 'resolved' : 'firing',
    labels,
    summary: incident.title,
    startsAt: incident.created_at ?? occurredAt,
    endsAt: resolved ? occurredAt : null,
    source: 'pagerduty',
  };
}

export const pagerdutySource: IngestSource = {
  type: 'pagerduty',
  parse(body, ctx) {
    const envelope = parseEnvelope(PagerDutyWebhookSchema, body);
    if (!envelope.ok) return envelope;
    const { event } = envelope.data;
    if (!INCIDENT_EVENTS.has(event.event_type)) return singleAlertResult(ctx.receivedAt, null);
    const incident = PagerDutyIncidentSchema.safeParse(event.data);
    if (!incident.success) return { ok: false, issues: toInputIssues(incident.error.issues, ['event', 'data']) };
    return singleAlertResult(ctx.receivedAt, toPagerDutyAlert(incident.data, event.event_type, event.occurred_at, ctx));
  },
};

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/**
 * Checks `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>...]` (several during secret rotation) against
 * HMAC-SHA256 of the raw body under each configured secret; any match is enough. Constant-time.
 */
export function verifyPagerDutySignature(rawBody: Buffer, header: string | undefined, secrets: readonly string[]): boolean {
  if (!header) return false;
  const provided: Buffer[] = [];
  for (const part of header.split(',')) {
    const item = part.trim();
    if (!item.startsWith('v1=')) continue;
    const hex = item.slice(3);
    if (HEX_SHA256.test(hex)) provided.push(Buffer.from(hex, 'hex'));
  }
  if (provided.length === 0) return false;
  let matched = false;
  for (const secret of secrets) {
    if (!secret) continue;
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    // No early exit: every pair is compared so timing does not say which one matched.
    for (const signature of provided) if (timingSafeEqual(expected, signature)) matched = true;
  }
  return matched;
}
