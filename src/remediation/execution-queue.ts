// The remediation queue: one BullMQ job per approved proposal (job id = proposal id, so duplicates collapse),
// a worker that runs each plan step at most once to completion, and the delayed verification job.
import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Runbook } from '../runbooks/runbook-schema.js';
import type { AuditLog } from './audit-log.js';
import { runStep, type Executors } from './executors/executor.js';
import type { ExecutionOutcome, Proposal } from './proposal.js';
import { remediationKeys, type ProposalStore } from './proposal-store.js';

export const REMEDIATION_QUEUE = 'remediation';

export interface ExecutionDeps {
  store: ProposalStore;
  executors: Executors;
  audit: AuditLog;
  runbooks: ReadonlyMap<string, Runbook>;
  clock: () => number;
  /** Schedules the verification of a succeeded proposal. */
  scheduleVerification: (proposal: Proposal, delayMs: number) => Promise<void>;
  /** Told once per finished execution (the Slack layer posts the result). */
  onFinished?: (proposal: Proposal) => void | Promise<void>;
  /** Test hook: called after each step is recorded, before the next one. */
  afterStep?: (proposalId: string, index: number) => void | Promise<void>;
}

/**
 * The job body. Safe to run any number of times for one proposal: the state machine admits one run (or its
 * resumption after a crash) and step markers make a finished step never run again.
 */
export async function executeProposal(id: string, deps: ExecutionDeps): Promise<ExecutionOutcome | null> {
  const { store, audit } = deps;
  // The plan and ids never change after proposing, so the proposal read before the transition is the one that runs.
  const proposal = await store.get(id);
  if (!proposal) return null;
  const ctx = { proposalId: id, incidentId: proposal.incidentId, runbookId: proposal.runbookId };
  const start = await store.startRun(id, deps.clock(), {
    at: new Date(deps.clock()).toISOString(),
    actor: 'rcabot',
    action: 'execution-started',
    ...ctx,
    detail: { planHash: proposal.planHash },
  });
  if (start.kind === 'unknown' || start.kind === 'state') return null; // finished already, or never approved

  if (start.kind === 'paused') {
    return finish(proposal, { ok: false, detail: ['automation was paused before execution; nothing was sent'], finishedAt: deps.clock() }, deps);
  }
  await audit.chain();

  const token = randomUUID();
  const detail: string[] = [];
  let ok = true;
  for (const [i, step] of proposal.plan.steps.entries()) {
    const claim = await store.claimStep(id, i, step.idempotent, token);
    if (claim === 'done') {
      detail.push(`step ${i + 1}: already done by an earlier attempt; not sent again`);
      continue;
    }
    if (claim === 'failed') {
      detail.push(`step ${i + 1}: failed in an earlier attempt`);
      ok = false;
      break;
    }
    if (claim === 'unknown') {
      detail.push(`step ${i + 1}: interrupted in an earlier attempt; it is not idempotent, so it was not sent again (check ${step.summary})`);
      ok = false;
      break;
    }
    const res = await runStep(step, deps.executors);
    await store.finishStep(id, i, res.ok, res.detail);
    detail.push(`step ${i + 1}: ${res.detail}`);
    if (deps.afterStep) await deps.afterStep(id, i);
    if (!res.ok) {
      ok = false;
      break;
    }
  }
  return finish(proposal, { ok, detail, finishedAt: deps.clock() }, deps);
}

async function finish(proposal: Proposal, outcome: ExecutionOutcome, deps: ExecutionDeps): Promise<ExecutionOutcome | null> {
  const t = await deps.store.finish(proposal.id, outcome, {
    at: new Date(outcome.finishedAt).toISOString(),
    actor: 'rcabot',
    action: 'execution-result',
    proposalId: proposal.id,
    incidentId: proposal.incidentId,
    runbookId: proposal.runbookId,
    detail: { ok: outcome.ok, steps: outcome.detail },
  });
  if (t.kind !== 'ok') return null; // another attempt finished first
  await deps.audit.chain();
  const finished = await deps.store.get(proposal.id);
  const runbook = deps.runbooks.get(proposal.runbookId);
  if (finished && outcome.ok && runbook) await deps.scheduleVerification(finished, runbook.verify.after);
  if (finished && deps.onFinished) await deps.onFinished(finished);
  return outcome;
}

export interface WorkerOptions {
  concurrency?: number;
  /** How long a job's lock lives without renewal: a dead worker's job is retried after about this long. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

/** BullMQ plumbing. Every job id is derived from the proposal id, so enqueueing twice adds one job. */
export class ExecutionQueue {
  readonly queue: Queue;
  private readonly prefix: string;

  constructor(
    private readonly connection: Redis,
    prefix: string,
  ) {
    this.prefix = remediationKeys(prefix).queuePrefix;
    this.queue = new Queue(REMEDIATION_QUEUE, { connection, prefix: this.prefix });
  }

  async enqueueExecution(proposalId: string): Promise<void> {
    await this.queue.add(
      'execute',
      { proposalId },
      // Completed jobs are kept a week so their ids keep deduplicating; the state machine guards beyond that.
      { jobId: proposalId, attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: 7 * 86_400 }, removeOnFail: { age: 30 * 86_400 } },
    );
  }

  async enqueueVerification(proposalId: string, delayMs: number): Promise<void> {
    await this.queue.add(
      'verify',
      { proposalId },
      { jobId: `verify-${proposalId}`, delay: Math.max(0, delayMs), attempts: 5, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: { age: 7 * 86_400 }, removeOnFail: { age: 30 * 86_400 } },
    );
  }

  startWorker(
    handlers: { execute: (proposalId: string) => Promise<unknown>; verify: (proposalId: string) => Promise<unknown> },
    options: WorkerOptions = {},
  ): Worker {
    const worker = new Worker(
      REMEDIATION_QUEUE,
      async (job: Job<{ proposalId: string }>) => {
        if (job.name === 'verify') return handlers.verify(job.data.proposalId);
        return handlers.execute(job.data.proposalId);
      },
      {
        connection: this.connection,
        prefix: this.prefix,
        concurrency: options.concurrency ?? 4,
        lockDuration: options.lockDurationMs ?? 30_000,
        stalledInterval: options.stalledIntervalMs ?? 30_000,
        maxStalledCount: 3,
      },
    );
    return worker;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
