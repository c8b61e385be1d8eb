// The ingest hot path's check of one Alertmanager-style alert (Alertmanager and Grafana webhooks), written out by
// hand. A storm sends tens of thousands of alerts a second, and validating each through its zod schema cost more
// CPU than anything else a route does with it (zod builds a copy of every object it checks). This check accepts
// only what the zod schema accepts and gives the same output; at the first doubt it answers undefined, and the
// caller validates that item with the schema, which names the bad field. So zod stays the one definition of a
// valid alert and of every error message; this only recognises the plainly valid case sooner.
// Equivalence is a property test: test/unit/ingest/labelled-alert-check.test.ts.
import type { LabelledAlert } from './alertmanager.js';
import { isGoZeroTime, parseRfc3339 } from './timestamps.js';

/** A JSON object, as zod's z.object and z.record see one: not null, not an array. */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Every own value is a string (z.record(z.string(), z.string()), z.object({}).catchall(z.string())). An own
 * `__proto__` key (JSON.parse makes one; the HTTP routes refuse it, a replayed file may hold it) is left to the schema,
 * whose copy drops it.
 */
function allStrings(record: Record<string, unknown>): boolean {
  for (const key in record) if (typeof record[key] !== 'string') return false;
  return !Object.hasOwn(record, '__proto__');
}

/** Absent, or a string (an optional z.string()). */
function optionalString(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

/**
 * The labels as the schema outputs them, or undefined: `alertname` first, then the other labels in their order.
 * Senders sort labels, and names such as Grafana's `__alert_rule_uid__` sort before `alertname`: those labels are
 * copied into the schema's order, so the stored alert never differs from the schema path's, to the key order.
 */
function checkLabels(labels: unknown): (Record<string, string> & { alertname: string }) | undefined {
  if (!isObject(labels) || Object.getPrototypeOf(labels) !== Object.prototype) return undefined;
  const alertname = labels.alertname;
  if (typeof alertname !== 'string' || alertname === '' || !allStrings(labels)) return undefined;
  const out = labels as Record<string, string> & { alertname: string };
  for (const key in labels) return key === 'alertname' ? out : Object.assign({ alertname }, out);
  return out;
}

/** endsAt as the schema outputs it: absent, null (no end: '' or Go's zero time), epoch ms; false when invalid. */
function checkEndsAt(value: unknown): number | null | undefined | false {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return false;
  if (value === '' || isGoZeroTime(value)) return null;
  return parseRfc3339(value) ?? false;
}

/**
 * An alert of an Alertmanager or Grafana webhook when it is plainly valid, else undefined (validate it with the
 * schema). `optionalStrings` names the other fields the source's schema reads as optional strings (e.g.
 * `generatorURL`); they are checked, not returned.
 */
export function checkLabelledAlert(item: unknown, optionalStrings: readonly string[]): LabelledAlert | undefined {
  if (!isObject(item)) return undefined;
  const status = item.status;
  if (status !== 'firing' && status !== 'resolved') return undefined;
  const labels = checkLabels(item.labels);
  if (labels === undefined) return undefined;
  const annotations = item.annotations;
  if (annotations !== undefined && (!isObject(annotations) || Object.getPrototypeOf(annotations) !== Object.prototype || !allStrings(annotations))) {
    return undefined;
  }
  const startsAtText = item.startsAt;
  if (typeof startsAtText !== 'string') return undefined;
  const startsAt = parseRfc3339(startsAtText);
  if (startsAt === undefined) return undefined;
  const endsAt = checkEndsAt(item.endsAt);
  if (endsAt === false) return undefined;
  const fingerprint = item.fingerprint;
  if (!optionalString(fingerprint)) return undefined;
  for (const name of optionalStrings) if (!optionalString(item[name])) return undefined;
  const out: LabelledAlert = { status, labels, startsAt };
  if (annotations !== undefined) out.annotations = annotations as Record<string, string>;
  if (endsAt !== undefined) out.endsAt = endsAt;
  if (fingerprint !== undefined) out.fingerprint = fingerprint as string;
  return out;
}
