// Alert state in Redis: latest state per fingerprint, deduplicated atomically for a whole batch in one round trip.
//
// Dedup identity is fingerprint + startsAt + status (Alertmanager HA pairs send every notification twice,
// repeat_interval resends unchanged alerts, and each webhook carries the whole group). The decision runs in
// one Lua script per batch, so two workers applying the same alert at the same moment store it once.
// Ordering rule: a later startsAt is a new episode; an earlier one is stale; with equal startsAt, resolved
// supersedes firing but never the reverse (a late firing copy from the slower HA peer must not reopen it).
import type { Redis } from 'ioredis';
import type { Alert } from '../model/alert.js';
import { redisKeys, type AlertKeys } from './keys.js';

// Redis Lua's unpack() is limited (LUAI_MAXCSTACK 8000), so bulk commands are sent in chunks.
const LUA_CHUNK = `
local function chunked(cmd, key, args, step)
  local out = {}
  local n = #args
  for s = 1, n, step do
    local e = math.min(s + step - 1, n)
    local r = redis.call(cmd, key, unpack(args, s, e))
    if type(r) == 'table' then for j = 1, #r do out[#out + 1] = r[j] end end
  end
  return out
end
`;

// KEYS: state, open, resolved.
// ARGV[1]: JSON array, 3 entries per alert: fingerprint, startsAt (string), zset score (string).
// ARGV[2]: the stored values, "startsAt|f|json" or "startsAt|r|json", joined by RS (0x1E), which JSON text
// never contains unescaped. A few large arguments instead of several per alert: ioredis encodes and Redis
// parses each argument separately, which cost more than the script's own work.
// The identity prefix of a stored value is what the dedup decision compares, so one HMGET reads it.
// Returns the 1-based indices of the fresh alerts, in input order.
const APPLY_ALERTS = `${LUA_CHUNK}
local meta = cjson.decode(ARGV[1])
local docs = ARGV[2]
local n = #meta / 3
local fps = {}
for i = 1, n do fps[i] = meta[i * 3 - 2] end
local cur = chunked('HMGET', KEYS[1], fps, 1000)
local last = {}
local fresh, finalOf, ds, de = {}, {}, {}, {}
-- known: fingerprints with an earlier state, the only ones that may sit in the other zset.
local known = {}
local pos = 1
for i = 1, n do
  local sep = string.find(docs, '\\030', pos, true)
  local stop = sep and sep - 1 or #docs
  local fp = fps[i]
  local sa = meta[i * 3 - 1]
  local st = string.sub(docs, pos + #sa + 1, pos + #sa + 1)
  local prev = last[fp]
  if prev == nil then
    local v = cur[i]
    if v then
      prev = string.sub(v, 1, string.find(v, '|', 1, true) + 1)
      known[fp] = true
    end
  else
    known[fp] = true
  end
  local ok = true
  if prev then
    local psa = tonumber(string.sub(prev, 1, #prev - 2))
    local nsa = tonumber(sa)
    if nsa < psa then ok = false
    elseif nsa == psa then ok = (string.sub(prev, -1) == 'f' and st == 'r') end
  end
  if ok then
    last[fp] = sa .. '|' .. st
    fresh[#fresh + 1] = i
    finalOf[fp] = i
    ds[i] = pos
    de[i] = stop
  end
  pos = stop + 2
end
if #fresh > 0 then
  local hs, oa, orm, ra, rr = {}, {}, {}, {}, {}
  for _, i in ipairs(fresh) do
    local fp = fps[i]
    if finalOf[fp] == i then
      hs[#hs + 1] = fp
      hs[#hs + 1] = string.sub(docs, ds[i], de[i])
      if string.sub(last[fp], -1) == 'f' then
        oa[#oa + 1] = meta[i * 3]
        oa[#oa + 1] = fp
        if known[fp] then rr[#rr + 1] = fp end
      else
        ra[#ra + 1] = meta[i * 3]
        ra[#ra + 1] = fp
        if known[fp] then orm[#orm + 1] = fp end
      end
    end
  end
  chunked('HSET', KEYS[1], hs, 1000)
  if #oa > 0 then chunked('ZADD', KEYS[2], oa, 1000) end
  if #orm > 0 then chunked('ZREM', KEYS[2], orm, 1000) end
  if #ra > 0 then chunked('ZADD', KEYS[3], ra, 1000) end
  if #rr > 0 then chunked('ZREM', KEYS[3], rr, 1000) end
end
return fresh
`;

