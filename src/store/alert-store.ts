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

// A stored state value is "startsAt|f|json" (firing) or "startsAt|r|json" (resolved): the scripts that scan the state
// hash read its status and start from that prefix.
const LUA_STATE_VALUE = `
local function value_is_firing(v) return string.byte(v, string.find(v, '|', 1, true) + 1) == 102 end
local function value_starts_at(v) return tonumber(string.sub(v, 1, string.find(v, '|', 1, true) - 1)) end
`;

// KEYS: state, resolved, deltas (stream), then the keys of batches queued by reference (see AlertStore.applyBatches).
// The state hash is the only record of which alerts fire: its value says so ("startsAt|f|json"), and an index of
// firing alerts beside it (a zset, then a hash, in earlier versions) cost Redis about 1 µs an alert (0.9–1.8 in
// isolation) on every commit for the sake of a rebuild and a sweep that run rarely (docs/benchmarks.md). The
// fingerprints a call stores go to the deltas stream in the same atomic step, one entry per call, for the analyzer
// of whichever replica leads (state-deltas.ts).
// ARGV[1]: '1' to return the stored values of the fresh alerts, '' not to. ARGV[2..]: batches passed inline.
// A batch (payload) is meta .. US (0x1F) .. docs: meta a JSON array, 3 entries per alert (fingerprint,
// startsAt, index time, as strings); docs the stored values "startsAt|f|json" / "startsAt|r|json" joined by
// RS (0x1E). JSON text never contains those control characters unescaped. A few large strings instead of
// several arguments per alert: ioredis encodes and Redis parses each argument separately, which cost more
// than the script's own work. The identity prefix of a stored value is what the dedup decision compares,
// so one HMGET reads it.
// A batch key that no longer exists was applied by an earlier run of this script (which deletes the keys
// it applied, atomically with the state it wrote): a retried job finds nothing left to do.
// Returns { alerts read, 1-based indices of the fresh alerts in input order, their stored values or {} }.
/** Entries kept in the alert deltas stream (about: trimmed with `~`); each is one commit's fingerprints. */
export const DELTAS_KEPT = 1000;

const APPLY_ALERTS = `${LUA_CHUNK}
local FIRST_BATCH = 4
local fps, sas, scores, src, ds, de = {}, {}, {}, {}, {}, {}
local function read(payload)
  local cut = string.find(payload, '\\031', 1, true)
  local meta = cjson.decode(string.sub(payload, 1, cut - 1))
  local pos = cut + 1
  for j = 1, #meta / 3 do
    local sep = string.find(payload, '\\030', pos, true)
    local stop = sep and sep - 1 or #payload
    local i = #fps + 1
    fps[i], sas[i], scores[i] = meta[j * 3 - 2], meta[j * 3 - 1], meta[j * 3]
    src[i], ds[i], de[i] = payload, pos, stop
    pos = stop + 2
  end
end
for k = FIRST_BATCH, #KEYS do
  local payload = redis.call('GET', KEYS[k])
  if payload then read(payload) end
end
for k = 2, #ARGV do read(ARGV[k]) end
local n = #fps
if n == 0 then return {0, {}, {}} end
local cur = chunked('HMGET', KEYS[1], fps, 1000)
local last = {}
local fresh, finalOf = {}, {}
-- known: fingerprints with an earlier state, the only ones that may sit in the resolved zset.
local known = {}
for i = 1, n do
  local fp = fps[i]
  local sa = sas[i]
  local st = string.sub(src[i], ds[i] + #sa + 1, ds[i] + #sa + 1)
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
  end
end
local values = {}
if #fresh > 0 then
  local hs, ra, rr = {}, {}, {}
  for _, i in ipairs(fresh) do
    local fp = fps[i]
    local doc = string.sub(src[i], ds[i], de[i])
    if ARGV[1] == '1' then values[#values + 1] = doc end
    if finalOf[fp] == i then
      hs[#hs + 1] = fp
      hs[#hs + 1] = doc
      if string.sub(last[fp], -1) == 'r' then
        ra[#ra + 1] = scores[i]
        ra[#ra + 1] = fp
      elseif known[fp] then
        rr[#rr + 1] = fp
      end
    end
  end
  chunked('HSET', KEYS[1], hs, 1000)
  local written = {}
  for j = 1, #hs, 2 do written[#written + 1] = hs[j] end
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ${DELTAS_KEPT}, '*', 'f', table.concat(written, '\\030'))
  if #ra > 0 then chunked('ZADD', KEYS[2], ra, 1000) end
  if #rr > 0 then chunked('ZREM', KEYS[2], rr, 1000) end
end
for k = FIRST_BATCH, #KEYS do redis.call('DEL', KEYS[k]) end
return {n, fresh, values}
`;

