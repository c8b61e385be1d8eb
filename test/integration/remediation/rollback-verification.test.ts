// The "done when", end to end: an incident commander goes from `/rca` to an approved, executed rollback in
// Slack, and after verify.after rcabot says whether it fixed the incident, both ways. Real Bolt on a real port
// (signed requests), real Redis and BullMQ, the fake Slack Web API and the fake Kubernetes API. The verification is
// a delayed job: the test checks it waits exactly verify.after, then promotes it at the injected clock's
// verify.after instead of sleeping ten minutes.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { IncidentReport } from '../../../src/model/incident.js';
import type { RemediationFlow } from '../../../src/slack/remediation-flow.js';
import { renderBlocksAsText } from '../../../src/slack/render/blocks-as-text.js';
import type { Block } from '../../../src/slack/render/block-kit.js';
import { slackKeys } from '../../../src/slack/slack-keys.js';
import type { RemediationService } from '../../../src/remediation/remediation-service.js';
import { IncidentStore } from '../../../src/store/incident-store.js';
import { FakeKubernetes } from '../../support/fake-kubernetes.js';
import type { RecordedCall } from '../../support/fake-slack-api.js';
import { newTestRedis } from '../../support/redis.js';
import { slashCommandBody } from '../../support/signed-slack-request.js';
import { slackUser, startSlackHarness, type SlackHarness } from '../slack/slack-harness.js';
import { closeAll, incident, makeService, registerTestFlow, runbook, T0, waitForState, type Harness } from './harness.js';

const CHANNEL = 'C0INCIDENTS';
const VERIFY_AFTER_MS = 10 * 60_000;
const kube = new FakeKubernetes();
const clock = { now: T0 };
let h: SlackHarness;
let queueRedis: Redis;
let incidents: IncidentStore;
let r: Harness;
let service: RemediationService;
let flow: RemediationFlow;
let n = 0;

const rollbackParams = { namespace: { value: 'production' }, deployment: { from: 'rootCause.service' } };
// Like the shipped rollback-deployment runbook (two people, dry run first, verified after 10 minutes), plus an undo:
// undoing a rollback is rolling back again, which kubectl does by restoring the revision that is now previous.
const runbooks = [
  runbook({
    id: 'rollback',
    title: 'Roll back the deployment',
    undo: 'roll-forward',
    action: { type: 'kubernetes.rollback', params: rollbackParams },
    approval: { required: 2, allowProposer: false, expiresAfter: '20m' },
    guardrails: { requireDryRun: true, maxRunsPerTargetPerHour: 1 },
    verify: { after: '10m' },
  }),
  runbook({
    id: 'roll-forward',
    title: 'Roll forward again',
    match: { suggest: false },
    action: { type: 'kubernetes.rollback', params: rollbackParams },
    approval: { required: 1, allowProposer: true },
  }),
];

beforeAll(async () => {
  await kube.start();
  queueRedis = newTestRedis();
  h = await startSlackHarness('rollback-verification', {
    proposeRemediation: (...a) => flow.propose(...a),
    automationCommand: (...a) => flow.automationCommand(...a),
    now: () => clock.now,
  });
  incidents = new IncidentStore(h.redis, h.prefix);
  // Incidents come from the store the analysis writes, as in the server (not from a test map).
  r = makeService(queueRedis, h.prefix, kube, runbooks, { clock, getIncident: (id) => incidents.get(id), onEvent: (e) => flow.onEvent(e) });
  service = r.service;
  flow = registerTestFlow(h, service, runbooks, () => clock.now);
}, 30_000);

afterAll(() => closeAll(service, h, queueRedis, kube));

function report(id: string, svc: string, status: 'open' | 'resolved' = 'open'): IncidentReport {
  return { ...incident(id, svc, status), remediations: [{ runbook: 'rollback', action: 'kubernetes.rollback', target: `deployment/production/${svc}` }] };
}

/** An incident after a bad release of `svc` (revision 2), announced in the incident channel. */
async function badRelease(id: string, svc: string, messageTs: string): Promise<void> {
  kube.addDeployment('production', svc, [`${svc}:1`, `${svc}:2`]);
  await incidents.save([report(id, svc)]);
  await h.redis.hset(slackKeys(h.prefix).messages, id, JSON.stringify({ channel: CHANNEL, ts: messageTs, digest: 'd', topSuspect: svc, status: 'open', pendingNotes: [] }));
}

