// The approved-remediation flow end to end: real Bolt on a real port (signed requests), real Redis and BullMQ,
// the fake Slack Web API and the fake Kubernetes API. Every click goes through Slack's real payload shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { ActionRefs } from '../../../src/slack/action-refs.js';
import type { RemediationFlow } from '../../../src/slack/remediation-flow.js';
import { renderBlocksAsText } from '../../../src/slack/render/blocks-as-text.js';
import type { Block } from '../../../src/slack/render/block-kit.js';
import { slackKeys } from '../../../src/slack/slack-keys.js';
import type { RemediationService } from '../../../src/remediation/remediation-service.js';
import { FakeKubernetes } from '../../support/fake-kubernetes.js';
import type { RecordedCall } from '../../support/fake-slack-api.js';
import { newTestRedis } from '../../support/redis.js';
import { blockActionsBody, slashCommandBody } from '../../support/signed-slack-request.js';
import { expectWithinBlockKitLimits } from '../../unit/slack/block-limits.js';
import { closeAll, incident, makeService, ONCALL, registerTestFlow, runbook, T0, waitForState, type Harness } from '../remediation/harness.js';
import { slackUser, startSlackHarness, type SlackHarness } from './slack-harness.js';

const kube = new FakeKubernetes();
let h: SlackHarness;
let queueRedis: Redis;
let r: Harness;
let service: RemediationService;
let flow: RemediationFlow;
let n = 0;
const CHANNEL = 'C0INCIDENTS';
const INCIDENT_TS = '1700000000.000100';

const runbooks = [
  runbook(),
  runbook({ id: 'restart-two', title: 'Restart (two people)', approval: { required: 2 } }),
  runbook({
    id: 'rollback',
    title: 'Roll back',
    action: { type: 'kubernetes.rollback', params: { namespace: { value: 'production' }, deployment: { from: 'rootCause.service' } } },
    guardrails: { requireDryRun: true },
  }),
  runbook({
    id: 'scale-up',
    title: 'Scale out to 6',
    undo: 'scale-back',
    approval: { allowProposer: true },
    action: { type: 'kubernetes.scale', params: { namespace: { value: 'production' }, deployment: { from: 'rootCause.service' }, replicas: { value: 6 } } },
  }),
  runbook({
    id: 'scale-back',
    title: 'Scale back to 3',
    approval: { allowProposer: true },
    action: { type: 'kubernetes.scale', params: { namespace: { value: 'production' }, deployment: { from: 'rootCause.service' }, replicas: { value: 3 } } },
  }),
];

beforeAll(async () => {
  await kube.start();
  queueRedis = newTestRedis();
  h = await startSlackHarness('slack-remediation', {
    // The hooks are late-bound: the flow needs the Bolt app, which createSlackApp builds.
    proposeRemediation: (...a) => flow.propose(...a),
    automationCommand: (...a) => flow.automationCommand(...a),
  });
  r = makeService(queueRedis, h.prefix, kube, runbooks, { onEvent: (e) => flow.onEvent(e) });
  service = r.service;
  flow = registerTestFlow(h, service, runbooks, () => r.clock.now);
}, 30_000);

afterAll(() => closeAll(service, h, queueRedis, kube));

/** A new incident on its own deployment (so PATCH counts and rate limits do not mix between tests). */
async function newIncident(id: string, svc: string, opts: { messageInChannel?: boolean } = {}): Promise<void> {
  kube.addDeployment('production', svc, [`${svc}:1`, `${svc}:2`]);
  r.incidents.set(id, incident(id, svc));
  if (opts.messageInChannel) {
    await h.redis.hset(slackKeys(h.prefix).messages, id, JSON.stringify({ channel: CHANNEL, ts: INCIDENT_TS, digest: 'd', topSuspect: svc, status: 'open', pendingNotes: [] }));
  }
}

const click = (actionId: string, value: string, userId: string) => slackUser(h).click(actionId, value, userId);