// KEYS: state, resolved. ARGV: the state hash's scan cursor, since, entries to look at. One step of the analyzer's
// rebuild (AlertStore.openAndRecent): about `count` entries of the state hash from the cursor on, of which it returns
// the firing ones and those resolved since `since`, as fingerprint, value pairs, with the next cursor ('0': done).
// In steps, so that Redis is never held for the whole state, nor does the whole state cross into Lua at once: it
// also holds the alerts resolved in the last day (docs/benchmarks.md).
const OPEN_AND_RECENT_STEP = `${LUA_STATE_VALUE}
local scan = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[3])
local since = tonumber(ARGV[2])
local kv = scan[2]
local out = {}
for j = 1, #kv, 2 do
  local v = kv[j + 1]
  local keep = value_is_firing(v)
  if not keep then
    local endsAt = redis.call('ZSCORE', KEYS[2], kv[j])
    keep = endsAt ~= false and tonumber(endsAt) >= since
  end
  if keep then
    out[#out + 1] = kv[j]
    out[#out + 1] = v
  end
end
return {scan[1], out}
`;

// KEYS: state, resolved, then the firing indexes of earlier versions (a zset, a hash; see APPLY_ALERTS), deleted
// here: the state says what fires. ARGV: resolvedBefore, firingStartedBefore ('' = keep firing alerts), the state
// hash's scan cursor. Removes at most 10000 resolved alerts per call, and looks at about 1000 entries of the state
// hash from the cursor on for firing alerts that started before firingStartedBefore: a large hash is swept over
// several calls (one a minute), because every enqueue waits behind the call. The state's values are whole alerts:
// 2000 of them took 5 ms (13 ms at worst) of an idle Redis and up to 33 ms in a soak's slow log, 1000 take 3 ms (6 at
// worst). Stale means a week old, so a sweep of hours is soon enough (a million alerts: about 17 hours).
// Returns { how many it removed, the next cursor ('0': the sweep is done) }.
const PRUNE = `${LUA_CHUNK}${LUA_STATE_VALUE}
redis.call('UNLINK', KEYS[3], KEYS[4])
local victims = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1], 'LIMIT', 0, 10000)
local removed = #victims
if removed > 0 then
  chunked('HDEL', KEYS[1], victims, 1000)
  chunked('ZREM', KEYS[2], victims, 1000)
end
local cursor = '0'
if ARGV[2] ~= '' then
  local before = tonumber(ARGV[2])
  local scan = redis.call('HSCAN', KEYS[1], ARGV[3], 'COUNT', 1000)
  cursor = scan[1]
  local gone = {}
  for j = 1, #scan[2], 2 do
    local v = scan[2][j + 1]
    if value_is_firing(v) and value_starts_at(v) < before then gone[#gone + 1] = scan[2][j] end
  end
  if #gone > 0 then
    chunked('HDEL', KEYS[1], gone, 1000)
    removed = removed + #gone
  end
end
return {removed, cursor}
`;

/** State entries one step of openAndRecent looks at: about a millisecond of Redis each. */
const REBUILD_SCAN_COUNT = 1000;

/** Record separator between JSON documents: JSON.stringify escapes every control character in strings. */
const RS = '\u001e';
/** Unit separator between a payload's meta and its docs (see APPLY_ALERTS). */
const US = '\u001f';
const RS_BYTES = Buffer.from(RS);
const US_BYTES = Buffer.from(US);

type AlertScripts = Redis & {
  rcabotApplyAlerts(numKeys: number, ...keysThenArgs: Array<string | Buffer>): Promise<[number, number[], string[]]>;
  rcabotOpenAndRecentStep(state: string, resolved: string, cursor: string, since: number, count: number): Promise<[string, string[]]>;
  rcabotPruneAlerts(state: string, resolved: string, legacyOpen: string, legacyFiring: string, resolvedBefore: number, firingBefore: string, cursor: string): Promise<[number, string]>;
};

export interface ApplyAlertsResult {
  /** Alerts that are new or changed (in input order); a batch may hold several states of one fingerprint. */
  fresh: Alert[];
  /** Alerts recognised as repeats (or stale copies) of a state already stored. */
  duplicates: number;
}

