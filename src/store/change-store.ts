// Changes (deploys, rollbacks) in Redis: idempotent by id, a time index for "recent changes", bounded retention.
import type { Redis } from 'ioredis';
import type { Change } from '../model/change.js';
import { redisKeys, type ChangeKeys } from './keys.js';

// KEYS: byId, byTime, deltas. ARGV: n, then n × (id, at, json). Returns 1-based indices of changes not seen
// before; their JSON goes to the deltas stream in the same atomic step, for the analyzer (state-deltas.ts).
// HSETNX per change is fine here: deploys arrive by the dozen, not by the thousand.
const APPLY_CHANGES = `
local n = tonumber(ARGV[1])
local fresh, docs = {}, {}
for i = 1, n do
  local b = 2 + (i - 1) * 3
  if redis.call('HSETNX', KEYS[1], ARGV[b], ARGV[b + 2]) == 1 then
    redis.call('ZADD', KEYS[2], ARGV[b + 1], ARGV[b])
    fresh[#fresh + 1] = i
    docs[#docs + 1] = ARGV[b + 2]
  end
end
if #docs > 0 then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', 1000, '*', 'c', '[' .. table.concat(docs, ',') .. ']')
end
return fresh
`;

// KEYS: byId, byTime. ARGV: since. Returns JSON of the changes at or after `since`, oldest first.
const SINCE = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[1], '+inf', 'LIMIT', 0, 10000)
if #ids == 0 then return {} end
local out = {}
for s = 1, #ids, 1000 do
  local r = redis.call('HMGET', KEYS[1], unpack(ids, s, math.min(s + 999, #ids)))
  for j = 1, #r do out[#out + 1] = r[j] end
end
return out
`;

// KEYS: byId, byTime. ARGV: olderThan. Removes at most 10000 changes per call; returns how many.
const PRUNE = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1], 'LIMIT', 0, 10000)
for s = 1, #ids, 1000 do
  local part = { unpack(ids, s, math.min(s + 999, #ids)) }
  redis.call('HDEL', KEYS[1], unpack(part))
  redis.call('ZREM', KEYS[2], unpack(part))
end
return #ids
`;

type ChangeScripts = Redis & {
  rcabotApplyChanges(k1: string, k2: string, k3: string, ...argv: Array<string | number>): Promise<number[]>;
  rcabotChangesSince(k1: string, k2: string, since: number): Promise<Array<string | null>>;
  rcabotPruneChanges(k1: string, k2: string, olderThan: number): Promise<number>;
};

export interface ApplyChangesResult {
  fresh: Change[];
  duplicates: number;
}

export class ChangeStore {
  private readonly keys: ChangeKeys;
  private readonly redis: ChangeScripts;

  constructor(redis: Redis, prefix: string) {
    this.keys = redisKeys(prefix).changes;
    defineChangeScripts(redis);
    this.redis = redis as ChangeScripts;
  }

  /** Stores changes not seen before (by id) in one atomic round trip; the first report of an id wins. */
  async applyChanges(changes: readonly Change[]): Promise<ApplyChangesResult> {
    if (changes.length === 0) return { fresh: [], duplicates: 0 };
    const argv: Array<string | number> = [changes.length];
    for (const c of changes) argv.push(c.id, c.at, JSON.stringify(c));
    const indices = await this.redis.rcabotApplyChanges(this.keys.byId, this.keys.byTime, this.keys.deltas, ...argv);
    const fresh = indices.map((i) => changes[i - 1]!);
    return { fresh, duplicates: changes.length - fresh.length };
  }

  /** Changes at or after `t` (epoch ms), oldest first (at most 10000). */
  async since(t: number): Promise<Change[]> {
    const rows = await this.redis.rcabotChangesSince(this.keys.byId, this.keys.byTime, t);
    const out: Change[] = [];
    for (const row of rows) if (row) out.push(JSON.parse(row) as Change);
    return out;
  }

  /** Drops changes older than `olderThan`; bounded per call; returns how many were removed. */
  prune(olderThan: number): Promise<number> {
    return this.redis.rcabotPruneChanges(this.keys.byId, this.keys.byTime, olderThan);
  }
}

function defineChangeScripts(redis: Redis): void {
  const r = redis as unknown as Record<string, unknown>;
  if (typeof r.rcabotApplyChanges === 'function') return;
  redis.defineCommand('rcabotApplyChanges', { numberOfKeys: 3, lua: APPLY_CHANGES });
  redis.defineCommand('rcabotChangesSince', { numberOfKeys: 2, lua: SINCE });
  redis.defineCommand('rcabotPruneChanges', { numberOfKeys: 2, lua: PRUNE });
}
