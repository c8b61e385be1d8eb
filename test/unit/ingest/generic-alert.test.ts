import { describe, expect, it } from 'vitest';
import { labelFingerprint } from '../../../src/ingest/fingerprint.js';
import { genericAlertSource } from '../../../src/ingest/generic-alert.js';
import { RECEIVED_AT, alertsOf, context, issuesOf, payload } from './payload-fixture.js';

describe('genericAlertSource', () => {
  it('normalises a single alert object with defaults (firing, hashed fingerprint, service from labels)', () => {
    const [alert] = alertsOf(genericAlertSource.parse(payload('alert', 'single.json'), context()));
    expect(alert).toEqual({
      fingerprint: labelFingerprint({ app: 'billing-worker', queue: 'invoices', env: 'prod', alertname: 'QueueBacklogHigh' }),
      service: 'billing-worker',
      name: 'QueueBacklogHigh',
      severity: 'warning',
      status: 'firing',
      labels: { app: 'billing-worker', queue: 'invoices', env: 'prod' },
      summary: 'invoices queue backlog above 10k for 5m',
      startsAt: Date.parse('2026-11-24T00:47:30Z'),
      endsAt: null,
      source: 'alert',
    });
  });

  it('normalises {alerts:[...]} with explicit service and fingerprint', () => {
    const alerts = alertsOf(genericAlertSource.parse(payload('alert', 'batch.json'), context()));
    expect(alerts.map((a) => [a.fingerprint, a.service, a.status, a.severity, a.endsAt])).toEqual([
      ['synthetic-homepage-eu', 'storefront', 'firing', 'critical', null],
      ['synthetic-login-eu', 'storefront', 'resolved', 'critical', Date.parse('2026-11-24T00:45:00Z')],
    ]);
    expect(alerts[0]!.startsAt).toBe(Date.parse('2026-11-24T00:46:00.250Z'));
  });

  it('needs only a name: start and end default to the receipt time', () => {
    const [alert] = alertsOf(genericAlertSource.parse({ name: 'Smoke', status: 'resolved' }, context()));
    expect(alert).toMatchObject({ name: 'Smoke', service: '', severity: 'unknown', startsAt: RECEIVED_AT, endsAt: RECEIVED_AT, labels: {}, summary: '' });
  });

  it('lets an explicit service win over labels, and counts it in the hashed identity', () => {
    const a = alertsOf(genericAlertSource.parse({ name: 'X', service: 'api', labels: { app: 'web' } }, context()))[0]!;
    const b = alertsOf(genericAlertSource.parse({ name: 'X', service: 'db', labels: { app: 'web' } }, context()))[0]!;
    expect(a.service).toBe('api');
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it('rejects a single alert without a name or with a bad status, naming the fields', () => {
    expect(issuesOf(genericAlertSource.parse({ status: 'open', startsAt: 5 }, context())).map((i) => i.path)).toEqual(['name', 'status', 'startsAt']);
  });

  it('keeps the good alerts of a batch and names the bad one', () => {
    const body = payload('alert', 'batch.json');
    body.alerts.push({ name: 'Broken', labels: { a: 1 } });
    const result = genericAlertSource.parse(body, context());
    expect(alertsOf(result)).toHaveLength(2);
    expect(result.ok && result.rejected).toEqual([{ path: 'alerts.2.labels.a', message: 'Invalid input: expected string, received number' }]);
  });

  it('rejects {alerts} that is not an array', () => {
    expect(issuesOf(genericAlertSource.parse({ alerts: {} }, context()))[0]!.path).toBe('alerts');
  });
});