/**
 * A batch of alerts already in the script's argument form, as UTF-8 bytes, so it is made once where the alerts are
 * first serialised (the HTTP route) and reaches Redis without re-encoding. Batches concatenate (concatEncodedAlerts)
 * without parsing. Bytes, not strings: a batch of several requests built by string concatenation is a rope that
 * V8 writes to a socket one character at a time (4.3 µs an alert for a coalesced batch, against 0.1 µs to turn each
 * request's flat string into bytes once: bench/ingest-http.bench.ts profiles, docs/benchmarks.md).
 */
export interface EncodedAlerts {
  count: number;
  /**
   * A JSON array, 3 entries per alert (strings): fingerprint, startsAt, and its time in the resolved zset (endsAt;
   * startsAt while firing: unused since firing alerts have no index, kept so that batches queued by an earlier
   * version and by this one read alike).
   */
  meta: Buffer;
  /** Stored values "startsAt|f|json" / "startsAt|r|json", joined by RS. */
  docs: Buffer;
}

export const NO_ALERTS: EncodedAlerts = { count: 0, meta: Buffer.from('[]'), docs: Buffer.alloc(0) };

/** Encodes alerts for the store: one JSON.stringify per alert, the only one on their way to Redis. */
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
  // JSON.stringify and join make flat strings, which Buffer.from encodes at memory speed.
  return { count: alerts.length, meta: Buffer.from(JSON.stringify(meta)), docs: Buffer.from(docs.join(RS)) };
}

const OPEN_BRACKET = Buffer.from('[');
const CLOSE_BRACKET = Buffer.from(']');
const COMMA = Buffer.from(',');