// KEYS: state, open, resolved. ARGV: since. Returns JSON of every firing alert and of alerts resolved since.
const OPEN_AND_RECENT = `${LUA_CHUNK}
local fps = redis.call('ZRANGE', KEYS[2], 0, -1)
local res = redis.call('ZRANGEBYSCORE', KEYS[3], ARGV[1], '+inf')
for _, fp in ipairs(res) do fps[#fps + 1] = fp end
if #fps == 0 then return {} end
return chunked('HMGET', KEYS[1], fps, 1000)
`;

// KEYS: state, open, resolved. ARGV: resolvedBefore, firingStartedBefore ('' = keep firing alerts).
// Removes at most 10000 alerts per call (bounded script time); returns how many it removed.
const PRUNE = `${LUA_CHUNK}
local victims = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[1], 'LIMIT', 0, 10000)
local removed = #victims
if removed > 0 then
  chunked('HDEL', KEYS[1], victims, 1000)
  chunked('ZREM', KEYS[3], victims, 1000)
end
if ARGV[2] ~= '' then
  local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[2], 'LIMIT', 0, 10000)
  if #stale > 0 then
    chunked('HDEL', KEYS[1], stale, 1000)
    chunked('ZREM', KEYS[2], stale, 1000)
    removed = removed + #stale
  end
end
return removed
`;

/** Record separator between JSON documents: JSON.stringify escapes every control character in strings. */
const RS = '\u001e';

type AlertScripts = Redis & {
  rcabotApplyAlerts(k1: string, k2: string, k3: string, meta: string, docs: string): Promise<number[]>;
  rcabotOpenAndRecentAlerts(k1: string, k2: string, k3: string, since: number): Promise<Array<string | null>>;
  rcabotPruneAlerts(k1: string, k2: string, k3: string, resolvedBefore: number, firingBefore: string): Promise<number>;
};

export interface ApplyAlertsResult {
  /** Alerts that are new or changed (in input order); a batch may hold several states of one fingerprint. */
  fresh: Alert[];
  /** Alerts recognised as repeats (or stale copies) of a state already stored. */
  duplicates: number;
}

/**
 * A batch of alerts already in the script's argument form, so it can be made once where the alerts are
 * first serialised (the HTTP route, into the queue job) and passed to Redis without re-encoding.
 * Batches concatenate (concatEncodedAlerts) without parsing.
 */
export interface EncodedAlerts {
  count: number;
  /** JSON array, 3 entries per alert: fingerprint, startsAt, zset score (all strings). */
  meta: string;
  /** Stored values "startsAt|f|json" / "startsAt|r|json", joined by RS. */
  docs: string;
}

export const NO_ALERTS: EncodedAlerts = { count: 0, meta: '[]', docs: '' };

/** Encodes alerts for applyEncoded: one JSON.stringify per alert, the only one on their way to Redis. */
export function encodeAlerts(alerts: readonly Alert[]): EncodedAlerts {
  if (alerts.length === 0) return NO_ALERTS;
  const meta: string[] = new Array(alerts.length * 3);
  const docs: string[] = new Array(alerts.length);
  for (let i = 0; i < alerts.length; i++) {
    const a = alerts[i]!;
    const b = i * 3;
    const startsAt = String(a.startsAt);
    const resolved = a.status === 'resolved';
    meta[b] = a.fingerprint;
    meta[b + 1] = startsAt;
    meta[b + 2] = resolved ? String(a.endsAt ?? a.startsAt) : startsAt;
    docs[i] = `${startsAt}|${resolved ? 'r' : 'f'}|${JSON.stringify(a)}`;
  }
  return { count: alerts.length, meta: JSON.stringify(meta), docs: docs.join(RS) };
}