/** Clicks "Propose" on a suggested runbook and returns the posted proposal message. */
async function propose(incidentId: string, runbookId: string, userId = 'UALICE'): Promise<{ proposalId: string; post: RecordedCall; answer: string }> {
  const refs = new ActionRefs();
  const ref = refs.add({ kind: 'runbook', incidentId, runbook: runbookId, target: 'x' });
  await h.refs.save(refs);
  const before = h.fake.callsTo('chat.postMessage').length;
  const id = await click('rca_propose_runbook', ref, userId);
  await h.fake.waitFor((c) => c.some((x) => x.path === `/response/${id}`));
  const answer = String(h.fake.calls.find((x) => x.path === `/response/${id}`)!.params.text);
  const post = await postAfter(before, (c) => String(c.params.text).startsWith('Remediation waiting for approval') && JSON.stringify(c.params.blocks).includes(`\`${incidentId}\``)).catch(() => {
    throw new Error(`nothing posted; the clicker was told: ${answer}`);
  });
  return { proposalId: approveButtons(post)[0]!.value, post, answer };
}

const postAfter = (after: number, match: (c: RecordedCall) => boolean) => slackUser(h).postAfter(after, match);

function approveButtons(call: RecordedCall): Array<{ action_id: string; value: string; text: { text: string } }> {
  const blocks = call.params.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string; text: { text: string } }> }>;
  return blocks.find((b) => b.type === 'actions')?.elements ?? [];
}

function ephemeralsTo(user: string): RecordedCall[] {
  return h.fake.callsTo('chat.postEphemeral').filter((c) => c.params.user === user);
}

/** Clicks and waits for the private answer to that user. */
async function clickForAnswer(actionId: string, value: string, userId: string): Promise<string> {
  const before = ephemeralsTo(userId).length;
  await click(actionId, value, userId);
  await h.fake.waitFor(() => ephemeralsTo(userId).length > before);
  return String(ephemeralsTo(userId)[before]!.params.text);
}

function updatesOf(ts: string): RecordedCall[] {
  return h.fake.callsTo('chat.update').filter((c) => c.params.ts === ts);
}

function textOf(call: RecordedCall): string {
  return renderBlocksAsText(call.params.blocks as Block[]);
}

function patchesTo(svc: string): number {
  return kube.writes().filter((w) => w.path.startsWith(`/apis/apps/v1/namespaces/production/deployments/${svc}`)).length;
}

async function rca(text: string, userId: string): Promise<string> {
  const id = `cmd-${++n}`;
  const res = await h.post(slashCommandBody({ text, userId, responseUrl: h.fake.responseUrl(id) }));
  expect(res.status).toBe(200);
  await h.fake.waitFor((c) => c.some((x) => x.path === `/response/${id}`));
  return String(h.fake.calls.find((x) => x.path === `/response/${id}`)!.params.text);
}

