// Append-only audit trail of remediation: a Redis stream whose entries are chained by SHA-256, so an edited,
// removed or reordered entry breaks the chain. Exported as JSON lines; verified by recomputing the chain.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { canonicalJson } from './plan.js';
import { remediationKeys } from './proposal-store.js';

export type AuditAction =
  | 'proposed'
  | 'dry-run'
  | 'approval'
  | 'approved'
  | 'rejected'
  | 'refused'
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

const GENESIS = '0'.repeat(64);

export function chainHash(prev: string, entryJson: string): string {
  return createHash('sha256').update(`${prev}\n${entryJson}`).digest('hex');
}

// KEYS: stream, head. ARGV: expected prev, hash, entry. Appends only onto the head it was computed from.
const APPEND = `
local head = redis.call('GET', KEYS[2]) or '${GENESIS}'
if head ~= ARGV[1] then return {0, head} end
local id = redis.call('XADD', KEYS[1], '*', 'entry', ARGV[3], 'prev', ARGV[1], 'hash', ARGV[2])
redis.call('SET', KEYS[2], ARGV[2])
return {1, id}`;

export class AuditLog {
  private readonly stream: string;
  private readonly head: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    const k = remediationKeys(prefix);
    this.stream = k.auditStream;
    this.head = k.auditHead;
  }

  /**
   * Appends one entry, chained to the current head; retries when another writer appended first. The chain hash
   * is SHA-256, which Redis scripts cannot compute, so the script only compares and appends: under a burst
   * (50 simultaneous approvals) a writer may lose many rounds, so it retries until a deadline with jittered
   * backoff instead of a fixed number of attempts.
   */
  async append(entry: AuditEntry): Promise<string> {
    const json = canonicalJson(entry);
    let prev = (await this.redis.get(this.head)) ?? GENESIS;
    const deadline = Date.now() + APPEND_DEADLINE_MS;
    for (let attempt = 0; ; attempt++) {
      const r = (await this.redis.eval(APPEND, 2, this.stream, this.head, prev, chainHash(prev, json), json)) as [number, string];
      if (r[0] === 1) return r[1];
      prev = r[1];
      if (Date.now() > deadline) throw new Error(`audit append lost the race for the chain head for ${APPEND_DEADLINE_MS} ms (${attempt + 1} attempts)`);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** attempt, 50)));
    }
  }
}

/** How long an append keeps retrying against concurrent writers before it reports failure. */
const APPEND_DEADLINE_MS = 10_000;

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
