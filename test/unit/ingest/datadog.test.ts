import { describe, expect, it } from 'vitest';
import { datadogSource, parseDatadogTitle } from '../../../src/ingest/datadog.js';
import { labelFingerprint } from '../../../src/ingest/fingerprint.js';
import { RECEIVED_AT, alertsOf, context, issuesOf, payload } from './payload-fixture.js';

const TRIGGERED_AT = Date.parse('2026-11-24T00:48:00Z');
const RECOVERED_AT = Date.parse('2026-11-24T01:05:00Z');
const MONITOR_FP = labelFingerprint({ datadog_monitor_id: '48213377', scope: 'env:prod,service:payments' });

describe('datadogSource: extended payload', () => {
  it('normalises a Triggered notification', () => {
    const [alert] = alertsOf(datadogSource.parse(payload('datadog', 'extended-triggered.json'), context()));
    expect(alert).toEqual({
      fingerprint: MONITOR_FP,
      service: 'payments',
      name: 'Payments p99 latency high',
      severity: 'critical', // P1
      status: 'firing',
      labels: { env: 'prod', service: 'payments', team: 'payments', datadog_monitor_id: '48213377' },
      summary: 'trace.http.request.duration.by.service.99p over env:prod,service:payments was > 1.0 on average during the last 5m.',
      startsAt: TRIGGERED_AT,
      endsAt: null,
      source: 'datadog',
    });
  });

  it('turns Recovered into a resolution of the same fingerprint (scope order does not matter)', () => {
    const [alert] = alertsOf(datadogSource.parse(payload('datadog', 'extended-recovered.json'), context()));
    expect(alert).toMatchObject({ fingerprint: MONITOR_FP, status: 'resolved', startsAt: RECOVERED_AT, endsAt: RECOVERED_AT, service: 'payments' });
  });

  it('reads $DATE in seconds as well as milliseconds, and falls back to last_updated then receipt', () => {
    const body = payload('datadog', 'extended-triggered.json');
    body.date = '1795481280';
    expect(alertsOf(datadogSource.parse(body, context()))[0]!.startsAt).toBe(TRIGGERED_AT);
    body.date = 1795481280000;
    expect(alertsOf(datadogSource.parse(body, context()))[0]!.startsAt).toBe(TRIGGERED_AT);
    body.date = '';
    body.last_updated = 1795482300;
    expect(alertsOf(datadogSource.parse(body, context()))[0]!.startsAt).toBe(RECOVERED_AT);
    delete body.last_updated;
    expect(alertsOf(datadogSource.parse(body, context()))[0]!.startsAt).toBe(RECEIVED_AT);
  });

  it('maps a Warn transition to warning', () => {
    const body = payload('datadog', 'extended-triggered.json');
    body.alert_transition = 'Warn';
    body.alert_type = 'warning';
    expect(alertsOf(datadogSource.parse(body, context()))[0]).toMatchObject({ severity: 'warning', status: 'firing' });
  });
});

describe('datadogSource: default payload', () => {
  it('reads transition, scope and name from the event title', () => {
    const [alert] = alertsOf(datadogSource.parse(payload('datadog', 'default-triggered.json'), context()));
    expect(alert).toMatchObject({
      fingerprint: labelFingerprint({ alertname: 'Payments p99 latency high', scope: 'env:prod,service:payments' }),
      service: 'payments',
      name: 'Payments p99 latency high',
      severity: 'unknown',
      status: 'firing',
      labels: { env: 'prod', service: 'payments' },
      startsAt: TRIGGERED_AT,
      endsAt: null,
    });
    expect(alert!.summary.startsWith('@webhook-rcabot Payments p99 latency is above 1s.')).toBe(true);
    expect(alert!.summary.length).toBeLessThanOrEqual(300);
  });

  it('reads a [Recovered] title as a resolution', () => {
    const body = payload('datadog', 'default-triggered.json');
    body.title = body.title.replace('Triggered', 'Recovered');
    const [alert] = alertsOf(datadogSource.parse(body, context()));
    expect(alert).toMatchObject({ status: 'resolved', endsAt: TRIGGERED_AT, name: 'Payments p99 latency high' });
  });

  it('splits bracketed prefixes off a title', () => {
    expect(parseDatadogTitle('[P2] [Re-Triggered on {host:web-1}] Host is Down')).toEqual({
      name: 'Host is Down',
      transition: 'Re-Triggered',
      scope: 'host:web-1',
      priority: 'P2',
    });
    expect(parseDatadogTitle('[prod] Disk full')).toEqual({ name: '[prod] Disk full', transition: '', scope: '', priority: '' });
  });
});

describe('datadogSource: invalid input', () => {
  it('requires a title and names the field', () => {
    expect(issuesOf(datadogSource.parse({ id: '1', body: 'x' }, context()))).toEqual([
      { path: 'title', message: 'title ($EVENT_TITLE) or alert_title ($ALERT_TITLE) is required' },
    ]);
  });

  it('names a date that is not a time, or a tag list of the wrong type', () => {
    const body = payload('datadog', 'extended-triggered.json');
    body.date = 'Tue Nov 24';
    body.tags = 7;
    expect(issuesOf(datadogSource.parse(body, context())).map((i) => i.path)).toEqual(['date', 'tags']);
  });
});
