// Proposals in Redis. Every state transition and approval is one Lua script, so concurrent clicks, approvers
// and replicas meet in Redis and exactly one of them wins each transition.
import type { Redis } from 'ioredis';
import { normalizePrefix } from '../store/keys.js';
import { TRANSITIONS, type Approval, type ExecutionOutcome, type Proposal, type ProposalState, type VerificationOutcome } from './proposal.js';

const HOUR = 3_600_000;
/** Proposals are kept this long after they expire, for the record; the audit stream is the permanent log. */
const RETAIN_MS = 30 * 24 * HOUR;

export interface RemediationKeys {
  proposal(id: string): string;
  approvals(id: string): string;
  steps(id: string): string;
  runs(target: string): string;
  paused: string;
  auditStream: string;
  auditHead: string;
  queuePrefix: string;
}

/** One hash tag for all remediation keys: each script's keys must share a Redis Cluster slot. */
export function remediationKeys(rawPrefix: string): RemediationKeys {
  const p = `${normalizePrefix(rawPrefix)}{remediation}:`;
  return {
    proposal: (id) => `${p}proposal:${id}`,
    approvals: (id) => `${p}approvals:${id}`,
    steps: (id) => `${p}steps:${id}`,
    runs: (target) => `${p}runs:${target}`,
    paused: `${p}paused`,
    auditStream: `${p}audit`,
    auditHead: `${p}audit-head`,
    queuePrefix: `${normalizePrefix(rawPrefix)}{q-remediation}`,
  };
}

const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'doc', ARGV[1], 'state', 'proposed', 'expiresAt', ARGV[2], 'required', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

// KEYS: proposal, approvals, runs(target), paused. ARGV: user, now, maxRunsPerHour, windowMs, proposalId, retainMs.
// TTLs are relative (PEXPIRE): `now` is the caller's clock, which may be a replayed or test clock.
const APPROVE = `
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
  return {'approved', tostring(count)}
end
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return {'recorded', tostring(count)}`;

// KEYS: proposal. ARGV: comma-separated allowed from-states, to-state, then field/value pairs to set.
const TRANSITION = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'unknown'} end
local allowed = false
for s in string.gmatch(ARGV[1], '[^,]+') do if s == state then allowed = true end end
if not allowed then return {'state', state} end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return {'ok', state}`;

// KEYS: proposal, paused. ARGV: now. approved → running (first attempt) or running → running (a retry after a crash).
const START_RUN = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'unknown'} end
if state ~= 'approved' and state ~= 'running' then return {'state', state} end
redis.call('HSET', KEYS[1], 'state', 'running')
-- Paused: the run is taken (so no one else takes it) and the caller finishes it as failed, sending nothing.
if redis.call('EXISTS', KEYS[2]) == 1 then return {'paused', state} end
if state == 'approved' then redis.call('HSET', KEYS[1], 'startedAt', ARGV[1]) end
local attempt = redis.call('HINCRBY', KEYS[1], 'runAttempts', 1)
return {state == 'approved' and 'started' or 'resumed', tostring(attempt)}`;

// KEYS: proposal, dry-run only while proposed, first time only.
const MARK_DRY_RUN = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'unknown'} end
if state ~= 'proposed' then return {'state', state} end
redis.call('HSETNX', KEYS[1], 'dryRunAt', ARGV[1])
return {'ok', redis.call('HGET', KEYS[1], 'dryRunAt')}`;

// KEYS: steps. ARGV: step index, idempotent(0/1), token. A finished step is never claimed again.
const CLAIM_STEP = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v == 'done' then return 'done' end
if v and string.sub(v, 1, 6) == 'failed' then return 'failed' end
if v and ARGV[2] == '0' then return 'unknown' end
redis.call('HSET', KEYS[1], ARGV[1], 'started:' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 'claimed'`;

export type ApproveOutcome =
  | { kind: 'recorded'; count: number }
  | { kind: 'approved'; count: number }
  | { kind: 'unknown' }
  | { kind: 'paused' }
  | { kind: 'expired' }
  | { kind: 'duplicate' }
  | { kind: 'rate-limited'; runs: number }
  | { kind: 'state'; state: ProposalState };

export type TransitionOutcome = { kind: 'ok'; from: ProposalState } | { kind: 'unknown' } | { kind: 'state'; state: ProposalState };

export type StepClaim = 'claimed' | 'done' | 'failed' | 'unknown';

type StaticPart = Omit<Proposal, 'state' | 'approvals' | 'dryRunAt' | 'rejectedBy' | 'outcome' | 'verification'>;

