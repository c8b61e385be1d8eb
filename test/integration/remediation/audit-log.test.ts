import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { AuditLog, exportAudit, verifyAudit, type ExportedAuditEntry } from '../../../src/remediation/audit-log.js';
import { remediationKeys } from '../../../src/remediation/proposal-store.js';
import { deleteKeys, newTestRedis, uniquePrefix } from '../../support/redis.js';

let redis: Redis;
const prefixes: string[] = [];
beforeAll(() => {
  redis = newTestRedis();
});
afterAll(async () => {
  for (const p of prefixes) await deleteKeys(redis, p);
  await redis.quit();
});

async function filled(n: number): Promise<{ prefix: string; log: AuditLog }> {
  const prefix = uniquePrefix('remediation-audit');
  prefixes.push(prefix);
  const log = new AuditLog(redis, prefix);
  for (let i = 0; i < n; i++) await log.append({ at: `2026-10-14T09:00:0${i}.000Z`, actor: `U${i}`, action: 'approval', proposalId: 'p1', detail: { i } });
  return { prefix, log };
}

async function all(prefix: string, since?: number): Promise<ExportedAuditEntry[]> {
  const out: ExportedAuditEntry[] = [];
  for await (const line of exportAudit(redis, prefix, since)) out.push(JSON.parse(line) as ExportedAuditEntry);
  return out;
}

/** Rewrites the stream with the same ids, letting `edit` change entries: what an attacker with Redis access could do. */
async function rewrite(prefix: string, edit: (e: ExportedAuditEntry, raw: string) => string | null): Promise<void> {
  const k = remediationKeys(prefix);
  const rows = (await redis.xrange(k.auditStream, '-', '+')) as [string, string[]][];
  await redis.del(k.auditStream);
  for (const [id, f] of rows) {
    const raw = f[1]!;
    const e: ExportedAuditEntry = { id, entry: JSON.parse(raw), prev: f[3]!, hash: f[5]! };
    const next = edit(e, raw);
    if (next === null) continue;
    await redis.xadd(k.auditStream, id, 'entry', next, 'prev', e.prev, 'hash', e.hash);
  }
}

describe('audit log', () => {
  it('chains entries, exports them as JSON lines and verifies', async () => {
    const { prefix } = await filled(5);
    const entries = await all(prefix);
    expect(entries).toHaveLength(5);
    expect(entries[0]!.prev).toBe('0'.repeat(64));
    for (let i = 1; i < 5; i++) expect(entries[i]!.prev).toBe(entries[i - 1]!.hash);
    expect(entries.map((e) => e.entry.actor)).toEqual(['U0', 'U1', 'U2', 'U3', 'U4']);
    expect(await verifyAudit(redis, prefix)).toEqual({ ok: true, entries: 5 });
  });

  it('concurrent appends from two connections still form one chain', async () => {
    const prefix = uniquePrefix('remediation-audit');
    prefixes.push(prefix);
    const other = newTestRedis();
    const a = new AuditLog(redis, prefix);
    const b = new AuditLog(other, prefix);
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).append({ at: 'x', actor: `U${i}`, action: 'approval' })));
    await other.quit();
    expect(await verifyAudit(redis, prefix)).toEqual({ ok: true, entries: 40 });
  });

  it('detects an edited entry and names it', async () => {
    const { prefix } = await filled(4);
    const target = (await all(prefix))[2]!;
    await rewrite(prefix, (e, raw) => (e.id === target.id ? raw.replace('"actor":"U2"', '"actor":"UEVIL"') : raw));
    const v = await verifyAudit(redis, prefix);
    expect(v).toMatchObject({ ok: false, badId: target.id });
    if (!v.ok) expect(v.reason).toContain('modified');
  });

  it('detects a removed entry in the middle and at the end', async () => {
    const { prefix } = await filled(4);
    const ids = (await all(prefix)).map((e) => e.id);
    await rewrite(prefix, (e, raw) => (e.id === ids[1] ? null : raw));
    expect(await verifyAudit(redis, prefix)).toMatchObject({ ok: false, badId: ids[2] });

    const second = await filled(3);
    const last = (await all(second.prefix)).at(-1)!;
    await redis.xdel(remediationKeys(second.prefix).auditStream, last.id);
    expect(await verifyAudit(redis, second.prefix)).toMatchObject({ ok: false, badId: null });
  });

  it('detects two entries swapped, keeping their stream ids', async () => {
    const { prefix } = await filled(4);
    const k = remediationKeys(prefix);
    const rows = (await redis.xrange(k.auditStream, '-', '+')) as [string, string[]][];
    await redis.del(k.auditStream);
    const order = [0, 2, 1, 3];
    for (const [i, j] of order.entries()) await redis.xadd(k.auditStream, rows[i]![0], ...rows[j]![1]);
    const v = await verifyAudit(redis, prefix);
    expect(v).toMatchObject({ ok: false, badId: rows[1]![0] });
    if (!v.ok) expect(v.reason).toContain('removed or reordered');
  });

  it('an outbox entry that cannot be parsed is still chained, verbatim, and verifies', async () => {
    const prefix = uniquePrefix('remediation-audit');
    prefixes.push(prefix);
    const k = remediationKeys(prefix);
    await redis.xadd(k.auditOutbox, '*', 'entry', '{not json');
    expect(await new AuditLog(redis, prefix).chain()).toBe(1);
    const [e] = await all(prefix);
    expect(e!.entry.detail).toEqual({ unreadable: '{not json' });
    expect(await verifyAudit(redis, prefix)).toEqual({ ok: true, entries: 1 });
  });

  it('export --since starts at the given time', async () => {
    const { prefix } = await filled(3);
    const entries = await all(prefix);
    const t = Number(entries[2]!.id.split('-')[0]);
    const since = await all(prefix, t);
    expect(since.map((e) => e.id)).toContain(entries[2]!.id);
    expect(since.every((e) => Number(e.id.split('-')[0]) >= t)).toBe(true);
    expect(await all(prefix, t + 60_000)).toEqual([]);
  });
});
