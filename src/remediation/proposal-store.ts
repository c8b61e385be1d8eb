// Proposals in Redis. Every state transition and approval is one Lua script, so concurrent clicks, approvers
// and replicas meet in Redis and exactly one of them wins each transition. Each script also writes the audit
// entry of what it changed to the audit outbox, in the same atomic step (audit-outbox.ts).
import type { Redis } from 'ioredis';
import { normalizePrefix } from '../store/keys.js';
import type { AuditEntry } from './audit-log.js';
import { encodeAuditEntry } from './audit-outbox.js';
import { APPROVE, CLAIM_STEP, CREATE, EXPIRE, MARK_DRY_RUN, START_RUN, TRANSITION } from './proposal-scripts.js';
import { TRANSITIONS, type Approval, type ExecutionOutcome, type Proposal, type ProposalState, type VerificationOutcome } from './proposal.js';

const HOUR = 3_600_000;
/** Proposals are kept this long after they expire, for the record; the audit stream is the permanent log. */
const RETAIN_MS = 30 * 24 * HOUR;

export interface RemediationKeys {
  proposal(id: string): string;
  approvals(id: string): string;
  steps(id: string): string;
  runs(target: string): string;
  /** The ids of an incident's proposals (a set, kept as long as its latest proposal). */
  incidentProposals(incidentId: string): string;
  paused: string;
  /** Proposals still `proposed`, scored by expiry: what the expiry sweep looks at. */
  expiries: string;
  auditStream: string;
  auditHead: string;
  auditOutbox: string;
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
    incidentProposals: (incidentId) => `${p}incident-proposals:${incidentId}`,
    paused: `${p}paused`,
    expiries: `${p}expiries`,
    auditStream: `${p}audit`,
    auditHead: `${p}audit-head`,
    auditOutbox: `${p}audit-outbox`,
    queuePrefix: `${normalizePrefix(rawPrefix)}{q-remediation}`,
  };
}

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

  /** Stores a new proposal in state `proposed` with its "proposed" audit entry; false when the id exists. */
  async create(p: StaticPart, required: number, audit: AuditEntry): Promise<boolean> {
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
    const k = this.keys;
    const ttl = p.expiresAt - p.createdAt + RETAIN_MS;
    const r = await this.redis.eval(CREATE, 4, k.proposal(p.id), k.auditOutbox, k.expiries, k.incidentProposals(p.incidentId), JSON.stringify(doc), p.expiresAt, required, ttl, p.id, encodeAuditEntry(audit));
    return r === 1;
  }

  /** Every proposal still kept for an incident, oldest first. */
  async forIncident(incidentId: string): Promise<Proposal[]> {
    const ids = await this.redis.smembers(this.keys.incidentProposals(incidentId));
    const found = await Promise.all(ids.map((id) => this.get(id)));
    return found.filter((p): p is Proposal => p !== null).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
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

  /**
   * Records one distinct approval; the one that reaches the quorum moves the proposal to `approved`. The
   * "approval" entry (its count merged in) is written with each approval, the "approved" one (its approvers
   * merged in) with the quorum.
   */
  async approve(
    p: Pick<Proposal, 'id' | 'target' | 'expiresAt'>,
    user: string,
    now: number,
    maxRunsPerHour: number,
    audit: { approval: AuditEntry; approved: AuditEntry },
  ): Promise<ApproveOutcome> {
    const k = this.keys;
    const r = (await this.redis.eval(
      APPROVE,
      6,
      k.proposal(p.id),
      k.approvals(p.id),
      k.runs(p.target),
      k.paused,
      k.auditOutbox,
      k.expiries,
      user,
      now,
      maxRunsPerHour,
      HOUR,
      p.id,
      Math.max(0, p.expiresAt - now) + RETAIN_MS,
      encodeAuditEntry(audit.approval),
      encodeAuditEntry(audit.approved),
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

  /** Moves a proposal from one of `from` to `to`, setting `fields` and writing `audit`, all or nothing. */
  async transition(id: string, from: readonly ProposalState[], to: ProposalState, audit: AuditEntry, fields: Record<string, string> = {}): Promise<TransitionOutcome> {
    for (const f of from) if (!TRANSITIONS[f].includes(to)) throw new Error(`not a proposal transition: ${f} → ${to}`);
    const k = this.keys;
    const args = [from.join(','), to, id, encodeAuditEntry(audit), ...Object.entries(fields).flat()];
    return transitionOutcome((await this.redis.eval(TRANSITION, 3, k.proposal(id), k.auditOutbox, k.expiries, ...args)) as string[]);
  }

  reject(id: string, user: string, audit: AuditEntry): Promise<TransitionOutcome> {
    return this.transition(id, ['proposed'], 'rejected', audit, { rejectedBy: user });
  }

  finish(id: string, outcome: ExecutionOutcome, audit: AuditEntry): Promise<TransitionOutcome> {
    return this.transition(id, ['running'], outcome.ok ? 'succeeded' : 'failed', audit, { outcome: JSON.stringify(outcome) });
  }

  recordVerification(id: string, v: VerificationOutcome, audit: AuditEntry): Promise<TransitionOutcome> {
    return this.transition(id, ['succeeded'], v.fixed ? 'verified' : 'not-fixed', audit, { verification: JSON.stringify(v) });
  }

  /** proposed → expired, only once its expiry has passed by `now`; `pending` when it has not. */
  async expire(id: string, now: number, audit: AuditEntry): Promise<TransitionOutcome | { kind: 'pending' }> {
    const k = this.keys;
    const r = (await this.redis.eval(EXPIRE, 3, k.proposal(id), k.expiries, k.auditOutbox, now, id, encodeAuditEntry(audit))) as string[];
    return r[0] === 'pending' ? { kind: 'pending' } : transitionOutcome(r);
  }

  /** Ids of proposals that were still `proposed` when last seen and whose expiry is at or before `now`, oldest first. */
  dueForExpiry(now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.expiries, '-inf', now, 'LIMIT', 0, limit);
  }

  /** Drops an id from the expiry index (its proposal is gone). */
  async forgetExpiry(id: string): Promise<void> {
    await this.redis.zrem(this.keys.expiries, id);
  }

  /** Records a dry run (`audit`); while proposed, the first one also counts for `requireDryRun`. */
  async markDryRun(id: string, now: number, audit: AuditEntry): Promise<TransitionOutcome> {
    const r = (await this.redis.eval(MARK_DRY_RUN, 2, this.keys.proposal(id), this.keys.auditOutbox, now, encodeAuditEntry(audit))) as string[];
    if (r[0] === 'ok') return { kind: 'ok', from: 'proposed' };
    return transitionOutcome(r);
  }

  /**
   * approved → running, or running → running when a crashed attempt is retried; writes the "execution-started"
   * entry (attempt and resumption merged in) unless automation is paused.
   */
  async startRun(
    id: string,
    now: number,
    audit: AuditEntry,
  ): Promise<{ kind: 'started' | 'resumed'; attempt: number } | { kind: 'paused' } | { kind: 'unknown' } | { kind: 'state'; state: ProposalState }> {
    const k = this.keys;
    const r = (await this.redis.eval(START_RUN, 3, k.proposal(id), k.paused, k.auditOutbox, now, encodeAuditEntry(audit))) as string[];
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

function transitionOutcome(r: string[]): TransitionOutcome {
  if (r[0] === 'ok') return { kind: 'ok', from: r[1] as ProposalState };
  if (r[0] === 'unknown') return { kind: 'unknown' };
  return { kind: 'state', state: r[1] as ProposalState };
}
