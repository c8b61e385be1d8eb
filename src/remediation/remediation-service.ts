// The remediation API the chat layer calls: propose, dry-run, approve, reject, pause. Each call returns a
// Result whose refusal says why; every decision is written to the audit log, in the same atomic step as the
// state change it records (through the outbox), and chained before the call returns.
import { randomUUID } from 'node:crypto';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { IncidentFix } from '../model/history.js';
import type { IncidentReport } from '../model/incident.js';
import type { Runbook } from '../runbooks/runbook-schema.js';
import type { Logger } from '../telemetry/logger.js';
import { AuditLog, type AuditAction, type AuditEntry } from './audit-log.js';
import { AutomationSwitch, type PauseState } from './automation-switch.js';
import { ExecutionQueue, executeProposal, type WorkerOptions } from './execution-queue.js';
import { buildPlan, type Executors } from './executors/executor.js';
import { hashPlan, incidentFacts, resolveParams, type DeployFact, type Plan } from './plan.js';
import { startPeriodicSweep, type PeriodicSweep } from './periodic-sweep.js';
import { checkApproval, checkScope, isApprover } from './policy.js';
import { expireDueProposals } from './proposal-expiry.js';
import type { Actor, Proposal } from './proposal.js';
import { ProposalStore } from './proposal-store.js';
import { ok, refuse, type Refusal, type Result } from './result.js';
import { verifyProposal } from './verification.js';

export type RemediationEvent =
  | { type: 'approved'; proposal: Proposal }
  | { type: 'finished'; proposal: Proposal }
  | { type: 'verified'; proposal: Proposal }
  | { type: 'expired'; proposal: Proposal };

export interface RemediationServiceOptions {
  /** A connection with `maxRetriesPerRequest: null` (BullMQ shares it). The caller quits it. */
  redis: Redis;
  prefix: string;
  runbooks: readonly Runbook[];
  executors: Executors;
  getIncident: (id: string) => Promise<IncidentReport | null>;
  /** Recent deploys for `deploy.*` parameters and the recent-deploy category; none when absent. */
  getRecentDeploys?: (incident: IncidentReport) => Promise<DeployFact[]>;
  /** Fingerprints of the incident's alerts still firing; default: all while the incident is open. */
  firingAlerts?: (incident: IncidentReport) => Promise<string[]>;
  /** Slack user ids allowed to pause and resume automation. */
  admins: readonly string[];
  onEvent?: (event: RemediationEvent) => void | Promise<void>;
  clock?: () => number;
  newId?: () => string;
  /**
   * When set, startWorker also runs the sweep (chain audit entries a crash left in the outbox, expire due
   * proposals) at start and then this often. Unset in tests that drive `sweep()` themselves.
   */
  sweepEveryMs?: number;
  /** Where sweep failures are reported; they are retried at the next sweep. */
  logger?: Logger;
}

export interface ApproveResult {
  proposal: Proposal;
  /** `recorded`: counted, more approvals needed; `queued`: the policy is met and the execution is queued. */
  status: 'recorded' | 'queued';
  approvals: number;
  required: number;
}

export interface DryRunResult {
  proposal: Proposal;
  /** The plan as approved: exactly what will be sent. */
  plan: Plan;
  /** False when the plan computed now differs (the cluster changed): propose again. */
  unchanged: boolean;
}

export class RemediationService {
  readonly store: ProposalStore;
  readonly audit: AuditLog;
  readonly automation: AutomationSwitch;
  readonly queue: ExecutionQueue;
  private readonly runbooks: Map<string, Runbook>;
  private readonly clock: () => number;
  private readonly newId: () => string;
  private readonly workers: Worker[] = [];
  private sweeper: PeriodicSweep | null = null;

  constructor(private readonly o: RemediationServiceOptions) {
    this.store = new ProposalStore(o.redis, o.prefix);
    this.audit = new AuditLog(o.redis, o.prefix);
    this.automation = new AutomationSwitch(o.redis, o.prefix);
    this.queue = new ExecutionQueue(o.redis, o.prefix);
    this.runbooks = new Map(o.runbooks.map((r) => [r.id, r]));
    this.clock = o.clock ?? Date.now;
    this.newId = o.newId ?? randomUUID;
  }

