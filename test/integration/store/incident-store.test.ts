import { afterAll, describe, expect, it } from 'vitest';
import { IncidentStore } from '../../../src/store/incident-store.js';
import type { IncidentReport } from '../../../src/model/incident.js';
import { deleteKeys, newTestRedis, uniquePrefix } from '../../support/redis.js';

const redis = newTestRedis();
const prefix = uniquePrefix('incident-store');
const store = new IncidentStore(redis, prefix);

afterAll(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
});

function report(id: string, service: string): IncidentReport {
  return {
    id,
    title: `${service} errors`,
    status: 'open',
    openedAt: '2026-10-14T09:00:00.000Z',
    alerts: ['fp1', 'fp2'],
    services: [service, 'orders-db'],
    rootCauses: [{ service: 'orders-db', score: 0.82, evidence: [{ kind: 'trace', detail: 'error rate 40%' }] }],
    similarIncidents: [{ id: 'INC-1001', similarity: 0.7, rootCause: 'orders-db' }],
    remediations: [{ runbook: 'db-failover', action: 'restart', target: 'orders-db' }],
  };
}

describe('IncidentStore', () => {
  it('round-trips a set of incidents in order and by id', async () => {
    const a = report('inc-b', 'checkout');
    const b = report('inc-a', 'payments');
    await store.save([a, b]);
    expect(await store.list()).toEqual([a, b]);
    expect(await store.get('inc-a')).toEqual(b);
    expect(await store.get('nope')).toBeNull();
  });

  it('replaces the whole set on save (an incident no longer reported disappears)', async () => {
    await store.save([report('x', 'checkout'), report('y', 'cart')]);
    const z = report('z', 'search');
    await store.save([z]);
    expect(await store.list()).toEqual([z]);
    expect(await store.get('x')).toBeNull();
    await store.save([]);
    expect(await store.list()).toEqual([]);
    expect(await store.get('z')).toBeNull();
  });

  it('starts empty', async () => {
    const empty = new IncidentStore(redis, uniquePrefix('incident-store-empty'));
    expect(await empty.list()).toEqual([]);
  });
});
