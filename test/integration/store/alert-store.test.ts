import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertStore, encodeAlerts } from '../../../src/store/alert-store.js';
import { redisKeys } from '../../../src/store/keys.js';
import { deleteKeys, newTestRedis, uniquePrefix } from '../../support/redis.js';
import { T0, alert, resolved } from './alert-fixtures.js';

const redis = newTestRedis();
const other = newTestRedis();
let prefix = uniquePrefix('alert-store');
let store = new AlertStore(redis, prefix);

beforeEach(async () => {
  await deleteKeys(redis, prefix);
  prefix = uniquePrefix('alert-store');
  store = new AlertStore(redis, prefix);
});

afterAll(async () => {
  await deleteKeys(redis, prefix);
  await Promise.all([redis.quit(), other.quit()]);
});

const byFp = (xs: { fingerprint: string }[]) => [...xs].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));

describe('AlertStore.applyAlerts', () => {
  it('stores a new alert as fresh and the same alert again as a duplicate', async () => {
    const a = alert({ fingerprint: 'fp1' });
    expect(await store.applyAlerts([a])).toEqual({ fresh: [a], duplicates: 0 });
    expect(await store.applyAlerts([{ ...a, summary: 'resent by repeat_interval' }])).toEqual({ fresh: [], duplicates: 1 });
    expect(await store.openAndRecent(T0)).toEqual([a]);
  });

  it('collapses duplicates inside one batch (an HA pair in the same commit)', async () => {
    const a = alert({ fingerprint: 'fp1' });
    const b = alert({ fingerprint: 'fp2' });
    const r = await store.applyAlerts([a, b, a, b, a]);
    expect(r.fresh).toEqual([a, b]);
    expect(r.duplicates).toBe(3);
  });

  it('stores an alert once when two clients apply it at the same moment', async () => {
    const otherStore = new AlertStore(other, prefix);
    const batch = Array.from({ length: 300 }, (_, i) => alert({ fingerprint: `fp${i}` }));
    const [x, y] = await Promise.all([store.applyAlerts(batch), otherStore.applyAlerts([...batch].reverse())]);
    expect(x.fresh.length + y.fresh.length).toBe(300);
    expect(x.duplicates + y.duplicates).toBe(300);
    expect(await store.openAndRecent(T0)).toHaveLength(300);
  });

  it('marks a resolved alert resolved (kept, not dropped) and ignores a late firing copy', async () => {
    const a = alert({ fingerprint: 'fp1' });
    const r = resolved(a, T0 + 60_000);
    await store.applyAlerts([a]);
    expect((await store.applyAlerts([r])).fresh).toEqual([r]);
    // The slower HA peer's firing notification arrives after the resolve: stale, not a reopen.
    expect(await store.applyAlerts([a])).toEqual({ fresh: [], duplicates: 1 });
    expect(await store.openAndRecent(T0)).toEqual([r]);
    expect(await redis.zscore(redisKeys(prefix).alerts.resolved, 'fp1')).toBe(String(T0 + 60_000));
  });

  it('treats a later startsAt as a new episode and an earlier one as stale', async () => {
    const first = alert({ fingerprint: 'fp1' });
    await store.applyAlerts([first, resolved(first, T0 + 1000)]);
    const second = alert({ fingerprint: 'fp1', startsAt: T0 + 5000 });
    expect((await store.applyAlerts([second])).fresh).toEqual([second]);
    expect((await store.applyAlerts([alert({ fingerprint: 'fp1', startsAt: T0 - 5000 })])).duplicates).toBe(1);
    expect(await store.openAndRecent(0)).toEqual([second]);
    // Firing again, it is no longer among the resolved alerts that age out.
    expect(await store.prune(T0 + 2000)).toBe(0);
    expect(await store.openAndRecent(0)).toEqual([second]);
  });

  it('keeps the final state when one batch holds firing then resolved of the same alert', async () => {
    const a = alert({ fingerprint: 'fp1' });
    const r = resolved(a, T0 + 10);
    const res = await store.applyAlerts([a, r]);
    expect(res.fresh).toEqual([a, r]);
    expect(await store.openAndRecent(0)).toEqual([r]);
  });

  it('handles batches larger than the Lua chunk size', async () => {
    const batch = Array.from({ length: 2600 }, (_, i) =>
      i % 2 === 0 ? alert({ fingerprint: `fp${i}` }) : resolved(alert({ fingerprint: `fp${i}` }), T0 + i),
    );
    const r = await store.applyAlerts(batch);
    expect(r.fresh).toHaveLength(2600);
    expect(byFp(await store.openAndRecent(0))).toEqual(byFp(batch));
    expect((await store.applyAlerts(batch)).duplicates).toBe(2600);
  });
});

