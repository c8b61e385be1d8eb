// Datadog Webhooks integration: schema and normaliser for the default payload and the extended
// payload documented in docs/sources.md. Datadog renders every $VARIABLE into the JSON template,
// mostly as strings, so numbers may arrive as strings and absent values as "".
import { z } from 'zod';
import type { Alert } from '../model/alert.js';
import { parseEnvelope, singleAlertResult } from './batch.js';
import { labelFingerprint } from './fingerprint.js';
import { serviceFromLabels } from './service-label.js';
import { severityFromDatadog } from './severity.js';
import type { IngestContext, IngestSource } from './source.js';
import { parseEpochOrRfc3339 } from './timestamps.js';

const text = z.string().optional();
const idText = z.union([z.string(), z.number().transform(String)]).optional();

/** `$DATE`/`$LAST_UPDATED`: epoch ms or s (number or numeric string) or RFC 3339; "" means absent. */
const optionalTime = z
  .union([z.number(), z.string()])
  .optional()
  .transform((value, ctx): number | undefined => {
    if (value === undefined || value === '') return undefined;
    const ms = parseEpochOrRfc3339(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected epoch seconds/milliseconds or an RFC 3339 time, got ${JSON.stringify(String(value).slice(0, 40))}` });
      return z.NEVER;
    }
    return ms;
  });

/** Default payload fields plus the extended ones (snake_case, as in docs/sources.md). */
export const DatadogWebhookSchema = z
  .object({
    id: idText, // $ID: the event, new on every notification
    title: text, // $EVENT_TITLE, e.g. "[Triggered on {service:payments}] High latency"
    body: text, // $EVENT_MSG
    event_type: text, // $EVENT_TYPE
    date: optionalTime, // $DATE
    last_updated: optionalTime, // $LAST_UPDATED
    org: z.object({ id: idText, name: text }).optional(),
    alert_id: idText, // $ALERT_ID: the monitor
    alert_title: text, // $ALERT_TITLE
    alert_transition: text, // $ALERT_TRANSITION: Triggered, Re-Triggered, Warn, Re-Warn, No Data, Recovered, Renotify
    alert_type: text, // $ALERT_TYPE: error, warning, info, success
    alert_priority: text, // $ALERT_PRIORITY: P1..P5
    alert_status: text, // $ALERT_STATUS: one-line summary
    alert_metric: text,
    alert_query: text,
    alert_scope: text, // $ALERT_SCOPE: "service:payments,env:prod"
    alert_cycle_key: text,
    aggreg_key: text, // $AGGREG_KEY
    tags: z.union([z.string(), z.array(z.string())]).optional(), // $TAGS
    hostname: text,
    host_name: text, // both spellings are common in published templates
    link: text,
    priority: text, // $PRIORITY: event priority (normal/low), not the monitor's
  })
  .superRefine((d, ctx) => {
    if (!d.title && !d.alert_title) {
      ctx.addIssue({ code: 'custom', path: ['title'], message: 'title ($EVENT_TITLE) or alert_title ($ALERT_TITLE) is required' });
    }
  });
export type DatadogWebhook = z.output<typeof DatadogWebhookSchema>;

const TITLE_PREFIX = /^\s*\[([^\]]*)\]\s*/;
const PRIORITY_TAG = /^P[1-5]$/i;
const TRANSITION = /^(Recovered|Triggered|Re-Triggered|Warn|Re-Warn|No Data|Re-No Data|Renotify)(?: on (.*))?$/i;

/** A title split into its bracketed prefixes ("[P1] [Triggered on {host:a}] ...") and its name. */
export interface DatadogTitle {
  name: string;
  transition: string;
  scope: string;
  priority: string;
}

export function parseDatadogTitle(title: string): DatadogTitle {
  const out: DatadogTitle = { name: title.trim(), transition: '', scope: '', priority: '' };
  let rest = title;
  for (let m = TITLE_PREFIX.exec(rest); m !== null; m = TITLE_PREFIX.exec(rest)) {
    const inner = m[1]!.trim();
    const transition = TRANSITION.exec(inner);
    if (PRIORITY_TAG.test(inner)) out.priority = inner.toUpperCase();
    else if (transition !== null) {
      out.transition = transition[1]!;
      out.scope = (transition[2] ?? '').replace(/^\{|\}$/g, '');
    } else break;
    rest = rest.slice(m[0].length);
  }
  out.name = rest.trim();
  return out;
}

/** Adds "key:value" tags (comma-separated or an array) to `labels`; tags without a value are ignored. */
function addTags(labels: Record<string, string>, tags: string | readonly string[] | undefined): void {
  if (tags === undefined || tags === '') return;
  const list = typeof tags === 'string' ? tags.split(',') : tags;
  for (const raw of list) {
    const tag = raw.trim();
    const colon = tag.indexOf(':');
    if (colon <= 0 || colon === tag.length - 1) continue;
    labels[tag.slice(0, colon)] = tag.slice(colon + 1);
  }
}

/** Scope tags in a canonical order, so the same monitor group always hashes the same. */
function canonicalScope(scope: string): string {
  return scope
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .sort()
    .join(',');
}

function shortText(body: string | undefined): string {
  if (!body) return '';
  const clean = body.replace(/%%%/g, '').trim();
  return clean.length > 300 ? `${clean.slice(0, 297)}...` : clean;
}

/**
 * Normalises a Datadog notification. Fingerprint: hash of monitor id + scope when `alert_id` is
 * sent, else `aggreg_key`, else hash of name + scope — all stable from Triggered to Recovered.
 * Datadog does not send when a recovered alert started, so a recovery starts and ends at its date.
 */
export function toDatadogAlert(d: DatadogWebhook, ctx: IngestContext): Alert {
  const fromTitle = parseDatadogTitle(d.alert_title || d.title || '');
  const fromEventTitle = d.alert_title && d.title ? parseDatadogTitle(d.title) : fromTitle;
  const transition = d.alert_transition || fromTitle.transition || fromEventTitle.transition || (d.alert_type === 'success' ? 'Recovered' : '');
  const scope = d.alert_scope || fromTitle.scope || fromEventTitle.scope;
  const labels: Record<string, string> = {};
  addTags(labels, d.tags);
  addTags(labels, scope);
  const host = d.hostname || d.host_name;
  if (host && labels.host === undefined) labels.host = host;
  if (d.alert_id) labels.datadog_monitor_id = d.alert_id;
  const name = fromTitle.name || fromEventTitle.name;
  const fingerprint = d.alert_id
    ? labelFingerprint({ datadog_monitor_id: d.alert_id, scope: canonicalScope(scope) })
    : d.aggreg_key || labelFingerprint({ alertname: name, scope: canonicalScope(scope) });
  const resolved = /^recovered$/i.test(transition);
  const at = d.date ?? d.last_updated ?? ctx.receivedAt;
  return {
    fingerprint,
    service: serviceFromLabels(labels, ctx.serviceLabels),
    name,
    severity: severityFromDatadog(transition, d.alert_priority || fromTitle.priority || fromEventTitle.priority, d.alert_type),
    status: resolved ? 'resolved' : 'firing',
    labels,
    summary: d.alert_status || shortText(d.body),
    startsAt: at,
    endsAt: resolved ? at : null,
    source: 'datadog',
  };
}

export const datadogSource: IngestSource = {
  type: 'datadog',
  parse(body, ctx) {
    const parsed = parseEnvelope(DatadogWebhookSchema, body);
    if (!parsed.ok) return parsed;
    return singleAlertResult(ctx.receivedAt, toDatadogAlert(parsed.data, ctx));
  },
};
