// The audit outbox: a transition and its audit entry are one atomic step, and chaining is a separate step any
// replica may run. These tests stop a "process" between the two steps (the transition script runs, the chainer
// does not) and race chainers, then check the chain with `rcabot audit verify`'s own code.
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, exportAudit, verifyAudit, type AuditEntry, type ExportedAuditEntry } from '../../../src/remediation/audit-log.js';
import { remediationKeys } from '../../../src/remediation/proposal-store.js';
import { admin, alice, auditEntries, bob, carol, incident, makeService, must, runbook, T0, waitForState, useRemediationTestBed, type Harness } from './harness.js';

const { fake, connection, newPrefix, track } = useRemediationTestBed('remediation-outbox');

/** A fresh app instance on its own connection: what a restarted or another replica is. */
function instance(prefix: string, extra: Parameters<typeof makeService>[4] = {}): Harness {
  const h = makeService(connection(), prefix, fake, [runbook({ approval: { required: 2 } })], extra);
  h.incidents.set('inc-1', incident('inc-1', 'checkout'));
  track(h);
  return h;
}

const at = new Date(T0).toISOString();

beforeAll(() => {
  fake.addDeployment('production', 'checkout');
});

describe('audit outbox: crash between a transition and its chaining', () => {
  it('a rejection whose process died before chaining is in the verified chain after a fresh instance sweeps', async () => {
    const prefix = newPrefix();
    const crashed = instance(prefix);
    const p = must(await crashed.service.propose('inc-1', 'restart', alice));
    // The transition script alone, as a process that dies right after it would leave things.
    const t = await crashed.service.store.reject(p.id, bob.userId, { at, actor: bob.userId, action: 'rejected', proposalId: p.id, detail: { reason: 'not now' } });
    expect(t).toEqual({ kind: 'ok', from: 'proposed' });
    expect((await crashed.service.get(p.id))!.state).toBe('rejected');
    const reader = connection();
    expect((await auditEntries(reader, prefix)).map((e) => e.action)).toEqual(['proposed']);
    expect(await crashed.service.audit.pending()).toBe(1);

    const fresh = instance(prefix);
    await fresh.service.sweep();
    const entries = await auditEntries(reader, prefix);
    expect(entries.map((e) => e.action)).toEqual(['proposed', 'rejected']);
    expect(entries[1]).toEqual({ at, actor: 'UBOB', action: 'rejected', proposalId: p.id, detail: { reason: 'not now' } });
    expect(await fresh.service.audit.pending()).toBe(0);
    expect(await verifyAudit(reader, prefix)).toEqual({ ok: true, entries: 2 });
  });

  it('a quorum whose process died before chaining: the periodic sweep of a new instance chains both entries, in order, with what the script knew', async () => {
    const prefix = newPrefix();
    const crashed = instance(prefix);
    const p = must(await crashed.service.propose('inc-1', 'restart', alice));
    must(await crashed.service.approve(p.id, bob)); // 1 of 2, chained normally
    const entry = (action: AuditEntry['action'], actor: string): AuditEntry => ({ at, actor, action, proposalId: p.id, detail: { required: 2 } });
    const r = await crashed.service.store.approve(p, carol.userId, T0, 5, { approval: entry('approval', carol.userId), approved: entry('approved', 'rcabot') });
    expect(r).toEqual({ kind: 'approved', count: 2 });
    expect(await crashed.service.audit.pending()).toBe(2);

    const fresh = instance(prefix, { sweepEveryMs: 20 });
    fresh.service.startWorker(); // the server path: the sweep starts with the worker
    const reader = connection();
    const until = Date.now() + 5000;
    while ((await auditEntries(reader, prefix)).length < 4 && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
    const entries = await auditEntries(reader, prefix);
    expect(entries.map((e) => [e.action, e.actor])).toEqual([
      ['proposed', 'UALICE'],
      ['approval', 'UBOB'],
      ['approval', 'UCAROL'],
      ['approved', 'rcabot'],
    ]);
    // Merged by the chainer from what the script computed: the count, and the approvers at the quorum.
    expect(entries.map((e) => e.detail)).toMatchObject([{}, { count: 1 }, { count: 2, required: 2 }, { approvers: ['UBOB', 'UCAROL'], required: 2 }]);
    expect(await verifyAudit(reader, prefix)).toEqual({ ok: true, entries: 4 });
  });

  it('an execution whose worker died between finishing and chaining keeps its result entry', async () => {
    const prefix = newPrefix();
    const h = instance(prefix);
    const p = must(await h.service.propose('inc-1', 'restart', alice));
    must(await h.service.approve(p.id, bob));
    must(await h.service.approve(p.id, carol));
    const started = await h.service.store.startRun(p.id, T0, { at, actor: 'rcabot', action: 'execution-started', proposalId: p.id });
    expect(started).toEqual({ kind: 'started', attempt: 1 });
    const outcome = { ok: true, detail: ['step 1: done'], finishedAt: T0 };
    expect((await h.service.store.finish(p.id, outcome, { at, actor: 'rcabot', action: 'execution-result', proposalId: p.id, detail: { ok: true } })).kind).toBe('ok');
    const reader = connection();
    expect((await auditEntries(reader, prefix)).map((e) => e.action)).not.toContain('execution-started');

    await instance(prefix).service.sweep();
    const actions = (await auditEntries(reader, prefix)).map((e) => e.action);
    expect(actions.slice(-2)).toEqual(['execution-started', 'execution-result']);
    expect(await verifyAudit(reader, prefix)).toMatchObject({ ok: true });
  });

  it('pausing automation and its audit entry are one transaction', async () => {
    const prefix = newPrefix();
    const h = instance(prefix);
    await h.service.automation.pause(admin.userId, 'freeze', T0, { at, actor: admin.userId, action: 'automation-paused', detail: { reason: 'freeze' } });
    expect((await h.service.automation.state()).paused).toBe(true);
    expect(await h.service.audit.pending()).toBe(1);
    await instance(prefix).service.sweep();
    expect((await auditEntries(connection(), prefix)).map((e) => e.action)).toEqual(['automation-paused']);
  });

  it('a refusal changes no state and is chained at once', async () => {
    const prefix = newPrefix();
    const h = instance(prefix);
    const p = must(await h.service.propose('inc-1', 'restart', alice));
    expect(await h.service.approve(p.id, alice)).toMatchObject({ ok: false, code: 'proposer-may-not-approve' });
    expect(await h.service.audit.pending()).toBe(0);
    const last = (await auditEntries(connection(), prefix)).at(-1)!;
    expect(last).toMatchObject({ action: 'refused', actor: 'UALICE', proposalId: p.id, detail: { code: 'proposer-may-not-approve' } });
  });
});

describe('audit outbox: concurrent chainers', () => {
  it('chainers on three connections racing a writer chain every entry exactly once, in outbox order', async () => {
    const prefix = newPrefix();
    const writer = new AuditLog(connection(), prefix);
    const chainers = [connection(), connection(), connection()].map((c) => new AuditLog(c, prefix));
    const N = 400;
    let written = false;
    let moved = 0;
    const write = async () => {
      for (let i = 0; i < N; i++) await writer.enqueue({ at, actor: `U${i}`, action: 'approval', detail: { seq: i } });
      written = true;
    };
    const chainUntilDone = async (log: AuditLog) => {
      while (!written || (await log.pending()) > 0) {
        const n = await log.chain();
        moved += n;
      }
    };
    // Two loops per connection, so chainers also race on one connection's pipeline.
    await Promise.all([write(), ...chainers.flatMap((c) => [chainUntilDone(c), chainUntilDone(c)])]);

    expect(moved).toBe(N); // each entry was moved by exactly one chain() call
    const reader = connection();
    const exported: ExportedAuditEntry[] = [];
    for await (const line of exportAudit(reader, prefix)) exported.push(JSON.parse(line) as ExportedAuditEntry);
    expect(exported.map((e) => e.entry.detail?.seq)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(await verifyAudit(reader, prefix)).toEqual({ ok: true, entries: N });
    expect(await reader.xlen(remediationKeys(prefix).auditOutbox)).toBe(0);
  });

  it('50 approvals racing across two instances leave one valid chain with one entry per decision', async () => {
    const prefix = newPrefix();
    const a = instance(prefix);
    const b = instance(prefix, { incidents: a.incidents, clock: a.clock });
    const p = must(await a.service.propose('inc-1', 'restart', alice));
    const approvers = Array.from({ length: 50 }, (_, i) => ({ userId: `UAPPROVER${i % 25}`, groups: bob.groups }));
    const results = await Promise.all(approvers.map((u, i) => (i % 2 ? a : b).service.approve(p.id, u, p.planHash)));
    const refused = results.filter((r) => !r.ok).length;
    const reader = connection();
    const entries = await auditEntries(reader, prefix);
    // Every call's entries were chained before it returned: nothing is left for a sweep.
    expect(await a.service.audit.pending()).toBe(0);
    expect(entries.filter((e) => e.action === 'approval').map((e) => e.detail?.count)).toEqual([1, 2]);
    expect(entries.filter((e) => e.action === 'approved')).toHaveLength(1);
    expect(entries.filter((e) => e.action === 'refused')).toHaveLength(refused);
    expect(entries).toHaveLength(1 + 2 + 1 + refused);
    expect(await verifyAudit(reader, prefix)).toEqual({ ok: true, entries: entries.length });
    expect((await waitForState(a.service, p.id, ['approved'])).approvals).toHaveLength(2);
  });
});
