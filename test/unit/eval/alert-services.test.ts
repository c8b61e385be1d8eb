import { describe, it, expect } from 'vitest';
import { alertServices } from '../../../bench/alert-services.js';

const am = (fingerprint: string, labels: Record<string, string>): string =>
  JSON.stringify({
    type: 'alertmanager',
    receivedAt: '2026-10-14T09:00:31.000Z',
    payload: {
      version: '4', status: 'firing', receiver: 'rcabot', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am', groupKey: '{}',
      alerts: [{ status: 'firing', labels, annotations: {}, startsAt: '2026-10-14T09:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint }],
    },
  });

describe('alertServices', () => {
  it('names each alert\'s service by the contract\'s labels, and skips what carries no alerts or does not parse', () => {
    const lines = [
      am('aaaa000000000001', { alertname: 'HighErrorRate', service: 'checkout' }),
      am('aaaa000000000002', { alertname: 'HighLatency', app: 'orders-db' }),
      am('aaaa000000000003', { alertname: 'DiskFull' }),
      '{"type":"deploy","receivedAt":"2026-10-14T09:00:00Z","payload":{"service":"checkout","version":"v2","timestamp":"2026-10-14T08:58:00Z"}}',
      '{not json',
      '',
    ];
    expect([...alertServices(lines)]).toEqual([
      ['aaaa000000000001', 'checkout'],
      ['aaaa000000000002', 'orders-db'],
    ]);
  });
});
