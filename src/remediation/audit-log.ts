// Append-only audit trail of remediation: a Redis stream whose entries are chained by SHA-256, so an edited,
// removed or reordered entry breaks the chain. Entries reach it through the outbox (audit-outbox.ts), written in
// the same atomic step as the state change they record. Exported as JSON lines; verified by recomputing the chain.
import type { Redis } from 'ioredis';
import { chainHash, chainOutbox, encodeAuditEntry, GENESIS, type AuditChainKeys } from './audit-outbox.js';
import { remediationKeys } from './proposal-store.js';

export { chainHash } from './audit-outbox.js';

export type AuditAction =
  | 'proposed'
  | 'dry-run'
  | 'approval'
  | 'approved'
  | 'rejected'
  | 'refused'
  | 'expired'
  | 'execution-started'
  | 'execution-result'
  | 'verification'
  | 'automation-paused'
  | 'automation-resumed';

export interface AuditEntry {
  at: string; // ISO
  actor: string; // Slack user id, or "rcabot" for the bot itself
  action: AuditAction;
  proposalId?: string;
  incidentId?: string;
  runbookId?: string;
  detail?: Record<string, unknown>;
}

export interface ExportedAuditEntry {
  id: string; // stream id
  entry: AuditEntry;
  prev: string;
  hash: string;
}

export class AuditLog {
  private readonly keys: AuditChainKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    const k = remediationKeys(prefix);
    this.keys = { outbox: k.auditOutbox, stream: k.auditStream, head: k.auditHead };
  }

  /** Adds an entry that goes with no state change (a refusal) to the outbox, without chaining it yet. */
  async enqueue(entry: AuditEntry): Promise<string> {
    return (await this.redis.xadd(this.keys.outbox, '*', 'entry', encodeAuditEntry(entry)))!;
  }

  /** Records an entry that goes with no state change: into the outbox, then onto the chain. */
  async append(entry: AuditEntry): Promise<void> {
    await this.enqueue(entry);
    await this.chain();
  }

  /**
   * Moves pending outbox entries onto the chain; returns how many this call moved. Called right after each
   * transition (so the entry is exported at once) and periodically (for entries whose writer crashed before this).
   */
  chain(): Promise<number> {
    return chainOutbox(this.redis, this.keys);
  }

  /** Entries written by transitions but not chained yet. */
  pending(): Promise<number> {
    return this.redis.xlen(this.keys.outbox);
  }
}

function parseEntry(raw: string | undefined): AuditEntry {
  try {
    return JSON.parse(raw ?? 'null') as AuditEntry;
  } catch {
    return { at: '', actor: '', action: 'refused', detail: { unreadable: raw ?? '' } }; // verify reports it: the hash will not match
  }
}

async function* entries(redis: Redis, stream: string, start: string): AsyncGenerator<ExportedAuditEntry & { raw: string }> {
  let from = start;
  for (;;) {
    const page = (await redis.xrange(stream, from, '+', 'COUNT', 500)) as [string, string[]][];
    for (const [id, fields] of page) {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      yield { id, entry: parseEntry(f.entry), prev: f.prev ?? '', hash: f.hash ?? '', raw: f.entry ?? '' };
    }
    if (page.length < 500) return;
    from = `(${page[page.length - 1]![0]}`;
  }
}

/** `rcabot audit export [--since]`: one JSON line per entry, oldest first; `since` in epoch ms. */
export async function* exportAudit(redis: Redis, prefix: string, since?: number): AsyncGenerator<string> {
  const start = since === undefined ? '-' : `${Math.max(0, Math.floor(since))}-0`;
  for await (const { raw: _raw, ...e } of entries(redis, remediationKeys(prefix).auditStream, start)) yield JSON.stringify(e);
}

export type AuditVerification =
  | { ok: true; entries: number }
  | { ok: false; entries: number; badId: string | null; reason: string };

/** `rcabot audit verify`: recomputes the whole chain and compares its end with the stored head. */
export async function verifyAudit(redis: Redis, prefix: string): Promise<AuditVerification> {
  const k = remediationKeys(prefix);
  let prev = GENESIS;
  let n = 0;
  for await (const e of entries(redis, k.auditStream, '-')) {
    if (e.prev !== prev) return { ok: false, entries: n, badId: e.id, reason: `entry ${e.id} does not follow the previous entry (an entry was removed or reordered)` };
    if (chainHash(prev, e.raw) !== e.hash)
      return { ok: false, entries: n, badId: e.id, reason: `entry ${e.id} was modified (its hash does not match its content)` };
    prev = e.hash;
    n++;
  }
  const head = (await redis.get(k.auditHead)) ?? GENESIS;
  if (head !== prev) return { ok: false, entries: n, badId: null, reason: 'the newest entries were removed (the chain head does not match the last entry)' };
  return { ok: true, entries: n };
}