export class ProposalStore {
  readonly keys: RemediationKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = remediationKeys(prefix);
  }

  /** Stores a new proposal in state `proposed`; false when the id exists. */
  async create(p: StaticPart, required: number): Promise<boolean> {
    const doc: StaticPart = {
      id: p.id,
      incidentId: p.incidentId,
      runbookId: p.runbookId,
      proposer: p.proposer,
      createdAt: p.createdAt,
      expiresAt: p.expiresAt,
      target: p.target,
      params: p.params,
      plan: p.plan,
      planHash: p.planHash,
    };
    const r = await this.redis.eval(CREATE, 1, this.keys.proposal(p.id), JSON.stringify(doc), p.expiresAt, required, p.expiresAt - p.createdAt + RETAIN_MS);
    return r === 1;
  }

  async get(id: string): Promise<Proposal | null> {
    const [fields, approvals] = await Promise.all([
      this.redis.hgetall(this.keys.proposal(id)),
      this.redis.zrange(this.keys.approvals(id), 0, -1, 'WITHSCORES'),
    ]);
    if (!fields.doc || !fields.state) return null;
    const doc = JSON.parse(fields.doc) as StaticPart;
    const list: Approval[] = [];
    for (let i = 0; i + 1 < approvals.length; i += 2) list.push({ user: approvals[i]!, at: Number(approvals[i + 1]) });
    return {
      ...doc,
      state: fields.state as ProposalState,
      approvals: list,
      dryRunAt: fields.dryRunAt ? Number(fields.dryRunAt) : null,
      rejectedBy: fields.rejectedBy ?? null,
      outcome: fields.outcome ? (JSON.parse(fields.outcome) as ExecutionOutcome) : null,
      verification: fields.verification ? (JSON.parse(fields.verification) as VerificationOutcome) : null,
    };
  }

  /** Records one distinct approval; the one that reaches the quorum moves the proposal to `approved`. */
  async approve(p: Pick<Proposal, 'id' | 'target' | 'expiresAt'>, user: string, now: number, maxRunsPerHour: number): Promise<ApproveOutcome> {
    const r = (await this.redis.eval(
      APPROVE,
      4,
      this.keys.proposal(p.id),
      this.keys.approvals(p.id),
      this.keys.runs(p.target),
      this.keys.paused,
      user,
      now,
      maxRunsPerHour,
      HOUR,
      p.id,
      Math.max(0, p.expiresAt - now) + RETAIN_MS,
    )) as string[];
    switch (r[0]) {
      case 'recorded':
      case 'approved':
        return { kind: r[0], count: Number(r[1]) };
      case 'rate-limited':
        return { kind: 'rate-limited', runs: Number(r[1]) };
      case 'state':
        return { kind: 'state', state: r[1] as ProposalState };
      default:
        return { kind: r[0] as 'unknown' | 'paused' | 'expired' | 'duplicate' };
    }
  }

  async transition(id: string, from: readonly ProposalState[], to: ProposalState, fields: Record<string, string> = {}): Promise<TransitionOutcome> {
    for (const f of from) if (!TRANSITIONS[f].includes(to)) throw new Error(`not a proposal transition: ${f} → ${to}`);
    const args = [from.join(','), to, ...Object.entries(fields).flat()];
    const r = (await this.redis.eval(TRANSITION, 1, this.keys.proposal(id), ...args)) as string[];
    if (r[0] === 'ok') return { kind: 'ok', from: r[1] as ProposalState };
    if (r[0] === 'unknown') return { kind: 'unknown' };
    return { kind: 'state', state: r[1] as ProposalState };
  }

  reject(id: string, user: string): Promise<TransitionOutcome> {
    return this.transition(id, ['proposed'], 'rejected', { rejectedBy: user });
  }

  finish(id: string, outcome: ExecutionOutcome): Promise<TransitionOutcome> {
    return this.transition(id, ['running'], outcome.ok ? 'succeeded' : 'failed', { outcome: JSON.stringify(outcome) });
  }

  recordVerification(id: string, v: VerificationOutcome): Promise<TransitionOutcome> {
    return this.transition(id, ['succeeded'], v.fixed ? 'verified' : 'not-fixed', { verification: JSON.stringify(v) });
  }

  /** Marks that the plan was shown as a dry run (the first time counts). */
  async markDryRun(id: string, now: number): Promise<TransitionOutcome> {
    const r = (await this.redis.eval(MARK_DRY_RUN, 1, this.keys.proposal(id), now)) as string[];
    if (r[0] === 'ok') return { kind: 'ok', from: 'proposed' };
    if (r[0] === 'unknown') return { kind: 'unknown' };
    return { kind: 'state', state: r[1] as ProposalState };
  }

  /** approved → running, or running → running when a crashed attempt is retried. */
  async startRun(id: string, now: number): Promise<{ kind: 'started' | 'resumed'; attempt: number } | { kind: 'paused' } | { kind: 'unknown' } | { kind: 'state'; state: ProposalState }> {
    const r = (await this.redis.eval(START_RUN, 2, this.keys.proposal(id), this.keys.paused, now)) as string[];
    if (r[0] === 'started' || r[0] === 'resumed') return { kind: r[0], attempt: Number(r[1]) };
    if (r[0] === 'paused') return { kind: 'paused' };
    if (r[0] === 'unknown') return { kind: 'unknown' };
    return { kind: 'state', state: r[1] as ProposalState };
  }

  /**
   * Claims a plan step before sending it. `done` and `failed` steps are never sent again; a step that was
   * started but never finished (the worker died) is sent again only if it is idempotent, else `unknown`.
   */
  async claimStep(id: string, index: number, idempotent: boolean, token: string): Promise<StepClaim> {
    return (await this.redis.eval(CLAIM_STEP, 1, this.keys.steps(id), index, idempotent ? 1 : 0, token, RETAIN_MS)) as StepClaim;
  }

  async finishStep(id: string, index: number, ok: boolean, detail: string): Promise<void> {
    await this.redis.hset(this.keys.steps(id), String(index), ok ? 'done' : `failed`, `${index}:detail`, detail);
  }

  async stepDetails(id: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.steps(id));
  }
}
