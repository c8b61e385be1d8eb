import { describe, expect, it } from 'vitest';
import { AlertJobCoalescer, type PendingAlertsJob } from '../../../src/queue/alert-job-coalescer.js';
import { decodeEncodedAlerts, encodeAlerts } from '../../../src/store/alert-store.js';
import type { Alert } from '../../../src/model/alert.js';

const alert = (fingerprint: string): Alert => ({
  fingerprint,
  service: 'checkout',
  name: 'HighErrorRate',
  severity: 'critical',
  status: 'firing',
  labels: { alertname: 'HighErrorRate', service: 'checkout' },
  summary: 'errors | "quoted"',
  startsAt: 1000,
  endsAt: null,
  source: 'alertmanager',
});

const job = (fps: string[], traceparent?: string): PendingAlertsJob => ({
  type: 'alertmanager',
  ...(traceparent ? { traceContext: { traceparent } } : {}),
  receivedAt: 5,
  alerts: encodeAlerts(fps.map(alert)),
});

/** An add whose completion the test controls. */
function controlledAdd() {
  const added: PendingAlertsJob[] = [];
  const pending: Array<{ resolve(): void; reject(e: Error): void }> = [];
  const add = (j: PendingAlertsJob) =>
    new Promise<void>((resolve, reject) => {
      added.push(j);
      pending.push({ resolve, reject });
    });
  return { added, pending, add };
}

const fingerprintsOf = (j: PendingAlertsJob) =>
  decodeEncodedAlerts(j.alerts).map((a) => a.fingerprint);

describe('AlertJobCoalescer', () => {
  it('adds a request at once when idle, and merges the requests that arrive meanwhile into the next job', async () => {
    const c = controlledAdd();
    const coalescer = new AlertJobCoalescer(c.add);
    const first = coalescer.submit(job(['a'], 'trace-1'));
    const second = coalescer.submit(job(['b', 'c'], 'trace-2'));
    const third = coalescer.submit(job(['d']));
    expect(c.added.map(fingerprintsOf)).toEqual([['a']]);
    c.pending[0]!.resolve();
    await first;
    expect(c.added.map(fingerprintsOf)).toEqual([['a'], ['b', 'c', 'd']]);
    // The merged job keeps the first request's trace context and decodes to the alerts in arrival order.
    expect(c.added[1]!.traceContext).toEqual({ traceparent: 'trace-2' });
    expect(c.added[1]!.alerts.count).toBe(3);
    let settled = false;
    void second.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false); // acknowledged only once its own job is in Redis
    c.pending[1]!.resolve();
    await Promise.all([second, third]);
  });

  it('rejects every request of a job whose add failed, and carries on with later ones', async () => {
    const c = controlledAdd();
    const coalescer = new AlertJobCoalescer(c.add);
    const first = coalescer.submit(job(['a']));
    const second = coalescer.submit(job(['b']));
    const third = coalescer.submit(job(['c']));
    c.pending[0]!.resolve();
    await first;
    c.pending[1]!.reject(new Error('redis down'));
    await expect(second).rejects.toThrow('redis down');
    await expect(third).rejects.toThrow('redis down');
    const fourth = coalescer.submit(job(['d']));
    expect(c.added.map(fingerprintsOf)).toEqual([['a'], ['b', 'c'], ['d']]);
    c.pending[2]!.resolve();
    await fourth;
  });

  it('bounds a merged job by maxAlerts, but never splits one request', async () => {
    const c = controlledAdd();
    const coalescer = new AlertJobCoalescer(c.add, 3);
    const all = [coalescer.submit(job(['a'])), coalescer.submit(job(['b', 'c'])), coalescer.submit(job(['d', 'e'])), coalescer.submit(job(['f', 'g', 'h', 'i']))];
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setImmediate(r));
      c.pending[i]?.resolve();
    }
    await Promise.all(all);
    expect(c.added.map(fingerprintsOf)).toEqual([['a'], ['b', 'c'], ['d', 'e'], ['f', 'g', 'h', 'i']]);
  });
});