/** One batch of several, in order, by copying bytes (no parsing). */
export function concatEncodedAlerts(parts: readonly EncodedAlerts[]): EncodedAlerts {
  const nonEmpty = parts.filter((p) => p.count > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? NO_ALERTS;
  let count = 0;
  const meta: Buffer[] = [OPEN_BRACKET];
  const docs: Buffer[] = [];
  for (const p of nonEmpty) {
    if (count > 0) {
      meta.push(COMMA);
      docs.push(RS_BYTES);
    }
    count += p.count;
    meta.push(p.meta.subarray(1, p.meta.length - 1));
    docs.push(p.docs);
  }
  meta.push(CLOSE_BRACKET);
  return { count, meta: Buffer.concat(meta), docs: Buffer.concat(docs) };
}

/** A batch as one value, as it is stored under a batch key (AlertStore.writeBatch) or passed inline. */
export function alertsPayload(batch: EncodedAlerts): Buffer {
  return Buffer.concat([batch.meta, US_BYTES, batch.docs]);
}

/** The alerts of a payload (alertsPayload), parsed back (inspection and tests). */
export function decodeAlertsPayload(payload: string): Alert[] {
  const cut = payload.indexOf(US);
  const docs = payload.slice(cut + 1);
  return docs === '' ? [] : docs.split(RS).map(parseStored);
}

/** The alerts of an encoded batch, parsed back from their stored form. */
export function decodeEncodedAlerts(batch: EncodedAlerts): Alert[] {
  return decodeAlertsPayload(alertsPayload(batch).toString('utf8'));
}

/** What applying batches did (AlertStore.applyBatches). */
export interface ApplyBatchesResult {
  /** Alerts read from the batches (duplicates included; 0 for batches already applied). */
  processed: number;
  /** 0-based positions of the fresh alerts among the processed ones, in input order. */
  positions: number[];
  /** The fresh alerts, parsed back from the store's values (only when asked for). */
  fresh: Alert[];
}

export class AlertStore {
  private readonly keys: AlertKeys;
  private readonly redis: AlertScripts;
  /** Where the next prune goes on sweeping the state hash for stale firing alerts ('0': from the start). */
  private firingCursor = '0';

  constructor(redis: Redis, prefix: string) {
    this.keys = redisKeys(prefix).alerts;
    defineAlertScripts(redis);
    this.redis = redis as AlertScripts;
  }

  /** Deduplicates and stores a batch in one atomic round trip. */
  async applyAlerts(alerts: readonly Alert[]): Promise<ApplyAlertsResult> {
    if (alerts.length === 0) return { fresh: [], duplicates: 0 };
    const { positions } = await this.applyBatches([], [encodeAlerts(alerts)], false);
    const fresh = positions.map((i) => alerts[i]!);
    return { fresh, duplicates: alerts.length - fresh.length };
  }

  /**
   * Stores an encoded batch under its own key (in the alerts' hash slot) until applyBatches applies it;
   * this is how an HTTP route hands alerts to the workers by reference, so that the queue job carries only
   * the key (see ingest-queue.ts). Expires after `ttlMs` if never applied.
   */
  async writeBatch(id: string, batch: EncodedAlerts, ttlMs: number): Promise<string> {
    const key = this.batchKey(id);
    await this.redis.set(key, alertsPayload(batch), 'PX', ttlMs);
    return key;
  }

  /** The key writeBatch stores batch `id` under. */
  batchKey(id: string): string {
    return this.keys.batch(id);
  }

  /**
   * Deduplicates and stores, in one atomic round trip, the batches stored under `batchKeys` (deleting those
   * keys: a key already gone was applied before and counts for nothing) and the `inline` batches, in that
   * order. With `withFresh` the fresh alerts come back parsed (the analyzer's delta).
   */
  async applyBatches(batchKeys: readonly string[], inline: readonly EncodedAlerts[], withFresh: boolean): Promise<ApplyBatchesResult> {
    const payloads = inline.filter((b) => b.count > 0).map(alertsPayload);
    if (batchKeys.length === 0 && payloads.length === 0) return { processed: 0, positions: [], fresh: [] };
    const k = this.keys;
    const [processed, indices, values] = await this.redis.rcabotApplyAlerts(
      3 + batchKeys.length,
      k.state,
      k.resolved,
      k.deltas,
      ...batchKeys,
      withFresh ? '1' : '',
      ...payloads,
    );
    return { processed, positions: indices.map((i) => i - 1), fresh: values.map(parseStored) };
  }

  /** The stored state of these fingerprints (those still stored), in chunks of 1000. */
  async get(fingerprints: readonly string[]): Promise<Alert[]> {
    const out: Alert[] = [];
    for (let i = 0; i < fingerprints.length; i += 1000) {
      const rows = await this.redis.hmget(this.keys.state, ...fingerprints.slice(i, i + 1000));
      for (const row of rows) if (row !== null) out.push(parseStored(row));
    }
    return out;
  }

  /**
   * Every firing alert, plus alerts resolved at or after `since` (epoch ms), read in bounded steps. Not a snapshot:
   * an alert changed meanwhile may come in its old or its new state, so a caller that must not miss a change reads
   * the deltas stream from before the call (the analyzer's rebuild does, analysis-runner.ts).
   */
  async openAndRecent(since: number): Promise<Alert[]> {
    const k = this.keys;
    // HSCAN may return an entry twice (while the hash grows); a later return is at least as new.
    const latest = new Map<string, string>();
    let cursor = '0';
    do {
      const [next, pairs] = await this.redis.rcabotOpenAndRecentStep(k.state, k.resolved, cursor, since, REBUILD_SCAN_COUNT);
      for (let j = 0; j < pairs.length; j += 2) latest.set(pairs[j]!, pairs[j + 1]!);
      cursor = next;
    } while (cursor !== '0');
    return [...latest.values()].map(parseStored);
  }

  /**
   * Drops resolved alerts that ended before `olderThan`; when `firingStartedBefore` is given, also firing
   * alerts that started before it (their resolve was lost: Alertmanager would have resent them with a new
   * identity long ago). Bounded per call; returns how many were removed.
   */
  async prune(olderThan: number, firingStartedBefore?: number): Promise<number> {
    const k = this.keys;
    const firing = firingStartedBefore === undefined ? '' : String(firingStartedBefore);
    const [removed, cursor] = await this.redis.rcabotPruneAlerts(k.state, k.resolved, k.legacyOpen, k.legacyFiring, olderThan, firing, this.firingCursor);
    this.firingCursor = cursor;
    return removed;
  }
}

function defineAlertScripts(redis: Redis): void {
  const r = redis as unknown as Record<string, unknown>;
  if (typeof r.rcabotApplyAlerts === 'function') return;
  redis.defineCommand('rcabotApplyAlerts', { lua: APPLY_ALERTS });
  redis.defineCommand('rcabotOpenAndRecentStep', { numberOfKeys: 2, lua: OPEN_AND_RECENT_STEP });
  redis.defineCommand('rcabotPruneAlerts', { numberOfKeys: 4, lua: PRUNE });
}

/** A stored value is "startsAt|f|json" (or "|r|"): skip the identity prefix. */
function parseStored(value: string): Alert {
  const json = value.indexOf('|', value.indexOf('|') + 1) + 1;
  return JSON.parse(value.slice(json)) as Alert;
}
