// Grafana unified-alerting webhook contact point: schema and normaliser. The body is Alertmanager's
// (Grafana embeds one) plus Grafana fields: orgId, values, valueString, silence/dashboard/panel URLs.
import { z } from 'zod';
import type { Alert } from '../model/alert.js';
import { AlertLabelsSchema, summaryFromAnnotations, toLabelledAlert } from './alertmanager.js';
import { alertsResult, parseEnvelope, parseItems } from './batch.js';
import { checkLabelledAlert } from './labelled-alert-check.js';
import type { IngestContext, IngestSource } from './source.js';
import { endTimeMs, rfc3339Ms } from './timestamps.js';

/** One alert of a Grafana webhook. Fields we do not read are not validated, so they cannot reject an alert. */
export const GrafanaAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: AlertLabelsSchema,
  annotations: z.record(z.string(), z.string()).optional(),
  startsAt: rfc3339Ms,
  endsAt: endTimeMs.optional(),
  fingerprint: z.string().optional(),
  generatorURL: z.string().optional(),
  silenceURL: z.string().optional(),
  dashboardURL: z.string().optional(),
  panelURL: z.string().optional(),
  imageURL: z.string().optional(),
  /** Values of the rule's expressions (refId → number); null when there are none. */
  values: z.unknown().optional(),
  valueString: z.string().optional(),
});
export type GrafanaAlert = z.output<typeof GrafanaAlertSchema>;

/** The webhook envelope (`version` is "1" today; not enforced so a future version is still read). */
export const GrafanaWebhookSchema = z.object({
  receiver: z.string().optional(),
  status: z.enum(['firing', 'resolved']).optional(),
  orgId: z.number().optional(),
  version: z.string().optional(),
  groupKey: z.string().optional(),
  alerts: z.array(z.unknown()),
});

// Grafana raises these in place of a rule's own alert when its query fails or returns no data;
// the rule's title is then in `rulename`, which is what a person needs to see.
const DATASOURCE_ALERTS = new Set(['DatasourceError', 'DatasourceNoData']);

/** Normalises one validated Grafana alert. */
export function toGrafanaAlert(item: GrafanaAlert, ctx: IngestContext): Alert {
  const { alertname, rulename } = item.labels;
  const name = DATASOURCE_ALERTS.has(alertname) && rulename ? `${alertname}: ${rulename}` : alertname;
  const summary = summaryFromAnnotations(item.annotations) || item.valueString || '';
  return toLabelledAlert(item, 'grafana', ctx, name, summary);
}

/** Fields of a Grafana alert read as optional strings, beside those every labelled alert has (`values` is any JSON). */
const OPTIONAL_STRINGS = ['generatorURL', 'silenceURL', 'dashboardURL', 'panelURL', 'imageURL', 'valueString'] as const;
/** The quick check (labelled-alert-check.ts) of a Grafana alert, with `valueString`, the one Grafana field its normaliser reads. */
export function quickCheckGrafanaAlert(item: unknown): GrafanaAlert | undefined {
  const alert: GrafanaAlert | undefined = checkLabelledAlert(item, OPTIONAL_STRINGS);
  const valueString = (item as { valueString?: string } | undefined)?.valueString;
  if (alert !== undefined && valueString !== undefined) alert.valueString = valueString;
  return alert;
}

export const grafanaSource: IngestSource = {
  type: 'grafana',
  parse(body, ctx) {
    const envelope = parseEnvelope(GrafanaWebhookSchema, body);
    if (!envelope.ok) return envelope;
    const batch = parseItems(envelope.data.alerts, GrafanaAlertSchema, ['alerts'], (item) => toGrafanaAlert(item, ctx), quickCheckGrafanaAlert);
    return alertsResult(ctx.receivedAt, batch);
  },
};