/** One batch of several, in order, by string concatenation (no parsing). */
export function concatEncodedAlerts(parts: readonly EncodedAlerts[]): EncodedAlerts {
  const nonEmpty = parts.filter((p) => p.count > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? NO_ALERTS;
  let count = 0;
  for (const p of nonEmpty) count += p.count;
  return {
    count,
    meta: `[${nonEmpty.map((p) => p.meta.slice(1, -1)).join(',')}]`,
    docs: nonEmpty.map((p) => p.docs).join(RS),
  };
}

/** The alerts of an encoded batch at the given 0-based positions, parsed back from their stored form. */
export function decodeEncodedAlerts(batch: EncodedAlerts, positions: readonly number[]): Alert[] {
  if (positions.length === 0) return [];
  const docs = batch.docs.split(RS);
  return positions.map((i) => parseStored(docs[i]!));
}

export class AlertStore {
  private readonly keys: AlertKeys;
  private readonly redis: AlertScripts;

  constructor(redis: Redis, prefix: string) {
    this.keys = redisKeys(prefix).alerts;
    defineAlertScripts(redis);
    this.redis = redis as AlertScripts;
  }

  /** Deduplicates and stores a batch in one atomic round trip. */
  async applyAlerts(alerts: readonly Alert[]): Promise<ApplyAlertsResult> {
    if (alerts.length === 0) return { fresh: [], duplicates: 0 };
    const positions = await this.applyEncoded(encodeAlerts(alerts));
    const fresh = positions.map((i) => alerts[i]!);
    return { fresh, duplicates: alerts.length - fresh.length };
  }

  /** Deduplicates and stores an encoded batch in one atomic round trip; returns the 0-based positions of the fresh alerts. */
  async applyEncoded(batch: EncodedAlerts): Promise<number[]> {
    if (batch.count === 0) return [];
    const k = this.keys;
    const indices = await this.redis.rcabotApplyAlerts(k.state, k.open, k.resolved, batch.meta, batch.docs);
    return indices.map((i) => i - 1);
  }

  /** Every firing alert, plus alerts resolved at or after `since` (epoch ms). */
  async openAndRecent(since: number): Promise<Alert[]> {
    const k = this.keys;
    const rows = await this.redis.rcabotOpenAndRecentAlerts(k.state, k.open, k.resolved, since);
    const out: Alert[] = [];
    for (const row of rows) if (row) out.push(parseStored(row));
    return out;
  }

  /**
   * Drops resolved alerts that ended before `olderThan`; when `firingStartedBefore` is given, also firing
   * alerts that started before it (their resolve was lost: Alertmanager would have resent them with a new
   * identity long ago). Bounded per call; returns how many were removed.
   */
  async prune(olderThan: number, firingStartedBefore?: number): Promise<number> {
    const k = this.keys;
    const firing = firingStartedBefore === undefined ? '' : String(firingStartedBefore);
    return this.redis.rcabotPruneAlerts(k.state, k.open, k.resolved, olderThan, firing);
  }
}

function defineAlertScripts(redis: Redis): void {
  const r = redis as unknown as Record<string, unknown>;
  if (typeof r.rcabotApplyAlerts === 'function') return;
  redis.defineCommand('rcabotApplyAlerts', { numberOfKeys: 3, lua: APPLY_ALERTS });
  redis.defineCommand('rcabotOpenAndRecentAlerts', { numberOfKeys: 3, lua: OPEN_AND_RECENT });
  redis.defineCommand('rcabotPruneAlerts', { numberOfKeys: 3, lua: PRUNE });
}

/** A stored value is "startsAt|f|json" (or "|r|"): skip the identity prefix. */
function parseStored(value: string): Alert {
  const json = value.indexOf('|', value.indexOf('|') + 1) + 1;
  return JSON.parse(value.slice(json)) as Alert;
}
