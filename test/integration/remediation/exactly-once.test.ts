import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testRedisUrl } from '../../support/redis.js';
import type { Actor } from '../../../src/remediation/proposal.js';
import { executeProposal } from '../../../src/remediation/execution-queue.js';
import { verifyAudit } from '../../../src/remediation/audit-log.js';
import { alice, auditEntries, bob, incident, makeService, must, runbook, waitForState, ONCALL, useRemediationTestBed, type Harness } from './harness.js';

const { fake, connection, newPrefix } = useRemediationTestBed('remediation');

describe('exactly-once execution', () => {
  it('50 concurrent approvals across two instances execute the plan exactly once', async () => {
    fake.addDeployment('production', 'race');
    const prefix = newPrefix('remediation-race');
    const rb = [runbook({ approval: { required: 2 } })];
    const a: Harness = makeService(connection(), prefix, fake, rb);
    const b: Harness = makeService(connection(), prefix, fake, rb, { incidents: a.incidents, clock: a.clock });
    a.incidents.set('inc-race', incident('inc-race', 'race'));
    a.service.startWorker();
    b.service.startWorker();
    const p = must(await a.service.propose('inc-race', 'restart', alice));
    const approvers: Actor[] = Array.from({ length: 50 }, (_, i) => ({ userId: `UAPPROVER${i % 25}`, groups: [ONCALL] }));
    const results = await Promise.all(approvers.map((u, i) => (i % 2 === 0 ? a : b).service.approve(p.id, u, p.planHash)));

    const queued = results.filter((r) => r.ok && r.value.status === 'queued');
    const recorded = results.filter((r) => r.ok && r.value.status === 'recorded');
    expect(queued).toHaveLength(1);
    expect(recorded).toHaveLength(1);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && ['wrong-state', 'already-approved-by-you'].includes(r.code))).toBe(true);

    const done = await waitForState(a.service, p.id, ['succeeded', 'failed']);
    expect(done.state).toBe('succeeded');
    expect(done.approvals).toHaveLength(2);
    // Let any duplicate job (there must be none) have its chance before counting.
    await new Promise((r) => setTimeout(r, 300));
    const patches = fake.writes().filter((w) => w.path.endsWith('/deployments/race'));
    expect(patches).toHaveLength(1);
    expect(await a.service.queue.queue.getJobCountByTypes('completed', 'failed', 'active', 'waiting', 'delayed')).toBeLessThanOrEqual(2); // execute + verify
    const execJob = await a.service.queue.queue.getJob(p.id);
    expect(execJob?.name).toBe('execute');
    await Promise.all([a.service.close(), b.service.close()]);
  });

  it('the per-target run limit holds when quorums on two proposals land at the same instant', async () => {
    fake.addDeployment('production', 'limited');
    const prefix = newPrefix('remediation-limit');
    const rb = [runbook({ guardrails: { namespaces: ['production'], maxRunsPerTargetPerHour: 1 } })];
    const a = makeService(connection(), prefix, fake, rb);
    const b = makeService(connection(), prefix, fake, rb, { incidents: a.incidents, clock: a.clock });
    a.incidents.set('inc-l', incident('inc-l', 'limited'));
    const proposals = await Promise.all(Array.from({ length: 6 }, () => a.service.propose('inc-l', 'restart', alice).then(must)));
    const results = await Promise.all(proposals.map((p, i) => (i % 2 ? a : b).service.approve(p.id, bob)));
    expect(results.filter((r) => r.ok && r.value.status === 'queued')).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.code === 'rate-limited')).toHaveLength(5);
    await Promise.all([a.service.close(), b.service.close()]);
  });

  it('running the job body again after success, or enqueueing twice, sends nothing more', async () => {
    fake.addDeployment('production', 'twice');
    const prefix = newPrefix('remediation-twice');
    const h = makeService(connection(), prefix, fake, [runbook()]);
    h.incidents.set('inc-2', incident('inc-2', 'twice'));
    h.service.startWorker();
    const p = must(await h.service.propose('inc-2', 'restart', alice));
    must(await h.service.approve(p.id, bob));
    await h.service.queue.enqueueExecution(p.id);
    await waitForState(h.service, p.id, ['succeeded']);
    await h.service.queue.enqueueExecution(p.id);
    const deps = { store: h.service.store, audit: h.service.audit, executors: {}, runbooks: new Map(), clock: () => 0, scheduleVerification: async () => {} };
    expect(await executeProposal(p.id, deps)).toBeNull();
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.writes().filter((w) => w.path.endsWith('/deployments/twice'))).toHaveLength(1);
    await h.service.close();
  });

  it('a worker killed after finishing a step: the retry does not send that step again', async () => {
    fake.addDeployment('production', 'crash');
    const prefix = newPrefix('remediation-crash');
    const h = makeService(connection(), prefix, fake, [runbook()]);
    h.incidents.set('inc-3', incident('inc-3', 'crash'));
    const p = must(await h.service.propose('inc-3', 'restart', alice));

    // A worker in another process that hangs after its first step, holding the job with a short lock.
    const script = fileURLToPath(new URL('./worker-process.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, REDIS_URL: testRedisUrl(), RCABOT_TEST_PREFIX: prefix, RCABOT_TEST_K8S: fake.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const stepDone = new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('STEP_DONE')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`worker process exited early (${code})`)));
    });
    const ready = new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('READY') && resolve()));
    await ready;
    must(await h.service.approve(p.id, bob));
    await stepDone;
    child.removeAllListeners('exit');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect((await h.service.get(p.id))!.state).toBe('running');
    expect(fake.writes().filter((w) => w.path.endsWith('/deployments/crash'))).toHaveLength(1);

    // A healthy worker picks up the stalled job once the dead worker's lock lapses.
    h.service.startWorker({ stalledIntervalMs: 500, lockDurationMs: 5000 });
    const done = await waitForState(h.service, p.id, ['succeeded', 'failed'], 15_000).catch(async (e) => {
      const job = await h.service.queue.queue.getJob(p.id);
      throw new Error(`${(e as Error).message}; job ${await job?.getState()} ${job?.failedReason ?? ''} attempts ${job?.attemptsMade}`);
    });
    expect(done.state).toBe('succeeded');
    expect(done.outcome?.detail[0]).toContain('already done');
    expect(fake.writes().filter((w) => w.path.endsWith('/deployments/crash'))).toHaveLength(1);
    await h.service.close();
  }, 30_000);

  it('a non-idempotent step interrupted before its result was recorded is not sent again', async () => {
    fake.addDeployment('production', 'unknown', ['u:1', 'u:2']);
    const prefix = newPrefix('remediation-unknown');
    const rb = runbook({ id: 'rollback', action: { type: 'kubernetes.rollback', params: { namespace: { value: 'production' }, deployment: { from: 'rootCause.service' } } } });
    const h = makeService(connection(), prefix, fake, [rb]);
    h.incidents.set('inc-4', incident('inc-4', 'unknown'));
    const p = must(await h.service.propose('inc-4', 'rollback', alice));
    must(await h.service.approve(p.id, bob));
    // Simulate the crash window: state running and step 0 claimed, but no result recorded.
    const started = { at: new Date(0).toISOString(), actor: 'rcabot', action: 'execution-started' as const, proposalId: p.id };
    expect((await h.service.store.startRun(p.id, 0, started)).kind).toBe('started');
    expect(await h.service.store.claimStep(p.id, 0, false, 'dead-worker')).toBe('claimed');
    h.service.startWorker();
    const done = await waitForState(h.service, p.id, ['succeeded', 'failed']);
    expect(done.state).toBe('failed');
    expect(done.outcome?.detail[0]).toContain('not idempotent');
    expect(fake.writes().filter((w) => w.path.endsWith('/deployments/unknown'))).toHaveLength(0);
    // The dead worker's "execution-started" was never chained by it; the next chaining picked it up, in order.
    const entries = await auditEntries(connection(), prefix);
    expect(entries.filter((e) => e.action === 'execution-started').map((e) => e.detail)).toEqual([
      { attempt: 1, resumed: false },
      { attempt: 2, resumed: true, planHash: p.planHash },
    ]);
    expect(entries.at(-1)).toMatchObject({ action: 'execution-result', detail: { ok: false } });
    expect(await verifyAudit(connection(), prefix)).toEqual({ ok: true, entries: entries.length });
    await h.service.close();
  });
});