  async propose(incidentId: string, runbookId: string, proposer: Actor): Promise<Result<Proposal>> {
    const refused = (r: Refusal) => this.refusal(proposer.userId, r, { incidentId, runbookId });
    const runbook = this.runbooks.get(runbookId);
    if (!runbook) return refused(refuse('unknown-runbook', `no runbook "${runbookId}"`));
    if ((await this.automation.state()).paused) return refused(refuse('automation-paused', 'automated remediation is paused by an administrator'));
    const incident = await this.o.getIncident(incidentId);
    if (!incident) return refused(refuse('unknown-incident', `no incident "${incidentId}"`));
    const deploys = this.o.getRecentDeploys ? await this.o.getRecentDeploys(incident) : [];
    const facts = incidentFacts(incident.id, incident.rootCauses[0]?.service ?? null, deploys);
    const params = resolveParams(runbook.action, facts);
    if (!params.ok) return refused(params);
    const scope = checkScope(runbook, params.value);
    if (!scope.ok) return refused(scope);
    const now = this.clock();
    const plan = await buildPlan(runbook, params.value, now, this.o.executors);
    if (!plan.ok) return refused(plan);
    const proposal: Proposal = {
      id: this.newId(),
      incidentId,
      runbookId,
      proposer: proposer.userId,
      createdAt: now,
      expiresAt: now + runbook.approval.expiresAfter,
      target: plan.value.target,
      params: params.value,
      plan: plan.value,
      planHash: hashPlan(plan.value),
      state: 'proposed',
      approvals: [],
      dryRunAt: null,
      rejectedBy: null,
      outcome: null,
      verification: null,
    };
    const entry = this.entry('proposed', proposer.userId, proposal, { target: proposal.target, planHash: proposal.planHash, plan: proposal.plan.steps.map((s) => s.summary) });
    if (!(await this.store.create(proposal, runbook.approval.required, entry))) throw new Error(`proposal id collision: ${proposal.id}`);
    await this.audit.chain();
    return ok(proposal);
  }

  /** Shows the exact requests without sending anything, and records that a dry run was seen. */
  async dryRun(proposalId: string, actor: Actor): Promise<Result<DryRunResult>> {
    const p = await this.store.get(proposalId);
    if (!p) return this.refusal(actor.userId, refuse('unknown-proposal', `no proposal "${proposalId}"`), { proposalId });
    const runbook = this.runbooks.get(p.runbookId);
    if (!runbook) return this.refusal(actor.userId, refuse('unknown-runbook', `runbook "${p.runbookId}" is no longer loaded`), { proposalId });
    const now = this.clock();
    const current = await buildPlan(runbook, p.params, p.createdAt, this.o.executors);
    const unchanged = current.ok && hashPlan(current.value) === p.planHash;
    const entry = this.entry('dry-run', actor.userId, p, { unchanged, planHash: p.planHash });
    // Gone since it was read: the dry run was still shown, so it is still recorded.
    if ((await this.store.markDryRun(p.id, now, entry)).kind === 'unknown') await this.audit.enqueue(entry);
    await this.audit.chain();
    return ok({ proposal: (await this.store.get(p.id)) ?? p, plan: p.plan, unchanged });
  }

