// Alert and change builders shared by the store and queue integration tests.
import type { Alert } from '../../../src/model/alert.js';
import type { Change } from '../../../src/model/change.js';

export const T0 = Date.parse('2026-10-14T09:00:00.000Z');

export function alert(over: Partial<Alert> & { fingerprint: string }): Alert {
  return {
    service: 'checkout',
    name: 'HighErrorRate',
    severity: 'critical',
    status: 'firing',
    labels: { alertname: 'HighErrorRate', service: 'checkout' },
    summary: 'error rate above 5%',
    startsAt: T0,
    endsAt: null,
    source: 'alertmanager',
    ...over,
  };
}

export function resolved(a: Alert, endsAt: number): Alert {
  return { ...a, status: 'resolved', endsAt };
}

export function change(over: Partial<Change> & { id: string }): Change {
  return {
    service: 'checkout',
    version: 'v2',
    previousVersion: 'v1',
    environment: 'prod',
    at: T0,
    author: 'dev',
    source: 'deploy',
    ...over,
  };
}
