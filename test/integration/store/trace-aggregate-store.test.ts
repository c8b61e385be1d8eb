import { afterAll, describe, expect, it } from 'vitest';
import { TraceAggregateStore } from '../../../src/store/trace-aggregate-store.js';
import { redisKeys } from '../../../src/store/keys.js';
import {
  TRACE_BUCKET_MS,
  addCall,
  emptyCallStats,
  type EdgeAggregate,
  type ServiceAggregate,
} from '../../../src/model/trace-aggregate.js';
import { deleteKeys, newTestRedis, uniquePrefix } from '../../support/redis.js';

const redis = newTestRedis();
const prefix = uniquePrefix('trace-store');
const HOUR = 3_600_000;
const NOW = 1_800_000_000_000 - (1_800_000_000_000 % TRACE_BUCKET_MS);
const store = new TraceAggregateStore(redis, prefix, { retentionMs: 6 * HOUR });

afterAll(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
});

function edge(caller: string, callee: string, bucket: number, calls: Array<[number, boolean]>, over: Partial<EdgeAggregate> = {}): EdgeAggregate {
  const stats = emptyCallStats();
  for (const [ms, err] of calls) addCall(stats, ms, err);
  return { caller, callee, bucket, calleeUninstrumented: false, calleeKind: 'service', ...stats, ...over };
}

function service(name: string, bucket: number, calls: Array<[number, boolean]>, originErrors: number): ServiceAggregate {
  const stats = emptyCallStats();
  for (const [ms, err] of calls) addCall(stats, ms, err);
  return { service: name, bucket, originErrors, ...stats };
}

describe('TraceAggregateStore', () => {
  it('adds deltas up per edge and bucket and loads them back', async () => {
    const b0 = NOW - 2 * TRACE_BUCKET_MS;
    const b1 = NOW - TRACE_BUCKET_MS;
    await store.persist(
      {
        edges: [edge('checkout', 'orders-db', b0, [[3, false], [700, true]], { calleeKind: 'database', calleeUninstrumented: true })],
        services: [service('checkout', b0, [[12.5, false]], 0)],
      },
      NOW,
    );
    await store.persist(
      {
        edges: [
          edge('checkout', 'orders-db', b0, [[30, true]], { calleeKind: 'database', calleeUninstrumented: true }),
          edge('frontend', 'checkout', b1, [[120, false]], { clientLatencySumMs: 410.5 }),
        ],
        services: [service('checkout', b0, [[2.25, true]], 1)],
      },
      NOW,
    );
    const loaded = await store.load(b0);
    const db = loaded.edges.find((e) => e.callee === 'orders-db');
    expect(db).toEqual(edge('checkout', 'orders-db', b0, [[3, false], [700, true], [30, true]], { calleeKind: 'database', calleeUninstrumented: true }));
    // The caller's timing of the same calls is kept beside the callee's (decision 011).
    expect(loaded.edges.find((e) => e.caller === 'frontend')).toEqual(edge('frontend', 'checkout', b1, [[120, false]], { clientLatencySumMs: 410.5 }));
    expect(loaded.services).toEqual([service('checkout', b0, [[12.5, false], [2.25, true]], 1)]);
    // `since` filters by bucket.
    const later = await store.load(b1);
    expect(later.edges.map((e) => e.caller)).toEqual(['frontend']);
    expect(later.services).toEqual([]);
  });

  it("adds a service's spans per version up and loads them back", async () => {
    const b = NOW - 3 * TRACE_BUCKET_MS;
    const withVersions = (versions: ServiceAggregate['versions']): ServiceAggregate => ({ ...service('orders', b, [[10, false]], 0), versions });
    await store.persist({ edges: [], services: [withVersions([{ version: 'v1.2.0', calls: 1, errors: 0, latencySumMs: 10 }])] }, NOW);
    await store.persist({ edges: [], services: [withVersions([{ version: 'v1.2.0', calls: 3, errors: 0, latencySumMs: 31.5 }, { version: 'v1.3.0-rc.1', calls: 2, errors: 2, latencySumMs: 900 }])] }, NOW);
    const loaded = (await store.load(b)).services.find((s) => s.service === 'orders' && s.bucket === b)!;
    expect(loaded.calls).toBe(2);
    // A hash keeps no order: sorted by version.
    expect([...(loaded.versions ?? [])].sort((x, y) => x.version.localeCompare(y.version))).toEqual([
      { version: 'v1.2.0', calls: 4, errors: 0, latencySumMs: 41.5 },
      { version: 'v1.3.0-rc.1', calls: 2, errors: 2, latencySumMs: 900 },
    ]);
  });

  it("adds an edge's calls per version of its caller up and loads them back (decision 031)", async () => {
    const b = NOW - 4 * TRACE_BUCKET_MS;
    const withVersions = (versions: EdgeAggregate['versions']): EdgeAggregate => edge('checkout', 'payments', b, [[10, false]], { versions });
    await store.persist({ edges: [withVersions([{ version: 'v2.14.0', calls: 1, errors: 0, latencySumMs: 10 }])], services: [] }, NOW);
    await store.persist({ edges: [withVersions([{ version: 'v2.14.0', calls: 5, errors: 0, latencySumMs: 52.5 }, { version: 'v2.14.1', calls: 2, errors: 2, latencySumMs: 80 }])], services: [] }, NOW);
    const loaded = (await store.load(b)).edges.find((e) => e.caller === 'checkout' && e.bucket === b)!;
    expect(loaded.calls).toBe(2);
    expect([...(loaded.versions ?? [])].sort((x, y) => x.version.localeCompare(y.version))).toEqual([
      { version: 'v2.14.0', calls: 6, errors: 0, latencySumMs: 62.5 },
      { version: 'v2.14.1', calls: 2, errors: 2, latencySumMs: 80 },
    ]);
    // An edge whose calls named no version loads without any.
    await store.persist({ edges: [edge('cart', 'payments', b, [[5, false]])], services: [] }, NOW);
    expect((await store.load(b)).edges.find((e) => e.caller === 'cart')?.versions).toBeUndefined();
  });

  it('expires bucket keys at the end of retention and skips buckets already past it', async () => {
    const b = NOW - HOUR;
    await store.persist({ edges: [edge('a', 'b', b, [[1, false]])], services: [] }, NOW);
    const ttl = await redis.pttl(redisKeys(prefix).traces.bucket(b));
    expect(ttl).toBeGreaterThan(5 * HOUR - 60_000);
    expect(ttl).toBeLessThanOrEqual(5 * HOUR);

    const tooOld = NOW - 7 * HOUR;
    await store.persist({ edges: [edge('a', 'b', tooOld, [[1, false]])], services: [] }, NOW);
    expect(await redis.exists(redisKeys(prefix).traces.bucket(tooOld))).toBe(0);
    expect((await store.load(0)).edges.some((e) => e.bucket === tooOld)).toBe(false);
  });

  it('drops expired buckets from the index as time passes', async () => {
    const p = uniquePrefix('trace-store-index');
    const s = new TraceAggregateStore(redis, p, { retentionMs: HOUR });
    await s.persist({ edges: [edge('a', 'b', NOW, [[1, false]])], services: [] }, NOW);
    await s.persist({ edges: [edge('a', 'b', NOW + 2 * HOUR, [[1, false]])], services: [] }, NOW + 2 * HOUR);
    expect(await redis.zrange(redisKeys(p).traces.buckets, 0, -1)).toEqual([String(NOW + 2 * HOUR)]);
    await deleteKeys(redis, p);
  });
});