  /**
   * Records one approval. `planHash` (from the button the approver clicked) must match the stored plan, so
   * an approval always refers to the exact requests that were shown.
   */
  async approve(proposalId: string, approver: Actor, planHash?: string): Promise<Result<ApproveResult>> {
    const who = approver.userId;
    const p = await this.store.get(proposalId);
    if (!p) return this.refusal(who, refuse('unknown-proposal', `no proposal "${proposalId}"`), { proposalId });
    if (planHash !== undefined && planHash !== p.planHash)
      return this.refusal(who, refuse('stale-plan', `the plan you approved is not the plan of proposal ${p.id}`), p);
    const runbook = this.runbooks.get(p.runbookId);
    if (!runbook) return this.refusal(who, refuse('unknown-runbook', `runbook "${p.runbookId}" is no longer loaded`), p);
    // A proposal left approved by a crash between the quorum and the enqueue is queued by the next click.
    if (p.state === 'approved') await this.queue.enqueueExecution(p.id);
    const now = this.clock();
    const paused = (await this.automation.state()).paused;
    const policy = checkApproval(p, approver, runbook, now, paused);
    if (!policy.ok) return this.refusal(who, policy, p);

    const required = runbook.approval.required;
    // The script merges the approval count, and at the quorum the approvers, into these entries.
    const entries = { approval: this.entry('approval', who, p, { required }), approved: this.entry('approved', 'rcabot', p, { planHash: p.planHash }) };
    const r = await this.store.approve(p, who, now, runbook.guardrails.maxRunsPerTargetPerHour, entries);
    switch (r.kind) {
      case 'recorded': {
        await this.audit.chain();
        return ok({ proposal: (await this.store.get(p.id)) ?? p, status: 'recorded', approvals: r.count, required });
      }
      case 'approved': {
        await this.audit.chain();
        await this.queue.enqueueExecution(p.id);
        const approved = (await this.store.get(p.id)) ?? p;
        await this.o.onEvent?.({ type: 'approved', proposal: approved });
        return ok({ proposal: approved, status: 'queued', approvals: r.count, required });
      }
      case 'unknown':
        return this.refusal(who, refuse('unknown-proposal', `no proposal "${proposalId}"`), p);
      case 'paused':
        return this.refusal(who, refuse('automation-paused', 'automated remediation is paused by an administrator'), p);
      case 'state':
        if (r.state !== 'expired') return this.refusal(who, refuse('wrong-state', `proposal ${p.id} is already ${r.state}`), p);
      // falls through: expired by a sweep since it was read, so say expired as the policy check would have
      case 'expired':
        return this.refusal(who, refuse('expired', `proposal ${p.id} expired; propose it again`), p);
      case 'duplicate':
        return this.refusal(who, refuse('already-approved-by-you', `you already approved proposal ${p.id}`), p);
      case 'rate-limited':
        return this.refusal(
          who,
          refuse('rate-limited', `${p.target} already had ${r.runs} run(s) in the last hour; runbook ${runbook.id} allows ${runbook.guardrails.maxRunsPerTargetPerHour}`),
          p,
        );
    }
  }

  /** Rejects a proposal that is still waiting; the proposer and the runbook's approvers may reject. */
  async reject(proposalId: string, actor: Actor, reason = ''): Promise<Result<Proposal>> {
    const p = await this.store.get(proposalId);
    if (!p) return this.refusal(actor.userId, refuse('unknown-proposal', `no proposal "${proposalId}"`), { proposalId });
    const runbook = this.runbooks.get(p.runbookId);
    if (actor.userId !== p.proposer && !(runbook && isApprover(runbook, actor)))
      return this.refusal(actor.userId, refuse('not-authorised', `<@${actor.userId}> may not reject proposal ${p.id}`), p);
    const t = await this.store.reject(p.id, actor.userId, this.entry('rejected', actor.userId, p, { reason }));
    if (t.kind === 'unknown') return this.refusal(actor.userId, refuse('unknown-proposal', `no proposal "${proposalId}"`), p);
    if (t.kind === 'state') return this.refusal(actor.userId, refuse('wrong-state', `proposal ${p.id} is already ${t.state}`), p);
    await this.audit.chain();
    return ok((await this.store.get(p.id)) ?? p);
  }

  get(proposalId: string): Promise<Proposal | null> {
    return this.store.get(proposalId);
  }

  /**
   * What fixed an incident that resolved at `resolvedAt`: the runbook and target of its latest remediation that ran
   * and was verified as fixing it (`verified`), or that ran successfully before the incident resolved and is still
   * waiting for its check (`succeeded`: an incident often resolves minutes before `verify.after`, and its alerts
   * resolving is the very check). Null when none did. This, not what was merely suggested, is what its history records.
   */
  async fixOf(incidentId: string, resolvedAt: number): Promise<IncidentFix | null> {
    let latest: { fix: IncidentFix; finishedAt: number } | null = null;
    for (const p of await this.store.forIncident(incidentId)) {
      const finishedAt = p.outcome?.finishedAt;
      if (finishedAt === undefined || !(p.state === 'verified' || (p.state === 'succeeded' && finishedAt <= resolvedAt))) continue;
      if (latest === null || finishedAt >= latest.finishedAt) latest = { fix: { runbook: p.runbookId, target: p.target }, finishedAt };
    }
    return latest?.fix ?? null;
  }

