// The Lua scripts behind ProposalStore: each proposal transition, and the audit entry that goes with it, in one
// atomic step. Kept apart from the store so each script and its key/argument contract read as one unit.
import { AUDIT_OUTBOX_LUA } from './audit-outbox.js';

// KEYS: proposal, outbox, expiries, the incident's proposals (a set: which of them fixed it, for the history). ARGV:
// doc, expiresAt, required, ttl, proposalId, audit entry.
export const CREATE = `${AUDIT_OUTBOX_LUA}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'doc', ARGV[1], 'state', 'proposed', 'expiresAt', ARGV[2], 'required', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[5])
redis.call('SADD', KEYS[4], ARGV[5])
redis.call('PEXPIRE', KEYS[4], ARGV[4])
audit(KEYS[2], ARGV[6])
return 1`;

// KEYS: proposal, approvals, runs(target), paused, outbox, expiries. ARGV: user, now, maxRunsPerHour, windowMs,
// proposalId, retainMs, "approval" entry, "approved" entry. Refusals write nothing (the caller records them).
// TTLs are relative (PEXPIRE): `now` is the caller's clock, which may be a replayed or test clock.
export const APPROVE = `${AUDIT_OUTBOX_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return {'unknown'} end
if redis.call('EXISTS', KEYS[4]) == 1 then return {'paused'} end
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'proposed' then return {'state', state} end
local now = tonumber(ARGV[2])
if now >= tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) then return {'expired'} end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return {'duplicate'} end
local count = redis.call('ZCARD', KEYS[2]) + 1
if count >= tonumber(redis.call('HGET', KEYS[1], 'required')) then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[4]))
  local runs = redis.call('ZCARD', KEYS[3])
  if runs >= tonumber(ARGV[3]) then return {'rate-limited', tostring(runs)} end
  redis.call('ZADD', KEYS[3], now, ARGV[5])
  redis.call('PEXPIRE', KEYS[3], ARGV[4])
  redis.call('ZADD', KEYS[2], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
  redis.call('HSET', KEYS[1], 'state', 'approved', 'approvedAt', ARGV[2])
  redis.call('ZREM', KEYS[6], ARGV[5])
  audit(KEYS[5], ARGV[7], {count = count})
  audit(KEYS[5], ARGV[8], {approvers = redis.call('ZRANGE', KEYS[2], 0, -1)})
  return {'approved', tostring(count)}
end
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
audit(KEYS[5], ARGV[7], {count = count})
return {'recorded', tostring(count)}`;

// KEYS: proposal, outbox, expiries. ARGV: comma-separated allowed from-states, to-state, proposalId, audit entry,
// then field/value pairs to set. A proposal that leaves "proposed" leaves the expiry index too.
export const TRANSITION = `${AUDIT_OUTBOX_LUA}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'unknown'} end
local allowed = false
for s in string.gmatch(ARGV[1], '[^,]+') do if s == state then allowed = true end end
if not allowed then return {'state', state} end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('ZREM', KEYS[3], ARGV[3])
audit(KEYS[2], ARGV[4])
return {'ok', state}`;

// KEYS: proposal, expiries, outbox. ARGV: now, proposalId, audit entry. proposed → expired once its expiry has
// passed by the caller's clock; an id that is no longer waiting leaves the index, a not-yet-due one is re-scored.
export const EXPIRE = `${AUDIT_OUTBOX_LUA}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then redis.call('ZREM', KEYS[2], ARGV[2]) return {'unknown'} end
if state ~= 'proposed' then redis.call('ZREM', KEYS[2], ARGV[2]) return {'state', state} end
local expiresAt = redis.call('HGET', KEYS[1], 'expiresAt')
if tonumber(ARGV[1]) < tonumber(expiresAt) then redis.call('ZADD', KEYS[2], expiresAt, ARGV[2]) return {'pending'} end
redis.call('HSET', KEYS[1], 'state', 'expired', 'expiredAt', ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
audit(KEYS[3], ARGV[3])
return {'ok', state}`;

// KEYS: proposal, paused, outbox. ARGV: now, "execution-started" entry. approved → running (first attempt) or
// running → running (a retry after a crash).
export const START_RUN = `${AUDIT_OUTBOX_LUA}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'unknown'} end
if state ~= 'approved' and state ~= 'running' then return {'state', state} end
redis.call('HSET', KEYS[1], 'state', 'running')
-- Paused: the run is taken (so no one else takes it) and the caller finishes it as failed, sending nothing.
if redis.call('EXISTS', KEYS[2]) == 1 then return {'paused', state} end
if state == 'approved' then redis.call('HSET', KEYS[1], 'startedAt', ARGV[1]) end
local attempt = redis.call('HINCRBY', KEYS[1], 'runAttempts', 1)
audit(KEYS[3], ARGV[2], {attempt = attempt, resumed = state == 'running'})
return {state == 'approved' and 'started' or 'resumed', tostring(attempt)}`;

// KEYS: proposal, outbox. ARGV: now, "dry-run" entry. Every dry run is recorded; it counts (dryRunAt) only while
// proposed, and the first time.
export const MARK_DRY_RUN = `${AUDIT_OUTBOX_LUA}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'unknown'} end
audit(KEYS[2], ARGV[2])
if state ~= 'proposed' then return {'state', state} end
redis.call('HSETNX', KEYS[1], 'dryRunAt', ARGV[1])
return {'ok', redis.call('HGET', KEYS[1], 'dryRunAt')}`;

// KEYS: steps. ARGV: step index, idempotent(0/1), token. A finished step is never claimed again.
export const CLAIM_STEP = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v == 'done' then return 'done' end
if v and string.sub(v, 1, 6) == 'failed' then return 'failed' end
if v and ARGV[2] == '0' then return 'unknown' end
redis.call('HSET', KEYS[1], ARGV[1], 'started:' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 'claimed'`;
