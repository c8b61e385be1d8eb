import { afterAll, describe, expect, it } from 'vitest';
import { ChangeStore } from '../../../src/store/change-store.js';
import { deleteKeys, newTestRedis, uniquePrefix } from '../../support/redis.js';
import { T0, change } from './alert-fixtures.js';

const redis = newTestRedis();
const prefix = uniquePrefix('change-store');
const store = new ChangeStore(redis, prefix);

afterAll(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
});

describe('ChangeStore', () => {
  it('stores each change once by id, keeps the first report, and lists them oldest first', async () => {
    const a = change({ id: 'd1', at: T0 + 2000 });
    const b = change({ id: 'd2', at: T0 + 1000, service: 'payments' });
    expect(await store.applyChanges([a, b, a])).toEqual({ fresh: [a, b], duplicates: 1 });
    expect(await store.applyChanges([{ ...a, version: 'v9' }])).toEqual({ fresh: [], duplicates: 1 });
    expect(await store.since(T0)).toEqual([b, a]);
    expect(await store.since(T0 + 1500)).toEqual([a]);
  });

  it('prunes changes older than the bound', async () => {
    const old = change({ id: 'old', at: T0 - 100_000 });
    await store.applyChanges([old]);
    expect(await store.since(0)).toContainEqual(old);
    expect(await store.prune(T0 - 50_000)).toBe(1);
    expect((await store.since(0)).map((c) => c.id)).not.toContain('old');
    // Once pruned, the id is forgotten: a re-report is stored again (retention is the dedup horizon).
    expect((await store.applyChanges([old])).fresh).toEqual([old]);
  });
});