describe('AlertStore.openAndRecent and prune', () => {
  it('returns firing alerts whatever their age and resolved ones only since the given time', async () => {
    const old = alert({ fingerprint: 'old-firing', startsAt: T0 - 86_400_000 });
    const r1 = resolved(alert({ fingerprint: 'r-early' }), T0 + 1000);
    const r2 = resolved(alert({ fingerprint: 'r-late' }), T0 + 9000);
    await store.applyAlerts([old, r1, r2]);
    expect(byFp(await store.openAndRecent(T0 + 5000))).toEqual(byFp([old, r2]));
  });

  it('prunes resolved alerts that aged out, keeps firing ones unless asked, and forgets their identity', async () => {
    const firing = alert({ fingerprint: 'firing', startsAt: T0 - 10_000_000 });
    const oldR = resolved(alert({ fingerprint: 'old' }), T0 + 1000);
    const newR = resolved(alert({ fingerprint: 'new', startsAt: T0 - 10_000_000 }), T0 + 9000);
    await store.applyAlerts([firing, oldR, newR]);
    expect(await store.prune(T0 + 5000)).toBe(1);
    expect(byFp(await store.openAndRecent(0))).toEqual(byFp([firing, newR]));
    const k = redisKeys(prefix).alerts;
    expect(await redis.hexists(k.state, 'old')).toBe(0);
    expect(await redis.zscore(k.resolved, 'old')).toBeNull();
    // Stale firing alerts (their resolve was lost) go only with an explicit bound; a resolved one as old is not stale.
    expect(await store.prune(T0 + 5000, T0 - 1_000_000)).toBe(1);
    expect(await store.openAndRecent(0)).toEqual([newR]);
    expect(await redis.hlen(k.state)).toBe(1);
  });

  it('sweeps a large firing set for stale alerts over several bounded calls', async () => {
    const stale = Array.from({ length: 5_000 }, (_, i) => alert({ fingerprint: `stale${i}`, startsAt: T0 - 10_000_000 }));
    const live = Array.from({ length: 10 }, (_, i) => alert({ fingerprint: `live${i}` }));
    for (let i = 0; i < stale.length; i += 5000) await store.applyAlerts(stale.slice(i, i + 5000));
    await store.applyAlerts(live);
    let removed = 0;
    let calls = 0;
    while (removed < stale.length && calls < 20) {
      removed += await store.prune(T0 - 86_400_000, T0 - 1_000_000);
      calls++;
    }
    expect(removed).toBe(stale.length);
    // Each call looks at about 1,000 entries: a hash of 5,010 takes five or six.
    expect(calls).toBeGreaterThanOrEqual(5);
    expect(calls).toBeLessThanOrEqual(9);
    expect(byFp(await store.openAndRecent(0))).toEqual(byFp(live));
  });

  it('goes on where the last call stopped, so stale alerts among many live ones are all found', async () => {
    const live = Array.from({ length: 8_000 }, (_, i) => alert({ fingerprint: `live${i}` }));
    const stale = Array.from({ length: 30 }, (_, i) => alert({ fingerprint: `stale${i}`, startsAt: T0 - 10_000_000 }));
    for (let i = 0; i < live.length; i += 5000) await store.applyAlerts(live.slice(i, i + 5000));
    await store.applyAlerts(stale);
    let removed = 0;
    for (let call = 0; call < 12; call++) removed += await store.prune(T0 - 86_400_000, T0 - 1_000_000);
    expect(removed).toBe(stale.length);
    expect(await redis.hlen(redisKeys(prefix).alerts.state)).toBe(live.length);
  });
});

