import { describe, expect, it } from 'vitest';
import { serviceFromLabels } from '../../../src/ingest/service-label.js';
import { DEFAULT_SERVICE_LABELS } from '../../../src/ingest/source.js';
import { severityFromDatadog, severityFromPagerDuty, severityFromText } from '../../../src/ingest/severity.js';

describe('serviceFromLabels', () => {
  it('takes the first present label of the default list: service, then app, then ... job', () => {
    expect(serviceFromLabels({ job: 'node', app: 'cart', service: 'checkout' }, DEFAULT_SERVICE_LABELS)).toBe('checkout');
    expect(serviceFromLabels({ job: 'node', app: 'cart' }, DEFAULT_SERVICE_LABELS)).toBe('cart');
    expect(serviceFromLabels({ job: 'node', app_kubernetes_io_name: 'cart-k8s' }, DEFAULT_SERVICE_LABELS)).toBe('cart-k8s');
    expect(serviceFromLabels({ job: 'node', container: 'c' }, DEFAULT_SERVICE_LABELS)).toBe('node');
    expect(serviceFromLabels({ container: 'c' }, DEFAULT_SERVICE_LABELS)).toBe('c');
  });

  it('skips empty values and returns "" when no label names a service', () => {
    expect(serviceFromLabels({ service: '', app: 'cart' }, DEFAULT_SERVICE_LABELS)).toBe('cart');
    expect(serviceFromLabels({ instance: 'x:9100' }, DEFAULT_SERVICE_LABELS)).toBe('');
  });

  it('follows a configured list and its order', () => {
    expect(serviceFromLabels({ service: 'checkout', job: 'node', team: 'pay' }, ['job', 'service'])).toBe('node');
    expect(serviceFromLabels({ service: 'checkout' }, ['team'])).toBe('');
    expect(serviceFromLabels({}, ['toString'])).toBe('');
  });
});

describe('severity mapping', () => {
  it('maps common words case-insensitively and unknown words to "unknown"', () => {
    expect(severityFromText('CRITICAL')).toBe('critical');
    expect(severityFromText('page')).toBe('critical');
    expect(severityFromText('warn')).toBe('warning');
    expect(severityFromText('P2')).toBe('error');
    expect(severityFromText('info')).toBe('info');
    expect(severityFromText('whatever')).toBe('unknown');
    expect(severityFromText(undefined)).toBe('unknown');
  });

  it('PagerDuty: priority wins over urgency', () => {
    expect(severityFromPagerDuty('P1', 'low')).toBe('critical');
    expect(severityFromPagerDuty(null, 'high')).toBe('error');
    expect(severityFromPagerDuty(undefined, 'low')).toBe('warning');
    expect(severityFromPagerDuty(undefined, undefined)).toBe('unknown');
  });

  it('Datadog: a Warn transition is a warning; else priority; else alert type', () => {
    expect(severityFromDatadog('Re-Warn', 'P1', 'error')).toBe('warning');
    expect(severityFromDatadog('Triggered', 'P1', 'error')).toBe('critical');
    expect(severityFromDatadog('Triggered', undefined, 'error')).toBe('error');
    expect(severityFromDatadog('Recovered', undefined, 'success')).toBe('info');
  });
});
