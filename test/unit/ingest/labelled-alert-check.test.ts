import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertmanagerAlertSchema, toAlertmanagerAlert } from '../../../src/ingest/alertmanager.js';
import { GrafanaAlertSchema, quickCheckGrafanaAlert, toGrafanaAlert } from '../../../src/ingest/grafana.js';
import { checkLabelledAlert } from '../../../src/ingest/labelled-alert-check.js';
import { context, payload } from './payload-fixture.js';

const AM_FIELDS = ['generatorURL'];

/** Values a sender might put in any field: right and wrong types, times valid and not. */
const anyValue = fc.oneof(
  fc.constantFrom('firing', 'resolved', 'pending', '', '0001-01-01T00:00:00Z', '2026-11-24T00:30:21.650361893Z',
    '2026-11-24T01:30:21+01:00', '2026-02-30T00:00:00Z', '2026-11-24 00:30:21Z', 'HighErrorRate', 'checkout'),
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
);
const labelName = fc.constantFrom('alertname', 'service', 'app', 'job', 'severity', 'namespace', '__alert_rule_uid__', 'pod');
const labelValue = fc.oneof(fc.constantFrom('HighErrorRate', 'checkout', 'critical'), fc.string({ maxLength: 4 }));

/** A valid alert: labels in any order (alertname somewhere), optional fields present or not. */
const validItem = fc.record(
  {
    status: fc.constantFrom('firing', 'resolved'),
    labels: fc
      .tuple(fc.dictionary(labelName, labelValue, { maxKeys: 5 }), fc.constantFrom('HighErrorRate', 'TargetDown'))
      .map(([others, name]) => ({ ...others, alertname: name })),
    annotations: fc.dictionary(fc.constantFrom('summary', 'description', 'message', 'runbook'), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
    startsAt: fc.constantFrom('2026-11-24T00:30:21.650361893Z', '2026-11-24T01:30:21+01:00', '2026-11-24T00:30:21Z'),
    endsAt: fc.constantFrom('0001-01-01T00:00:00Z', '', '2026-11-24T00:52:13Z', '2026-11-24T00:52:13.5-02:00'),
    fingerprint: fc.string({ maxLength: 16 }),
    generatorURL: fc.string({ maxLength: 8 }),
    valueString: fc.string({ maxLength: 8 }),
    values: anyValue,
  },
  { requiredKeys: ['status', 'labels', 'startsAt'] },
);

/** Alert-shaped items: valid ones, and valid ones with a field or a label replaced by anything, or taken out. */
const FIELDS = ['status', 'labels', 'annotations', 'startsAt', 'endsAt', 'fingerprint', 'generatorURL', 'valueString', 'values', 'extra'];
const item = fc.oneof(
  validItem,
  fc.tuple(validItem, fc.constantFrom(...FIELDS), fc.option(anyValue)).map(([base, field, value]) => {
    const broken: Record<string, unknown> = { ...base };
    if (value === null) delete broken[field];
    else broken[field] = value;
    return broken;
  }),
  fc.tuple(validItem, labelName, anyValue).map(([base, name, value]) => ({ ...base, labels: { ...base.labels, [name]: value } })),
);

/** What a normalised alert is, to the letter (key order included): the stored form is its JSON. */
const asStored = (value: unknown): string => JSON.stringify(value);

describe('checkLabelledAlert: the hand-written check of the ingest hot path', () => {
  it('accepts only Alertmanager alerts the schema accepts, and normalises them exactly as the schema path does', () => {
    let quick = 0;
    fc.assert(
      fc.property(item, (raw) => {
        const checked = checkLabelledAlert(raw, AM_FIELDS);
        if (checked === undefined) return;
        quick++;
        const parsed = AlertmanagerAlertSchema.safeParse(raw);
        expect(parsed.success).toBe(true);
        expect(asStored(toAlertmanagerAlert(checked, context()))).toBe(asStored(toAlertmanagerAlert(parsed.data!, context())));
      }),
      { numRuns: 5000 },
    );
    // The property is not vacuous: a good share of the generated items took the quick path.
    expect(quick).toBeGreaterThan(1000);
  });

  it('accepts only Grafana alerts the schema accepts, and normalises them exactly as the schema path does', () => {
    fc.assert(
      fc.property(item, (raw) => {
        const checked = quickCheckGrafanaAlert(raw);
        if (checked === undefined) return;
        const parsed = GrafanaAlertSchema.safeParse(raw);
        expect(parsed.success).toBe(true);
        expect(asStored(toGrafanaAlert(checked, context()))).toBe(asStored(toGrafanaAlert(parsed.data!, context())));
      }),
      { numRuns: 5000 },
    );
  });

  it('takes every alert of captured Alertmanager and Grafana webhooks (the common case is the quick one)', () => {
    for (const file of ['two-alerts-one-group.json', 'from-prometheus-rule.json', 'resolved.json', 'backdated-split-group.json']) {
      for (const a of payload('alertmanager', file).alerts) expect(checkLabelledAlert(a, AM_FIELDS)).toBeDefined();
    }
    for (const file of ['firing-two-alerts.json', 'resolved.json']) {
      for (const a of payload('grafana', file).alerts) expect(quickCheckGrafanaAlert(a)).toBeDefined();
    }
  });

  it('leaves to the schema what it cannot vouch for: an empty alertname, a bad time, a field of the wrong type', () => {
    const good = payload('alertmanager', 'two-alerts-one-group.json').alerts[0];
    expect(checkLabelledAlert({ ...good, labels: { ...good.labels, alertname: '' } }, AM_FIELDS)).toBeUndefined();
    expect(checkLabelledAlert({ ...good, startsAt: '2026-11-24T25:00:00Z' }, AM_FIELDS)).toBeUndefined();
    expect(checkLabelledAlert({ ...good, endsAt: 'soon' }, AM_FIELDS)).toBeUndefined();
    expect(checkLabelledAlert({ ...good, generatorURL: 3 }, AM_FIELDS)).toBeUndefined();
    expect(checkLabelledAlert({ ...good, annotations: { summary: 1 } }, AM_FIELDS)).toBeUndefined();
    // JSON.parse makes `__proto__` an own key, which the schema's copy drops: the schema decides.
    expect(checkLabelledAlert({ ...good, labels: JSON.parse('{"alertname":"A","__proto__":"x"}') }, AM_FIELDS)).toBeUndefined();
    expect(checkLabelledAlert({ ...good, annotations: JSON.parse('{"__proto__":"x"}') }, AM_FIELDS)).toBeUndefined();
  });
});
