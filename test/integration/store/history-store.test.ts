import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Redis } from 'ioredis';
import type { HistoricalIncident } from '../../../src/model/history.js';
import { HistoryStore } from '../../../src/store/history-store.js';
import { deleteKeys, newTestRedis, uniquePrefix } from '../../support/redis.js';

const incident = (n: number, title = `incident ${n}`): HistoricalIncident => ({
  id: `INC-${String(n).padStart(5, '0')}`,
  title,
  openedAt: '2026-09-01T10:00:00Z',
  resolvedAt: '2026-09-01T11:00:00Z',
  rootCause: { service: `svc-${n % 17}`, category: 'deploy' },
  alerts: [{ service: `svc-${n % 5}`, alertname: 'HighErrorRate' }],
  ...(n % 2 === 0 ? { remediation: { runbook: 'rollback', target: `svc-${n % 17}` } } : {}),
});

describe('HistoryStore (real Redis)', () => {
  let redis: Redis;
  const prefix = uniquePrefix('history-store');

  beforeAll(() => {
    redis = newTestRedis();
  });
  afterAll(async () => {
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('imports more than one batch and reads every incident back, equal and sorted by id', async () => {
    const store = new HistoryStore(redis, `${prefix}a:`);
    const incidents = Array.from({ length: 2500 }, (_, i) => incident(2500 - i));
    expect(await store.import(incidents)).toBe(2500);
    expect(await store.count()).toBe(2500);
    const all = await store.all();
    expect(all).toHaveLength(2500);
    expect(all[0]).toEqual(incident(1));
    expect(all[1]).toEqual(incident(2));
    expect(all.at(-1)).toEqual(incident(2500));
    expect(all.map((i) => i.id)).toEqual([...all.map((i) => i.id)].sort());
  });

  it('is idempotent by id: importing again changes nothing, a later entry with the same id wins', async () => {
    const store = new HistoryStore(redis, `${prefix}b:`);
    await store.import([incident(1), incident(2)]);
    expect(await store.import([incident(1), incident(2), incident(2, 'second')])).toBe(2);
    expect(await store.count()).toBe(2);
    expect((await store.all()).map((i) => i.title)).toEqual(['incident 1', 'second']);
  });

  it('adds one incident, replacing one with the same id', async () => {
    const store = new HistoryStore(redis, `${prefix}c:`);
    await store.import([incident(1)]);
    await store.add(incident(2));
    await store.add(incident(1, 'confirmed in Slack'));
    expect(await store.count()).toBe(2);
    expect(await store.all()).toEqual([incident(1, 'confirmed in Slack'), incident(2)]);
  });

  it('starts empty, and keeps deployments with different prefixes apart', async () => {
    const empty = new HistoryStore(redis, `${prefix}d:`);
    expect(await empty.count()).toBe(0);
    expect(await empty.all()).toEqual([]);
    expect(await empty.import([])).toBe(0);
  });

  it('skips and reports a stored entry that no longer validates', async () => {
    const invalid: Array<[string, string[]]> = [];
    const store = new HistoryStore(redis, `${prefix}e:`, { onInvalid: (id, issues) => invalid.push([id, issues.map((i) => i.path)]) });
    await store.add(incident(1));
    await redis.hset(`${prefix}e:history:incidents`, 'INC-bad', JSON.stringify({ ...incident(9), rootCause: { service: 'x' } }));
    await redis.hset(`${prefix}e:history:incidents`, 'INC-garbled', '{not json');
    expect(await store.all()).toEqual([incident(1)]);
    expect(invalid.sort()).toEqual([
      ['INC-bad', ['rootCause.category']],
      ['INC-garbled', ['(root)']],
    ]);
  });
});
