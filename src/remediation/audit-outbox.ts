// The audit outbox: every state transition's Lua script adds its audit entry to an outbox stream in the same atomic
// step, so a crash after a transition can never lose its entry. The chainer moves outbox entries, oldest first and
// each exactly once, onto the SHA-256 hash chain (the audit stream). Any replica may chain at any time: see chainOutbox.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AuditEntry } from './audit-log.js';
import { canonicalJson } from './plan.js';

export const GENESIS = '0'.repeat(64);

export function chainHash(prev: string, entryJson: string): string {
  return createHash('sha256').update(`${prev}\n${entryJson}`).digest('hex');
}

/** An entry as the outbox stores it (and the chain, once nothing is merged into it). */
export function encodeAuditEntry(entry: AuditEntry): string {
  return canonicalJson(entry);
}

/**
 * Prepended to every transition script. `audit(outbox, entry, extra)` adds an entry to the outbox; `extra` holds
 * what only the script knows (an approval count, the attempt number) and is merged into the entry's `detail`
 * by the chainer, which writes canonical JSON (cjson's key order is not stable, so it never reaches the chain).
 */
export const AUDIT_OUTBOX_LUA = `
local function audit(outbox, entry, extra)
  if extra then return redis.call('XADD', outbox, '*', 'entry', entry, 'extra', cjson.encode(extra)) end
  return redis.call('XADD', outbox, '*', 'entry', entry)
end
`;

export interface AuditChainKeys {
  outbox: string;
  stream: string;
  head: string;
}

/** Entries moved per commit: bounds a script's run time and its argument list. */
const BATCH = 100;

// KEYS: outbox, stream, head. ARGV: expected head, n, then n × (outbox id, entry, hash).
// A compare-and-set on both the chain head and the outbox's oldest n ids: it commits only what was computed from
// the current state, so two chainers can never both chain an entry, skip one, or reorder them.
const COMMIT = `
local head = redis.call('GET', KEYS[3]) or '${GENESIS}'
if head ~= ARGV[1] then return 0 end
local n = tonumber(ARGV[2])
local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', n)
if #oldest ~= n then return 0 end
for i = 1, n do
  if oldest[i][1] ~= ARGV[3 * i] then return 0 end
end
local prev = head
for i = 1, n do
  local hash = ARGV[3 * i + 2]
  redis.call('XADD', KEYS[2], '*', 'entry', ARGV[3 * i + 1], 'prev', prev, 'hash', hash)
  redis.call('XDEL', KEYS[1], ARGV[3 * i])
  prev = hash
end
redis.call('SET', KEYS[3], prev)
return n`;

/** The entry as chained: the script's `extra` merged into `detail`; an unreadable entry is chained as it is. */
function chainedJson(fields: string[]): string {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  const raw = f.entry ?? '';
  try {
    const entry = JSON.parse(raw) as AuditEntry;
    const extra = f.extra === undefined ? {} : (JSON.parse(f.extra) as Record<string, unknown>);
    return encodeAuditEntry(f.extra === undefined ? entry : { ...entry, detail: { ...entry.detail, ...extra } });
  } catch {
    return raw; // still recorded: "everything is recorded" includes what we cannot read
  }
}

/**
 * Chains every outbox entry that exists when called (newer ones are left to their own transitions' calls) and
 * returns how many this call moved. SHA-256 is computed here because Redis scripts only have SHA-1; the COMMIT
 * script's compare-and-set makes that safe without a lock. It also ends: a failed commit means another chainer
 * committed, and every commit takes the oldest entries, so each round removes at least one entry this call waits for.
 */
export async function chainOutbox(redis: Redis, keys: AuditChainKeys): Promise<number> {
  const newest = (await redis.xrevrange(keys.outbox, '+', '-', 'COUNT', 1)) as [string, string[]][];
  if (newest.length === 0) return 0;
  const upTo = newest[0]![0];
  let moved = 0;
  for (;;) {
    const head = (await redis.get(keys.head)) ?? GENESIS;
    const page = (await redis.xrange(keys.outbox, '-', upTo, 'COUNT', BATCH)) as [string, string[]][];
    if (page.length === 0) return moved;
    const args: string[] = [];
    let prev = head;
    for (const [id, fields] of page) {
      const json = chainedJson(fields);
      prev = chainHash(prev, json);
      args.push(id, json, prev);
    }
    moved += (await redis.eval(COMMIT, 3, keys.outbox, keys.stream, keys.head, head, page.length, ...args)) as number;
  }
}