  async pauseAutomation(actor: Actor, reason: string): Promise<Result<PauseState>> {
    if (!this.o.admins.includes(actor.userId))
      return this.refusal(actor.userId, refuse('not-authorised', `<@${actor.userId}> is not a remediation administrator`), {});
    await this.automation.pause(actor.userId, reason, this.clock(), { at: this.iso(), actor: actor.userId, action: 'automation-paused', detail: { reason } });
    await this.audit.chain();
    return ok(await this.automation.state());
  }

  async resumeAutomation(actor: Actor): Promise<Result<PauseState>> {
    if (!this.o.admins.includes(actor.userId))
      return this.refusal(actor.userId, refuse('not-authorised', `<@${actor.userId}> is not a remediation administrator`), {});
    await this.automation.resume({ at: this.iso(), actor: actor.userId, action: 'automation-resumed' });
    await this.audit.chain();
    return ok(await this.automation.state());
  }

  /**
   * Chains audit entries left in the outbox (by a process that crashed between a transition and its chaining)
   * and expires every proposal past its expiry, telling onEvent. Safe on any number of replicas at once.
   */
  async sweep(): Promise<Proposal[]> {
    await this.audit.chain();
    return this.expireDue();
  }

  /** Moves proposals past their expiry from `proposed` to `expired`; returns the ones this call moved. */
  expireDue(): Promise<Proposal[]> {
    return expireDueProposals({
      store: this.store,
      audit: this.audit,
      clock: this.clock,
      onExpired: (p) => this.o.onEvent?.({ type: 'expired', proposal: p }),
    });
  }

  /**
   * Starts a worker for executions and verifications on this replica; any number of replicas may run one.
   * With `sweepEveryMs`, the periodic sweep starts with the first worker.
   */
  startWorker(options: WorkerOptions & { afterStep?: (proposalId: string, index: number) => void | Promise<void> } = {}): Worker {
    const common = { store: this.store, audit: this.audit, runbooks: this.runbooks, clock: this.clock };
    const worker = this.queue.startWorker(
      {
        execute: (id) =>
          executeProposal(id, {
            ...common,
            executors: this.o.executors,
            scheduleVerification: (p, delay) => this.queue.enqueueVerification(p.id, delay),
            onFinished: (p) => this.o.onEvent?.({ type: 'finished', proposal: p }),
            ...(options.afterStep ? { afterStep: options.afterStep } : {}),
          }),
        verify: (id) =>
          verifyProposal(id, {
            ...common,
            getIncident: this.o.getIncident,
            ...(this.o.firingAlerts ? { firingAlerts: this.o.firingAlerts } : {}),
            onVerified: (p) => this.o.onEvent?.({ type: 'verified', proposal: p }),
          }),
      },
      options,
    );
    this.workers.push(worker);
    if (this.o.sweepEveryMs !== undefined && !this.sweeper)
      this.sweeper = startPeriodicSweep(() => this.sweep(), this.o.sweepEveryMs, (err) => this.o.logger?.error({ err }, 'remediation sweep failed; retrying at the next one'));
    return worker;
  }

  /** Closes the sweep, workers and the queue; the Redis connection belongs to the caller. */
  async close(): Promise<void> {
    await this.sweeper?.stop();
    this.sweeper = null;
    await Promise.all(this.workers.map((w) => w.close()));
    await this.queue.close();
  }

  private iso(): string {
    return new Date(this.clock()).toISOString();
  }

  private entry(action: AuditAction, actor: string, p: Pick<Proposal, 'id' | 'incidentId' | 'runbookId'>, detail: Record<string, unknown>): AuditEntry {
    return { at: this.iso(), actor, action, proposalId: p.id, incidentId: p.incidentId, runbookId: p.runbookId, detail };
  }

  private async refusal(
    actor: string,
    r: Refusal,
    about: { id?: string; proposalId?: string; incidentId?: string; runbookId?: string },
  ): Promise<Refusal> {
    await this.audit.append({
      at: this.iso(),
      actor,
      action: 'refused',
      ...(about.id ?? about.proposalId ? { proposalId: about.id ?? about.proposalId } : {}),
      ...(about.incidentId ? { incidentId: about.incidentId } : {}),
      ...(about.runbookId ? { runbookId: about.runbookId } : {}),
      detail: { code: r.code, reason: r.reason },
    });
    return r;
  }
}