const respondedTo = (id: string) => slackUser(h).respondedTo(id);

async function rca(text: string, userId: string): Promise<{ text: string; blocks: Block[] }> {
  const id = `cmd-${++n}`;
  expect((await h.post(slashCommandBody({ text, userId, responseUrl: h.fake.responseUrl(id) }))).status).toBe(200);
  return (await respondedTo(id)) as { text: string; blocks: Block[] };
}

const click = (actionId: string, value: string, userId: string) => slackUser(h).click(actionId, value, userId);
const postAfter = (after: number, match: (c: RecordedCall) => boolean) => slackUser(h).postAfter(after, match);

function buttons(blocks: unknown): Array<{ action_id: string; value: string; text: { text: string } }> {
  const list = blocks as Array<{ elements?: Array<{ action_id: string; value: string; text: { text: string } }>; accessory?: { action_id: string; value: string; text: { text: string } } }>;
  return list.flatMap((b) => [...(b.elements ?? []), ...(b.accessory ? [b.accessory] : [])]);
}

function textOf(call: RecordedCall): string {
  return renderBlocksAsText(call.params.blocks as Block[]);
}

function imageOf(svc: string): unknown {
  return (kube.deployment('production', svc)!.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]!.image;
}

/** `/rca <id>` → Propose → Dry run → two approvals → executed. Returns the proposal id and its message ts. */
async function rollBackFromRca(incidentId: string, svc: string): Promise<{ proposalId: string; ts: string }> {
  const detail = await rca(incidentId, 'UALICE');
  const propose = buttons(detail.blocks).find((b) => b.action_id === 'rca_propose_runbook')!;
  expect(renderBlocksAsText(detail.blocks)).toContain(`*rollback*: kubernetes.rollback on \`deployment/production/${svc}\``);

  const posts = h.fake.callsTo('chat.postMessage').length;
  const clicked = await click('rca_propose_runbook', propose.value, 'UALICE');
  expect(String((await respondedTo(clicked)).text)).toContain(`Proposed *Roll back the deployment* on \`deployment/production/${svc}\``);
  const proposal = await postAfter(posts, (c) => String(c.params.text).startsWith(`Remediation waiting for approval: Roll back the deployment on deployment/production/${svc}`));
  const proposalId = buttons(proposal.params.blocks).find((b) => b.action_id === 'rca_approve_proposal')!.value;
  // The flow saves the message record right after chat.postMessage answers: wait for it rather than race it.
  const ts = await vi.waitFor(async () => (await flow.messageOf(proposalId))!.ts);

  const beforeDry = h.fake.callsTo('chat.postMessage').length;
  await click('rca_dry_run_proposal', proposalId, 'UBOB');
  const dry = await postAfter(beforeDry, (c) => String(c.params.text).startsWith('Dry run of rollback'));
  expect(textOf(dry)).toContain(`"image": "${svc}:1"`);
  expect(imageOf(svc)).toBe(`${svc}:2`);

  await click('rca_approve_proposal', proposalId, 'UBOB');
  await h.fake.waitFor(() => h.fake.callsTo('chat.update').some((u) => u.params.ts === ts && textOf(u).includes('1 of 2 approvals')));
  await click('rca_approve_proposal', proposalId, 'UCAROL');
  expect((await waitForState(service, proposalId, ['succeeded', 'failed'])).state).toBe('succeeded');
  expect(imageOf(svc)).toBe(`${svc}:1`);
  return { proposalId, ts };
}

/** The verification job waits exactly verify.after; at that time on the injected clock, it is run now. */
async function reachVerifyAfter(proposalId: string): Promise<void> {
  // The job is scheduled just after the proposal turns "succeeded": wait for it to appear.
  const until = Date.now() + 10_000;
  let job: Job | undefined;
  while (!job) {
    job = (await service.queue.queue.getJobs(['delayed'])).find((j) => j.name === 'verify' && (j.data as { proposalId?: string }).proposalId === proposalId);
    if (!job && Date.now() > until) throw new Error(`no delayed verification job for ${proposalId}`);
    if (!job) await new Promise((res) => setTimeout(res, 25));
  }
  expect(job.opts.delay).toBe(VERIFY_AFTER_MS);
  expect((await service.get(proposalId))!.verification).toBeNull();
  clock.now = (await service.get(proposalId))!.outcome!.finishedAt + VERIFY_AFTER_MS;
  await job.promote();
}

