import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Redis } from 'ioredis';
import { deleteKeys, newTestRedis, uniquePrefix } from '../../support/redis.js';
import { FakeKubernetes } from '../../support/fake-kubernetes.js';
import { verifyAudit, exportAudit } from '../../../src/remediation/audit-log.js';
import { admin, alice, bob, carol, incident, makeService, mallory, must, runbook, T0, waitForState, type Harness } from './harness.js';

const fake = new FakeKubernetes();
let redis: Redis;
const prefixes: string[] = [];
const harnesses: Harness[] = [];

function setup(runbooks = [runbook()], opts: Parameters<typeof makeService>[4] = {}): Harness {
  const prefix = uniquePrefix('remediation-flow');
  prefixes.push(prefix);
  const h = makeService(redis, prefix, fake, runbooks, opts);
  h.incidents.set('inc-1', incident('inc-1', 'checkout'));
  harnesses.push(h);
  return h;
}

beforeAll(async () => {
  redis = newTestRedis();
  await fake.start();
  fake.addDeployment('production', 'checkout', ['checkout:1', 'checkout:2']);
});
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.service.close()));
});
afterAll(async () => {
  for (const p of prefixes) await deleteKeys(redis, p);
  await fake.stop();
  await redis.quit();
});

describe('remediation approval flow (real Redis, fake Kubernetes)', () => {
  it('happy path: propose, approve, execute once, then verify as fixed', async () => {
    const h = setup();
    h.service.startWorker();
    const before = fake.writes().length;
    const p = must(await h.service.propose('inc-1', 'restart', alice));
    expect(p.state).toBe('proposed');
    expect(p.target).toBe('deployment/production/checkout');
    expect(p.plan.steps[0]).toMatchObject({ method: 'PATCH', path: '/apis/apps/v1/namespaces/production/deployments/checkout' });
    expect(p.planHash).toMatch(/^[0-9a-f]{64}$/);

    const a = must(await h.service.approve(p.id, bob, p.planHash));
    expect(a.status).toBe('queued');
    const done = await waitForState(h.service, p.id, ['succeeded', 'failed']);
    expect(done.state).toBe('succeeded');
    expect(fake.writes().length - before).toBe(1);
    // Ran, not yet checked: it fixed the incident if the incident resolved after it finished, not before.
    expect(done.outcome?.finishedAt).toBe(T0);
    expect(await h.service.fixOf('inc-1', T0)).toEqual({ runbook: 'restart', target: 'deployment/production/checkout' });
    expect(await h.service.fixOf('inc-1', T0 - 1)).toBeNull();
    expect(fake.writes().at(-1)!.body).toEqual(p.plan.steps[0]!.kind === 'kubernetes' ? p.plan.steps[0]!.body : null);

    h.incidents.set('inc-1', incident('inc-1', 'checkout', 'resolved'));
    const verified = await waitForState(h.service, p.id, ['verified', 'not-fixed']);
    expect(verified.state).toBe('verified');
    expect(verified.verification?.fixed).toBe(true);
    // The event follows the state change (after its audit entry is chained), so wait for it rather than race it.
    await vi.waitFor(() => expect(h.events.map((e) => e.type)).toEqual(['approved', 'finished', 'verified']));
    // What the incident's history entry will say fixed it, once verified whenever it resolved; another incident has none.
    expect(await h.service.fixOf('inc-1', T0 - 1)).toEqual({ runbook: 'restart', target: 'deployment/production/checkout' });
    expect(await h.service.fixOf('inc-2', T0)).toBeNull();
  });

  it('verification says not fixed, and offers the undo runbook, while the alerts still fire', async () => {
    const h = setup([runbook({ id: 'scale-up', undo: 'scale-back', action: { type: 'kubernetes.scale', params: { namespace: { value: 'production' }, deployment: { from: 'rootCause.service' }, replicas: { value: 6 } } } }), runbook({ id: 'scale-back' })]);
    h.service.startWorker();
    const p = must(await h.service.propose('inc-1', 'scale-up', alice));
    must(await h.service.approve(p.id, bob));
    const v = await waitForState(h.service, p.id, ['verified', 'not-fixed']);
    expect(v.state).toBe('not-fixed');
    expect(v.verification).toMatchObject({ fixed: false, stillFiring: ['fp-inc-1-1', 'fp-inc-1-2'], undo: 'scale-back' });
    // A remediation that ran but did not fix the incident is not what fixed it.
    expect(await h.service.fixOf('inc-1', T0 + 3_600_000)).toBeNull();
  });

  it('refuses an approver the runbook does not name, and nothing changes', async () => {
    const h = setup();
    const p = must(await h.service.propose('inc-1', 'restart', alice));
    const r = await h.service.approve(p.id, mallory);
    expect(r).toMatchObject({ ok: false, code: 'not-authorised' });
    expect((await h.service.get(p.id))!.state).toBe('proposed');
    expect((await h.service.get(p.id))!.approvals).toEqual([]);
  });

  it('refuses self-approval when the runbook forbids it, allows it when permitted', async () => {
    const h = setup([runbook(), runbook({ id: 'restart-self', approval: { allowProposer: true } })]);
    const p = must(await h.service.propose('inc-1', 'restart', alice));
    expect(await h.service.approve(p.id, alice)).toMatchObject({ ok: false, code: 'proposer-may-not-approve' });
    const q = must(await h.service.propose('inc-1', 'restart-self', alice));
    expect(must(await h.service.approve(q.id, alice)).status).toBe('queued');
  });

  it('two-person rule: one approval is recorded, the same person again is refused, a second person completes it', async () => {
    const h = setup([runbook({ approval: { required: 2 } })]);
    const p = must(await h.service.propose('inc-1', 'restart', alice));
    const first = must(await h.service.approve(p.id, bob));
    expect(first).toMatchObject({ status: 'recorded', approvals: 1, required: 2 });
    expect(await h.service.approve(p.id, bob)).toMatchObject({ ok: false, code: 'already-approved-by-you' });
    expect((await h.service.get(p.id))!.state).toBe('proposed');
    const second = must(await h.service.approve(p.id, carol));
    expect(second).toMatchObject({ status: 'queued', approvals: 2 });
    expect(second.proposal.approvals.map((a) => a.user).sort()).toEqual(['UBOB', 'UCAROL']);
  });

  it('refuses an expired proposal', async () => {
    const h = setup([runbook({ approval: { expiresAfter: '10m' } })]);
    const p = must(await h.service.propose('inc-1', 'restart', alice));
    h.clock.now = T0 + 10 * 60_000;
    expect(await h.service.approve(p.id, bob)).toMatchObject({ ok: false, code: 'expired' });
    expect((await h.service.get(p.id))!.state).toBe('proposed');
  });

  it('refuses unknown proposal ids and approvals of a different plan', async () => {
    const h = setup();
    expect(await h.service.approve('not-a-proposal', bob)).toMatchObject({ ok: false, code: 'unknown-proposal' });
    const p = must(await h.service.propose('inc-1', 'restart', alice));
    expect(await h.service.approve(p.id, bob, 'f'.repeat(64))).toMatchObject({ ok: false, code: 'stale-plan' });
    expect((await h.service.get(p.id))!.approvals).toEqual([]);
  });

  it('rejection ends a proposal; later approvals are refused', async () => {
    const h = setup();
    const p = must(await h.service.propose('inc-1', 'restart', alice));
    expect(await h.service.reject(p.id, mallory)).toMatchObject({ ok: false, code: 'not-authorised' });
    expect(must(await h.service.reject(p.id, bob, 'not now')).state).toBe('rejected');
    expect(await h.service.approve(p.id, carol)).toMatchObject({ ok: false, code: 'wrong-state' });
  });

  it('guardrails: at most N runs per target per hour, and only allowed namespaces', async () => {
    const h = setup([
      runbook({ guardrails: { namespaces: ['production'], maxRunsPerTargetPerHour: 1 } }),
      runbook({ id: 'anywhere', action: { type: 'kubernetes.restart', params: { namespace: { from: 'incident.id' }, deployment: { from: 'rootCause.service' } } } }),
    ]);
    const p1 = must(await h.service.propose('inc-1', 'restart', alice));
    must(await h.service.approve(p1.id, bob));
    const p2 = must(await h.service.propose('inc-1', 'restart', alice));
    const r = await h.service.approve(p2.id, bob);
    expect(r).toMatchObject({ ok: false, code: 'rate-limited' });
    expect((await h.service.get(p2.id))!.state).toBe('proposed');
    h.clock.now = T0 + 61 * 60_000; // an hour later the window has room again (p2 expired, so propose anew)
    const p3 = must(await h.service.propose('inc-1', 'restart', alice));
    expect(must(await h.service.approve(p3.id, bob)).status).toBe('queued');

    // namespace "inc-1" (from the incident id) is not in guardrails.namespaces
    expect(await h.service.propose('inc-1', 'anywhere', alice)).toMatchObject({ ok: false, code: 'guardrail' });
  });

  it('kill switch: only admins pause; while paused nothing is approved or proposed; an approved job does not run', async () => {
    const h = setup();
    const p = must(await h.service.propose('inc-1', 'restart', alice));
    expect(await h.service.pauseAutomation(bob, 'freeze')).toMatchObject({ ok: false, code: 'not-authorised' });
    expect(must(await h.service.pauseAutomation(admin, 'change freeze')).paused).toBe(true);
    expect(await h.service.approve(p.id, bob)).toMatchObject({ ok: false, code: 'automation-paused' });
    expect(await h.service.propose('inc-1', 'restart', alice)).toMatchObject({ ok: false, code: 'automation-paused' });
    must(await h.service.resumeAutomation(admin));

    // approved while running, paused before a worker picks it up: it fails without sending anything
    const before = fake.writes().length;
    must(await h.service.approve(p.id, bob));
    must(await h.service.pauseAutomation(admin, 'stop'));
    h.service.startWorker();
    const done = await waitForState(h.service, p.id, ['failed', 'succeeded']);
    expect(done.state).toBe('failed');
    expect(done.outcome?.detail.join(' ')).toContain('paused');
    expect(fake.writes().length).toBe(before);
  });

  it('a dry run shows the exact requests, sends nothing, and unlocks approval when required', async () => {
    const h = setup([runbook({ id: 'rollback', action: { type: 'kubernetes.rollback', params: { namespace: { value: 'production' }, deployment: { from: 'rootCause.service' } } }, guardrails: { requireDryRun: true } })]);
    const before = fake.requests.length;
    const p = must(await h.service.propose('inc-1', 'rollback', alice));
    expect(await h.service.approve(p.id, bob)).toMatchObject({ ok: false, code: 'dry-run-required' });
    const d = must(await h.service.dryRun(p.id, bob));
    expect(d.unchanged).toBe(true);
    expect(d.plan.steps[0]).toMatchObject({ method: 'PATCH', contentType: 'application/json-patch+json' });
    expect(fake.requests.slice(before).every((r) => r.method === 'GET')).toBe(true);
    expect(fake.requests.length).toBeGreaterThan(before);
    expect(must(await h.service.approve(p.id, bob)).status).toBe('queued');
  });

  it('every decision is in the audit chain, which verifies', async () => {
    const h = setup();
    const prefix = prefixes.at(-1)!;
    const p = must(await h.service.propose('inc-1', 'restart', alice));
    await h.service.approve(p.id, mallory);
    must(await h.service.approve(p.id, bob));
    const lines: string[] = [];
    for await (const l of exportAudit(redis, prefix)) lines.push(l);
    const actions = lines.map((l) => (JSON.parse(l) as { entry: { action: string } }).entry.action);
    expect(actions).toEqual(['proposed', 'refused', 'approval', 'approved']);
    expect(await verifyAudit(redis, prefix)).toEqual({ ok: true, entries: 4 });
  });
});
