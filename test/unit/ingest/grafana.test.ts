import { describe, expect, it } from 'vitest';
import { grafanaSource } from '../../../src/ingest/grafana.js';
import { alertsOf, context, issuesOf, payload } from './payload-fixture.js';

describe('grafanaSource', () => {
  it('normalises a firing unified-alerting webhook', () => {
    const alerts = alertsOf(grafanaSource.parse(payload('grafana', 'firing-two-alerts.json'), context()));
    expect(alerts[0]).toEqual({
      fingerprint: '5e1d6b7a9c0f2e34',
      service: 'checkout', // from `app`: no `service` label
      name: 'High p99 latency',
      severity: 'warning',
      status: 'firing',
      labels: {
        __alert_rule_uid__: 'fe4k2m7q0ab40c',
        alertname: 'High p99 latency',
        app: 'checkout',
        grafana_folder: 'Payments',
        namespace: 'prod',
        severity: 'warning',
      },
      summary: 'checkout p99 latency above 1s',
      startsAt: Date.parse('2026-11-23T23:44:10.157Z'), // +01:00 offset
      endsAt: null,
      source: 'grafana',
    });
  });

  it('names a DatasourceNoData alert after the rule it stands for', () => {
    const alerts = alertsOf(grafanaSource.parse(payload('grafana', 'firing-two-alerts.json'), context()));
    expect(alerts[1]).toMatchObject({ name: 'DatasourceNoData: Payments error ratio', fingerprint: 'a07c33e1d9b2f6c1', service: '', severity: 'unknown' });
  });

  it('reads a resolution with the same fingerprint and its end time', () => {
    const [alert] = alertsOf(grafanaSource.parse(payload('grafana', 'resolved.json'), context()));
    expect(alert).toMatchObject({
      fingerprint: '5e1d6b7a9c0f2e34',
      status: 'resolved',
      startsAt: Date.parse('2026-11-23T23:44:10.157Z'),
      endsAt: Date.parse('2026-11-23T23:58:10.157Z'),
    });
  });

  it('falls back to valueString when no summary annotation is set', () => {
    const body = payload('grafana', 'resolved.json');
    body.alerts[0].annotations = {};
    expect(alertsOf(grafanaSource.parse(body, context()))[0]!.summary).toMatch(/^\[ var='A'/);
  });

  it('keeps the good alert when another of the batch is bad, naming the bad field', () => {
    const body = payload('grafana', 'firing-two-alerts.json');
    body.alerts[1].endsAt = 'tomorrow';
    const result = grafanaSource.parse(body, context());
    expect(alertsOf(result).map((a) => a.fingerprint)).toEqual(['5e1d6b7a9c0f2e34']);
    expect(result.ok && result.rejected.map((i) => i.path)).toEqual(['alerts.1.endsAt']);
  });

  it('rejects a body without alerts', () => {
    expect(issuesOf(grafanaSource.parse({ receiver: 'x', alerts: 'none' }, context()))[0]!.path).toBe('alerts');
  });
});