describe('remediation in Slack', () => {
  it('"Propose" posts the proposal in the incident thread with the exact plan and three buttons carrying only the proposal id', async () => {
    await newIncident('inc-1', 'checkout', { messageInChannel: true });
    const { proposalId, post, answer } = await propose('inc-1', 'restart');
    expect(answer).toContain('Proposed *Restart* on `deployment/production/checkout` in the incident thread');
    expect(post.params.channel).toBe(CHANNEL);
    expect(post.params.thread_ts).toBe(INCIDENT_TS);

    const p = (await service.get(proposalId))!;
    expect(p).toMatchObject({ incidentId: 'inc-1', runbookId: 'restart', proposer: 'UALICE', state: 'proposed' });
    const buttons = approveButtons(post);
    expect(buttons.map((b) => [b.action_id, b.text.text])).toEqual([
      ['rca_approve_proposal', 'Approve'],
      ['rca_reject_proposal', 'Reject'],
      ['rca_dry_run_proposal', 'Dry run'],
    ]);
    expect(buttons.every((b) => b.value === p.id)).toBe(true);
    expect(JSON.stringify(post.params.blocks)).toContain(p.planHash.slice(0, 12)); // shown to people…
    expect(buttons.some((b) => b.value.includes(p.planHash))).toBe(false); // …but not carried by any button

    const blocks = post.params.blocks as Block[];
    expectWithinBlockKitLimits(blocks);
    const text = renderBlocksAsText(blocks);
    expect(text).toContain('PATCH /apis/apps/v1/namespaces/production/deployments/checkout');
    expect(text).toContain('Content-Type: application/strategic-merge-patch+json');
    expect(text).toContain(`"kubectl.kubernetes.io/restartedAt": "${new Date(T0).toISOString()}"`);
    expect(text).toContain('0 of 1 approval');
    expect(text).toContain('expires at 09:30 UTC (in 30 min)');
    expect(text).toContain(`needs 1 distinct approver from group \`${ONCALL}\` · not the proposer`);
  });

  it('without a known incident message, the proposal goes to the channel where it was proposed', async () => {
    await newIncident('inc-2', 'cart');
    const { post } = await propose('inc-2', 'restart');
    expect(post.params.channel).toBe(CHANNEL);
    expect(post.params.thread_ts).toBeUndefined();
  });

  it('a refused proposal is a private answer saying why, and nothing is posted', async () => {
    const before = h.fake.callsTo('chat.postMessage').length;
    const refs = new ActionRefs();
    const ref = refs.add({ kind: 'runbook', incidentId: 'inc-missing', runbook: 'restart', target: 'x' });
    await h.refs.save(refs);
    const id = await click('rca_propose_runbook', ref, 'UALICE');
    await h.fake.waitFor((c) => c.some((x) => x.path === `/response/${id}`));
    const answer = h.fake.calls.find((x) => x.path === `/response/${id}`)!.params;
    expect(answer).toMatchObject({ response_type: 'ephemeral', text: ':no_entry: Could not propose `restart`: no incident "inc-missing".' });
    expect(h.fake.callsTo('chat.postMessage').length).toBe(before);
  });

  it('an approver the runbook does not name is refused privately, and nothing changes', async () => {
    await newIncident('inc-3', 'orders');
    const { proposalId } = await propose('inc-3', 'restart');
    const updates = h.fake.callsTo('chat.update').length;
    const answer = await clickForAnswer('rca_approve_proposal', proposalId, 'UMALLORY');
    expect(answer).toBe(':no_entry: <@UMALLORY> may not approve runbook restart. Nothing changed.');
    const p = (await service.get(proposalId))!;
    expect(p.state).toBe('proposed');
    expect(p.approvals).toEqual([]);
    expect(patchesTo('orders')).toBe(0);
    expect(h.fake.callsTo('chat.update').length).toBe(updates);
  });

  it('when the bot cannot read user groups, the refusal says so', async () => {
    await newIncident('inc-4', 'search');
    const { proposalId } = await propose('inc-4', 'restart');
    h.fake.fail('usergroups.users.list', { error: 'missing_scope' });
    const answer = await clickForAnswer('rca_approve_proposal', proposalId, 'UBOB');
    expect(answer).toContain(':no_entry: <@UBOB> may not approve runbook restart. Nothing changed.');
    expect(answer).toContain('I could not read Slack user-group membership (missing_scope; the app needs the `usergroups:read` scope)');
    expect((await service.get(proposalId))!.approvals).toEqual([]);
  });

  it('the proposer may not approve their own proposal when the runbook forbids it', async () => {
    await newIncident('inc-5', 'ledger');
    const { proposalId } = await propose('inc-5', 'restart', 'UALICE');
    const answer = await clickForAnswer('rca_approve_proposal', proposalId, 'UALICE');
    expect(answer).toBe(':no_entry: runbook restart needs someone other than the proposer to approve. Nothing changed.');
    expect((await service.get(proposalId))!.state).toBe('proposed');
  });

  it('two-person rule: the first approval shows 1 of 2 in place, the second distinct approver queues it; the result updates the same message', async () => {
    await newIncident('inc-6', 'billing');
    const { proposalId, post } = await propose('inc-6', 'restart-two');
    const ts = (await flow.messageOf(proposalId))!.ts;
    expect(textOf(post)).toContain('0 of 2 approvals');

    const first = await clickForAnswer('rca_approve_proposal', proposalId, 'UBOB');
    expect(first).toBe('Your approval is recorded: 1 of 2. It runs when 1 more person approves.');
    await h.fake.waitFor(() => updatesOf(ts).some((u) => textOf(u).includes('1 of 2 approvals (@UBOB)')));
    expect((await service.get(proposalId))!.state).toBe('proposed');
    expect(patchesTo('billing')).toBe(0);

    await click('rca_approve_proposal', proposalId, 'UCAROL');
    const done = await waitForState(service, proposalId, ['succeeded', 'failed']);
    expect(done.state).toBe('succeeded');
    expect(patchesTo('billing')).toBe(1);
    await h.fake.waitFor(() => updatesOf(ts).some((u) => String(u.params.text).startsWith('Remediation succeeded')));
    const last = updatesOf(ts).at(-1)!;
    expect(last.params.channel).toBe(CHANNEL);
    const text = textOf(last);
    expect(text).toContain('Succeeded* (approved by @UBOB, @UCAROL)');
    expect(text).toContain('step 1: PATCH');
    expect(text).not.toContain('[ Approve ]');
  });

  it('dry run posts the exact plan in the thread, sends nothing that changes the cluster, and unlocks a dry-run-first approval', async () => {
    await newIncident('inc-7', 'search-api');
    const { proposalId } = await propose('inc-7', 'rollback');
    const record = (await flow.messageOf(proposalId))!;
    expect(await clickForAnswer('rca_approve_proposal', proposalId, 'UBOB')).toBe(':no_entry: runbook rollback requires a dry run before approval. Nothing changed.');

    const requests = kube.requests.length;
    const posts = h.fake.callsTo('chat.postMessage').length;
    await click('rca_dry_run_proposal', proposalId, 'UBOB');
    const dry = await postAfter(posts, (c) => String(c.params.text).startsWith('Dry run of rollback'));
    expect(dry.params).toMatchObject({ channel: CHANNEL, thread_ts: record.ts });
    const text = textOf(dry);
    expect(text).toContain('Dry run* of `rollback` on `deployment/production/search-api` by @UBOB at 09:00 UTC: nothing was sent.');
    expect(text).toContain('The plan computed now is the same as the proposed one.');
    expect(text).toContain('PATCH /apis/apps/v1/namespaces/production/deployments/search-api\nContent-Type: application/json-patch+json');
    expect(text).toContain('"op": "test"');
    expect(text).toContain('"image": "search-api:1"');
    // The dry run read the deployment and its ReplicaSets again, and wrote nothing.
    const during = kube.requests.slice(requests);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((q) => q.method === 'GET')).toBe(true);
    const p = (await service.get(proposalId))!;
    expect(p.state).toBe('proposed');
    expect(p.dryRunAt).toBe(T0);
    await h.fake.waitFor(() => updatesOf(record.ts).some((u) => textOf(u).includes('a dry run first (done)')));

    await click('rca_approve_proposal', proposalId, 'UBOB');
    expect((await waitForState(service, proposalId, ['succeeded', 'failed'])).state).toBe('succeeded');
    expect(kube.deployment('production', 'search-api')!.spec).toMatchObject({ template: { spec: { containers: [{ image: 'search-api:1' }] } } });
  });

  it('double clicks: 10 concurrent approvals from two approvers send exactly one PATCH', async () => {
    await newIncident('inc-8', 'inventory');
    const { proposalId } = await propose('inc-8', 'restart-two');
    const before = { bob: ephemeralsTo('UBOB').length, carol: ephemeralsTo('UCAROL').length };
    const bodies = Array.from({ length: 10 }, (_, i) => blockActionsBody({ actionId: 'rca_approve_proposal', value: proposalId, userId: i % 2 === 0 ? 'UBOB' : 'UCAROL', responseUrl: h.fake.responseUrl(`dc-${i}`) }));
    const statuses = await Promise.all(bodies.map(async (b) => (await h.post(b)).status));
    expect(statuses).toEqual(Array(10).fill(200));
    const done = await waitForState(service, proposalId, ['succeeded', 'failed']);
    expect(done.state).toBe('succeeded');
    expect(done.approvals.map((a) => a.user).sort()).toEqual(['UBOB', 'UCAROL']);
    // Every click but the one that completed the quorum gets a private answer (recorded / already approved / already approved by others).
    await h.fake.waitFor(() => ephemeralsTo('UBOB').length - before.bob + ephemeralsTo('UCAROL').length - before.carol === 9);
    expect(patchesTo('inventory')).toBe(1);
    await new Promise((res) => setTimeout(res, 300)); // a straggler would have been sent by now
    expect(patchesTo('inventory')).toBe(1);
  });

  it('a tampered or unknown proposal id gets a calm private answer and changes nothing', async () => {
    const writes = kube.writes().length;
    for (const value of ['0f0e2a9c-0000-4000-8000-000000000000', '../../proposal', 'x'.repeat(3000)]) {
      const answer = await clickForAnswer('rca_approve_proposal', value, 'UBOB');
      expect(answer).toBe('This button is no longer valid: I do not know that proposal (it may have been removed). Propose the runbook again from the incident.');
    }
    expect(await clickForAnswer('rca_reject_proposal', 'nope', 'UBOB')).toContain('no longer valid');
    expect(await clickForAnswer('rca_dry_run_proposal', 'nope', 'UBOB')).toContain('no longer valid');
    expect(kube.writes().length).toBe(writes);
  });

  it('an expired proposal is refused', async () => {
    await newIncident('inc-9', 'profile');
    const { proposalId } = await propose('inc-9', 'restart');
    r.clock.now = T0 + 30 * 60_000;
    try {
      const answer = await clickForAnswer('rca_approve_proposal', proposalId, 'UBOB');
      expect(answer).toBe(':no_entry: proposal ' + proposalId + ' expired at 2026-10-14T09:30:00.000Z; propose it again. Nothing changed.');
      expect((await service.get(proposalId))!.state).toBe('proposed');
      // The message stops offering buttons that can only be refused.
      const ts = (await flow.messageOf(proposalId))!.ts;
      await h.fake.waitFor(() => updatesOf(ts).some((u) => String(u.params.text).startsWith('Remediation expired')));
      expect(approveButtons(updatesOf(ts).at(-1)!)).toEqual([]);
    } finally {
      r.clock.now = T0;
    }
  });

  it('rejecting closes the proposal in place; an outsider may not reject', async () => {
    await newIncident('inc-10', 'shipping');
    const { proposalId } = await propose('inc-10', 'restart');
    const ts = (await flow.messageOf(proposalId))!.ts;
    expect(await clickForAnswer('rca_reject_proposal', proposalId, 'UMALLORY')).toContain('<@UMALLORY> may not reject proposal');
    await click('rca_reject_proposal', proposalId, 'UBOB');
    await h.fake.waitFor(() => updatesOf(ts).some((u) => textOf(u).includes('Rejected* by @UBOB')));
    expect((await service.get(proposalId))!.state).toBe('rejected');
    expect(textOf(updatesOf(ts).at(-1)!)).not.toContain('[ Approve ]');
    expect(await clickForAnswer('rca_approve_proposal', proposalId, 'UCAROL')).toContain('is already rejected');
  });

  it('kill switch: a non-admin may not pause; while paused approvals are refused; after resume they work', async () => {
    await newIncident('inc-11', 'search-ui');
    const { proposalId } = await propose('inc-11', 'restart');
    expect(await rca('automation pause deploy freeze', 'UBOB')).toContain('<@UBOB> is not a remediation administrator: only remediation administrators may pause automation.');
    expect(await rca('automation', 'UBOB')).toContain('Automated remediation is running');

    expect(await rca('automation pause deploy freeze until 17:00', 'UADMIN')).toContain('Automated remediation paused by <@UADMIN> at 09:00 UTC: deploy freeze until 17:00.');
    expect(await rca('automation status', 'UBOB')).toContain('Automated remediation is paused by <@UADMIN>');
    const refused = await clickForAnswer('rca_approve_proposal', proposalId, 'UBOB');
    expect(refused).toBe(':no_entry: automated remediation is paused by an administrator. Nothing changed.');
    expect((await service.get(proposalId))!.approvals).toEqual([]);

    expect(await rca('automation resume', 'UBOB')).toContain('not a remediation administrator');
    expect(await rca('automation resume', 'UADMIN')).toContain('Automated remediation resumed');
    await click('rca_approve_proposal', proposalId, 'UBOB');
    expect((await waitForState(service, proposalId, ['succeeded', 'failed'])).state).toBe('succeeded');
    expect(patchesTo('search-ui')).toBe(1);
  });

  it('after verify.after the verdict is posted in the thread, with an Undo that proposes the undo runbook through the same flow', async () => {
    await newIncident('inc-12', 'recommender', { messageInChannel: true });
    const { proposalId } = await propose('inc-12', 'scale-up', 'UALICE');
    const record = (await flow.messageOf(proposalId))!;
    await click('rca_approve_proposal', proposalId, 'UALICE'); // allowProposer: true
    expect((await waitForState(service, proposalId, ['not-fixed', 'verified', 'failed'], 15_000)).state).toBe('not-fixed');
    expect(kube.deployment('production', 'recommender')!.spec).toMatchObject({ replicas: 6 });

    await h.fake.waitFor(() => h.fake.callsTo('chat.postMessage').some((c) => String(c.params.text).includes('did not fix incident inc-12')));
    const verdict = h.fake.callsTo('chat.postMessage').find((c) => String(c.params.text).includes('did not fix incident inc-12'))!;
    expect(verdict.params).toMatchObject({ channel: CHANNEL, thread_ts: record.threadTs });
    const text = textOf(verdict);
    expect(text).toContain('Not fixed:* checked at 09:00 UTC, 2 alerts still firing on incident `inc-12`');
    expect(text).toContain('Undo with *Scale back to 3* (`scale-back`)?');
    await h.fake.waitFor(() => updatesOf(record.ts).some((u) => String(u.params.text).includes('did not fix the incident')));

    const undo = (verdict.params.blocks as Array<{ accessory?: { action_id: string; value: string } }>).find((b) => b.accessory)!.accessory!;
    expect(undo.action_id).toBe('rca_propose_runbook');
    expect(undo.value).toMatch(/^r[0-9a-f]{16}$/);
    expect(await h.refs.resolve(undo.value)).toEqual({ kind: 'runbook', incidentId: 'inc-12', runbook: 'scale-back', target: 'deployment/production/recommender' });
    const before = h.fake.callsTo('chat.postMessage').length;
    await click('rca_propose_runbook', undo.value, 'UBOB');
    const undoProposal = await postAfter(before, (c) => String(c.params.text).startsWith('Remediation waiting for approval: Scale back to 3'));
    expect(undoProposal.params.thread_ts).toBe(INCIDENT_TS);
    expect(textOf(undoProposal)).toContain('Remediation: Scale back to 3');
    expect(textOf(undoProposal)).toContain('"replicas": 3');

    // A fixed incident says so, without an undo.
    r.incidents.set('inc-12', incident('inc-12', 'recommender', 'resolved'));
    const undoId = approveButtons(undoProposal)[0]!.value;
    await click('rca_approve_proposal', undoId, 'UBOB');
    expect((await waitForState(service, undoId, ['verified', 'not-fixed', 'failed'], 15_000)).state).toBe('verified');
    await h.fake.waitFor(() => h.fake.callsTo('chat.postMessage').some((c) => String(c.params.text).includes('scale-back on deployment/production/recommender fixed incident inc-12')));
  });
});