describe('AlertStore: the firing indexes earlier versions kept beside the state', () => {
  /** An alert as an earlier version stored it: its state, and its fingerprint in both firing indexes. */
  async function storeLegacyFiring(a: ReturnType<typeof alert>): Promise<void> {
    const k = redisKeys(prefix).alerts;
    await redis.hset(k.state, a.fingerprint, `${a.startsAt}|f|${JSON.stringify(a)}`);
    await redis.zadd(k.legacyOpen, a.startsAt, a.fingerprint);
    await redis.hset(k.legacyFiring, a.fingerprint, String(a.startsAt));
  }

  it('reads their alerts as firing from the state, deduplicates against them, and resolves them', async () => {
    const a = alert({ fingerprint: 'legacy' });
    await storeLegacyFiring(a);
    expect(await store.openAndRecent(T0)).toEqual([a]);
    expect(await store.applyAlerts([a])).toEqual({ fresh: [], duplicates: 1 });
    const r = resolved(a, T0 + 60_000);
    expect((await store.applyAlerts([r])).fresh).toEqual([r]);
    expect(await store.openAndRecent(T0)).toEqual([r]);
    expect(await store.openAndRecent(T0 + 61_000)).toEqual([]);
  });

  it('deletes both indexes at the first prune, and still sweeps a stale alert they held from the state', async () => {
    const again = alert({ fingerprint: 'again' });
    const stale = alert({ fingerprint: 'stale', startsAt: T0 - 10_000_000 });
    await storeLegacyFiring(again);
    await storeLegacyFiring(stale);
    const next = { ...again, startsAt: T0 + 120_000 };
    expect((await store.applyAlerts([next])).fresh).toEqual([next]);
    const k = redisKeys(prefix).alerts;
    expect(await store.prune(T0, T0 - 1_000_000)).toBe(1);
    expect(await redis.exists(k.legacyOpen, k.legacyFiring)).toBe(0);
    expect(await store.openAndRecent(0)).toEqual([next]);
  });
});

describe('AlertStore.applyBatches (alerts queued by reference)', () => {
  it('applies stored batches and inline ones in order, deletes the keys it applied, and returns the fresh alerts', async () => {
    const a = alert({ fingerprint: 'fp1', summary: 'a | a raw \u001e (JSON.stringify escapes it) and "quotes"' });
    const b = alert({ fingerprint: 'fp2' });
    const c = alert({ fingerprint: 'fp3' });
    const k1 = await store.writeBatch('one', encodeAlerts([a, b]), 60_000);
    const k2 = await store.writeBatch('two', encodeAlerts([b, resolved(a, T0 + 1000)]), 60_000);
    const r = await store.applyBatches([k1, k2], [encodeAlerts([c])], true);
    // Input order: a, b (k1), b again, resolved a (k2), c (inline); the second b is a duplicate.
    expect(r).toEqual({ processed: 5, positions: [0, 1, 3, 4], fresh: [a, b, resolved(a, T0 + 1000), c] });
    expect(await redis.exists(k1, k2)).toBe(0);
    expect(byFp(await store.openAndRecent(0))).toEqual([resolved(a, T0 + 1000), b, c]);
  });

  it('finds nothing to do in a batch applied before (a retried job) and parses nothing back unless asked', async () => {
    const a = alert({ fingerprint: 'fp1' });
    const key = await store.writeBatch('once', encodeAlerts([a]), 60_000);
    expect(await redis.pttl(key)).toBeGreaterThan(59_000);
    expect(await store.applyBatches([key], [], false)).toEqual({ processed: 1, positions: [0], fresh: [] });
    expect(await store.applyBatches([key], [], true)).toEqual({ processed: 0, positions: [], fresh: [] });
    expect(await store.openAndRecent(0)).toEqual([a]);
  });
});