function verdictPost(incidentId: string): RecordedCall | undefined {
  return h.fake.callsTo('chat.postMessage').find((c) => String(c.params.text).includes(`incident ${incidentId}`) && String(c.params.text).startsWith('Remediation rollback'));
}

describe('from /rca to an approved, executed, verified rollback', () => {
  it('reports fixed when the incident alerts resolved after the rollback', async () => {
    clock.now = T0;
    await badRelease('inc-rb-1', 'payments', '1700000000.000201');
    const { proposalId, ts } = await rollBackFromRca('inc-rb-1', 'payments');

    // The rollback worked: the analysis resolves the incident, its alerts no longer fire.
    await incidents.save([report('inc-rb-1', 'payments', 'resolved')]);
    await reachVerifyAfter(proposalId);

    const verified = await waitForState(service, proposalId, ['verified', 'not-fixed']);
    expect(verified.state).toBe('verified');
    expect(verified.verification).toEqual({ fixed: true, stillFiring: [], checkedAt: T0 + VERIFY_AFTER_MS, undo: null });
    await h.fake.waitFor(() => verdictPost('inc-rb-1') !== undefined);
    const verdict = verdictPost('inc-rb-1')!;
    expect(verdict.params).toMatchObject({ channel: CHANNEL, thread_ts: '1700000000.000201', text: 'Remediation rollback on deployment/production/payments fixed incident inc-rb-1' });
    expect(buttons(verdict.params.blocks)).toEqual([]);
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').some((u) => u.params.ts === ts && String(u.params.text).includes('fixed the incident')));
  });

  it('reports not fixed while the alerts still fire, and offers the undo, which proposes the roll-forward', async () => {
    clock.now = T0;
    await badRelease('inc-rb-2', 'refunds', '1700000000.000202');
    const { proposalId, ts } = await rollBackFromRca('inc-rb-2', 'refunds');

    await reachVerifyAfter(proposalId); // the incident stays open: both alerts still fire
    const checked = await waitForState(service, proposalId, ['verified', 'not-fixed']);
    expect(checked.state).toBe('not-fixed');
    expect(checked.verification).toEqual({ fixed: false, stillFiring: ['fp-inc-rb-2-1', 'fp-inc-rb-2-2'], checkedAt: T0 + VERIFY_AFTER_MS, undo: 'roll-forward' });

    await h.fake.waitFor(() => verdictPost('inc-rb-2') !== undefined);
    const verdict = verdictPost('inc-rb-2')!;
    expect(verdict.params).toMatchObject({ channel: CHANNEL, thread_ts: '1700000000.000202', text: 'Remediation rollback on deployment/production/refunds did not fix incident inc-rb-2; undo: roll-forward' });
    expect(textOf(verdict)).toContain('Not fixed:* checked at 09:10 UTC, 2 alerts still firing on incident `inc-rb-2`');
    expect(textOf(verdict)).toContain('Undo with *Roll forward again* (`roll-forward`)?');
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').some((u) => u.params.ts === ts && String(u.params.text).includes('did not fix the incident')));

    const undo = buttons(verdict.params.blocks).find((b) => b.action_id === 'rca_propose_runbook')!;
    expect(await h.refs.resolve(undo.value)).toEqual({ kind: 'runbook', incidentId: 'inc-rb-2', runbook: 'roll-forward', target: 'deployment/production/refunds' });
    const posts = h.fake.callsTo('chat.postMessage').length;
    await click('rca_propose_runbook', undo.value, 'UBOB');
    const undoProposal = await postAfter(posts, (c) => String(c.params.text).startsWith('Remediation waiting for approval: Roll forward again'));
    // After the rollback the bad release is the previous revision again, so the undo restores it.
    expect(textOf(undoProposal)).toContain('"image": "refunds:2"');
    expect(imageOf('refunds')).toBe('refunds:1');
  });
});
