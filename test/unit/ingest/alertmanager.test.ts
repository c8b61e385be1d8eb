import { describe, expect, it } from 'vitest';
import { alertmanagerSource } from '../../../src/ingest/alertmanager.js';
import { labelFingerprint } from '../../../src/ingest/fingerprint.js';
import { RECEIVED_AT, alertsOf, context, issuesOf, payload } from './payload-fixture.js';

describe('alertmanagerSource: captured Alertmanager 0.25 webhooks', () => {
  it('normalises a firing group: fingerprint, service, name, severity, times, summary', () => {
    const result = alertmanagerSource.parse(payload('alertmanager', 'two-alerts-one-group.json'), context());
    const alerts = alertsOf(result);
    expect(result.ok && result.accepted).toBe(2);
    expect(alerts[0]).toEqual({
      fingerprint: '32c16fb6eca3387b',
      service: 'checkout',
      name: 'HighErrorRate',
      severity: 'critical',
      status: 'firing',
      labels: { alertname: 'HighErrorRate', namespace: 'prod', service: 'checkout', severity: 'critical' },
      summary: '5xx ratio above 5% for 2m',
      startsAt: Date.parse('2026-11-24T00:30:21.650Z'),
      endsAt: null,
      source: 'alertmanager',
    });
    expect(alerts[1]!.fingerprint).toBe('c8dce2e04bdb77d9');
    expect(alerts[1]!.summary).toBe('');
    expect(alerts[1]!.labels.pod).toBe('checkout-7d9f-abcde');
  });

  it('reads a rule-fired webhook with millisecond startsAt and a description', () => {
    const [alert] = alertsOf(alertmanagerSource.parse(payload('alertmanager', 'from-prometheus-rule.json'), context()));
    expect(alert).toMatchObject({
      fingerprint: 'a3d9a4bfa0d26a05',
      service: 'checkout',
      name: 'CheckoutHighErrorRate',
      severity: 'critical',
      status: 'firing',
      summary: 'Checkout error rate above threshold',
      startsAt: Date.parse('2026-11-24T00:50:58.863Z'),
      endsAt: null,
    });
  });

  it('reads resolutions with their endsAt', () => {
    const alerts = alertsOf(alertmanagerSource.parse(payload('alertmanager', 'resolved.json'), context()));
    expect(alerts).toHaveLength(6);
    for (const a of alerts) {
      expect(a.status).toBe('resolved');
      expect(a.severity).toBe('warning');
      expect(a.endsAt).toBe(Date.parse('2026-11-24T00:52:13Z'));
    }
    expect(alerts[5]).toMatchObject({ fingerprint: '4c27160694068c44', startsAt: Date.parse('2026-11-24T00:52:08.123Z') });
  });

  it('keeps every alert of a backdated group (dedup is not done here)', () => {
    const alerts = alertsOf(alertmanagerSource.parse(payload('alertmanager', 'backdated-split-group.json'), context()));
    expect(alerts.map((a) => a.fingerprint)).toEqual(['c1b6d66fe07e40f1', '3592bd6b16aaaadc', '47e0bf866654c81f', 'a15c2f7fb84d83a2', 'd281b50c3aeeb68d']);
    expect(new Set(alerts.map((a) => a.service))).toEqual(new Set(['payments']));
  });
});

describe('alertmanagerSource: invalid input', () => {
  it('rejects a body that is not a version 4 webhook, naming the field', () => {
    const body = payload('alertmanager', 'resolved.json');
    body.version = '3';
    expect(issuesOf(alertmanagerSource.parse(body, context()))).toEqual([{ path: 'version', message: 'expected Alertmanager webhook version "4"' }]);
    expect(issuesOf(alertmanagerSource.parse({ version: '4' }, context()))[0]!.path).toBe('alerts');
    expect(issuesOf(alertmanagerSource.parse('nope', context()))[0]!.path).toBe('(root)');
  });

  it('keeps the valid alerts of a batch and names the bad one by path', () => {
    const body = payload('alertmanager', 'resolved.json');
    body.alerts[3].startsAt = 'not a time';
    delete body.alerts[4].labels.alertname;
    body.alerts[5].status = 42;
    const result = alertmanagerSource.parse(body, context());
    const alerts = alertsOf(result);
    expect(alerts.map((a) => a.fingerprint)).toEqual(['925d1be1c17799c7', '51572ab9aea60cd8', '7669b58eff2cec1d']);
    expect(result.ok && result.rejected.map((i) => i.path)).toEqual(['alerts.3.startsAt', 'alerts.4.labels.alertname', 'alerts.5.status']);
    expect(result.ok && result.accepted).toBe(3);
  });

  it('rejects the body when every alert is invalid', () => {
    const body = payload('alertmanager', 'from-prometheus-rule.json');
    body.alerts[0].labels.severity = 3;
    expect(issuesOf(alertmanagerSource.parse(body, context())).map((i) => i.path)).toEqual(['alerts.0.labels.severity']);
  });

  it('accepts an empty group', () => {
    const body = payload('alertmanager', 'resolved.json');
    body.alerts = [];
    expect(alertsOf(alertmanagerSource.parse(body, context()))).toEqual([]);
  });
});

describe('alertmanagerSource: fallbacks and configuration', () => {
  it('hashes the labels when the sender gives no fingerprint', () => {
    const body = payload('alertmanager', 'from-prometheus-rule.json');
    delete body.alerts[0].fingerprint;
    const [alert] = alertsOf(alertmanagerSource.parse(body, context()));
    expect(alert!.fingerprint).toBe(labelFingerprint({ alertname: 'CheckoutHighErrorRate', service: 'checkout', severity: 'critical' }));
  });

  it('ends a resolved alert at receipt when endsAt is the zero time', () => {
    const body = payload('alertmanager', 'resolved.json');
    body.alerts[0].endsAt = '0001-01-01T00:00:00Z';
    expect(alertsOf(alertmanagerSource.parse(body, context()))[0]!.endsAt).toBe(RECEIVED_AT);
  });

  it('names the service by the configured label list', () => {
    const body = payload('alertmanager', 'two-alerts-one-group.json');
    body.alerts[0].labels.app = 'checkout-app';
    body.alerts[0].labels.job = 'checkout-job';
    expect(alertsOf(alertmanagerSource.parse(body, context(['job', 'app'])))[0]!.service).toBe('checkout-job');
    expect(alertsOf(alertmanagerSource.parse(body, context(['app', 'job'])))[0]!.service).toBe('checkout-app');
    expect(alertsOf(alertmanagerSource.parse(body, context(['team'])))[0]!.service).toBe('');
  });
});
