import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { labelFingerprint } from '../../../src/ingest/fingerprint.js';
import { pagerdutySource, verifyPagerDutySignature } from '../../../src/ingest/pagerduty.js';
import { alertsOf, context, issuesOf, payload, rawPayload } from './payload-fixture.js';

const INCIDENT_FP = labelFingerprint({ pagerduty_incident_id: 'Q2K5B0XJ7WQ1ZP' });

describe('pagerdutySource', () => {
  it('turns incident.triggered into a firing alert', () => {
    const result = pagerdutySource.parse(payload('pagerduty', 'incident-triggered.json'), context());
    expect(alertsOf(result)).toEqual([
      {
        fingerprint: INCIDENT_FP,
        service: 'payments-api',
        name: 'Payments API error rate above 5%',
        severity: 'critical', // priority P1
        status: 'firing',
        labels: { pagerduty_incident_id: 'Q2K5B0XJ7WQ1ZP', pagerduty_service: 'payments-api', urgency: 'high', priority: 'P1' },
        summary: 'Payments API error rate above 5%',
        startsAt: Date.parse('2026-11-24T00:46:01Z'),
        endsAt: null,
        source: 'pagerduty',
      },
    ]);
  });

  it('turns incident.resolved into a resolution of the same fingerprint', () => {
    const [alert] = alertsOf(pagerdutySource.parse(payload('pagerduty', 'incident-resolved.json'), context()));
    expect(alert).toMatchObject({
      fingerprint: INCIDENT_FP,
      status: 'resolved',
      startsAt: Date.parse('2026-11-24T00:46:01Z'),
      endsAt: Date.parse('2026-11-24T01:12:44.087Z'),
    });
  });

  it('names the service by the label rule on custom fields, and maps low urgency without priority', () => {
    const [alert] = alertsOf(pagerdutySource.parse(payload('pagerduty', 'incident-acknowledged-custom-fields.json'), context()));
    expect(alert).toMatchObject({ service: 'orders-db', status: 'firing', severity: 'warning', name: 'Disk almost full on orders-db-0' });
    expect(alert!.labels).toMatchObject({ service: 'orders-db', environment: 'prod', pagerduty_service: 'Databases' });
    // With a label list that no custom field matches, the PagerDuty service's name is used.
    const [other] = alertsOf(pagerdutySource.parse(payload('pagerduty', 'incident-acknowledged-custom-fields.json'), context(['app'])));
    expect(other!.service).toBe('Databases');
  });

  it('accepts and ignores events that are not about an incident itself', () => {
    for (const file of ['incident-annotated.json', 'service-updated.json']) {
      const result = pagerdutySource.parse(payload('pagerduty', file), context());
      expect(alertsOf(result)).toEqual([]);
      expect(result.ok && result.accepted).toBe(0);
    }
  });

  it('rejects a body without an event, or an incident without an id, naming the field', () => {
    expect(issuesOf(pagerdutySource.parse({ messages: [] }, context()))[0]!.path).toBe('event');
    const body = payload('pagerduty', 'incident-triggered.json');
    delete body.event.data.id;
    expect(issuesOf(pagerdutySource.parse(body, context())).map((i) => i.path)).toEqual(['event.data.id']);
    const late = payload('pagerduty', 'incident-triggered.json');
    late.event.occurred_at = 12;
    expect(issuesOf(pagerdutySource.parse(late, context())).map((i) => i.path)).toEqual(['event.occurred_at']);
  });
});

describe('verifyPagerDutySignature', () => {
  const body = rawPayload('pagerduty', 'incident-triggered.json');
  const sign = (secret: string, bytes: Buffer = body): string => `v1=${createHmac('sha256', secret).update(bytes).digest('hex')}`;

  it('accepts a valid signature', () => {
    expect(verifyPagerDutySignature(body, sign('s3cret'), ['s3cret'])).toBe(true);
  });

  it('accepts when any listed signature matches any configured secret (rotation)', () => {
    expect(verifyPagerDutySignature(body, `${sign('old')},${sign('new')}`, ['new'])).toBe(true);
    expect(verifyPagerDutySignature(body, sign('old'), ['new', 'old'])).toBe(true);
  });

  it('rejects a wrong secret, a missing header, a malformed header and no secrets', () => {
    expect(verifyPagerDutySignature(body, sign('other'), ['s3cret'])).toBe(false);
    expect(verifyPagerDutySignature(body, undefined, ['s3cret'])).toBe(false);
    expect(verifyPagerDutySignature(body, 'v1=abc', ['s3cret'])).toBe(false);
    expect(verifyPagerDutySignature(body, sign('s3cret').replace('v1=', 'v2='), ['s3cret'])).toBe(false);
    expect(verifyPagerDutySignature(body, sign('s3cret'), [])).toBe(false);
  });

  it('rejects a tampered body', () => {
    const tampered = Buffer.from(body.toString('utf8').replace('P1', 'P5'));
    expect(verifyPagerDutySignature(tampered, sign('s3cret'), ['s3cret'])).toBe(false);
  });
});
