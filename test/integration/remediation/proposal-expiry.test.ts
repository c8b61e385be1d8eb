// Proactive expiry: the sweep moves proposals past their expiry from `proposed` to `expired` (audited through the
// outbox, once across replicas) and the Slack message loses its buttons in place. Time is the injected clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAudit } from '../../../src/remediation/audit-log.js';
import { registerRemediationFlow, type RemediationFlow } from '../../../src/slack/remediation-flow.js';
import { renderBlocksAsText } from '../../../src/slack/render/blocks-as-text.js';
import type { Block } from '../../../src/slack/render/block-kit.js';
import { recordingLogger, startSlackHarness, type SlackHarness } from '../slack/slack-harness.js';
import { alice, auditEntries, bob, carol, incident, makeService, must, ONCALL, runbook, T0, useRemediationTestBed, type Harness } from './harness.js';

const MIN = 60_000;
const { fake, connection, newPrefix, track } = useRemediationTestBed('remediation-expiry');
const runbooks = [runbook({ approval: { expiresAfter: '10m' } }), runbook({ id: 'restart-two', approval: { required: 2, expiresAfter: '30m' } })];


/** Two replicas on one prefix, sharing incidents and the injected clock. */
function twoReplicas(): { prefix: string; a: Harness; b: Harness } {
  const prefix = newPrefix();
  const a = makeService(connection(), prefix, fake, runbooks);
  const b = makeService(connection(), prefix, fake, runbooks, { incidents: a.incidents, clock: a.clock });
  a.incidents.set('inc-1', incident('inc-1', 'checkout'));
  track(a, b);
  return { prefix, a, b };
}

describe('proposal expiry sweep', () => {
  it('expires exactly the proposals past their expiry, once across two replicas sweeping at the same time', async () => {
    const { prefix, a, b } = twoReplicas();
    const short = must(await a.service.propose('inc-1', 'restart', alice)); // expires T0+10m
    const long = must(await a.service.propose('inc-1', 'restart-two', alice)); // expires T0+30m
    must(await a.service.approve(long.id, bob)); // 1 of 2: still waiting
    const decided = must(await a.service.propose('inc-1', 'restart', alice));
    must(await a.service.reject(decided.id, bob));

    a.clock.now = T0 + 10 * MIN - 1;
    expect(await a.service.sweep()).toEqual([]);
    expect((await a.service.get(short.id))!.state).toBe('proposed');

    a.clock.now = T0 + 10 * MIN;
    const [fromA, fromB] = await Promise.all([a.service.sweep(), b.service.sweep()]);
    expect([...fromA, ...fromB].map((p) => p.id)).toEqual([short.id]);
    expect([...a.events, ...b.events].map((e) => [e.type, e.proposal.id, e.proposal.state])).toEqual([['expired', short.id, 'expired']]);
    expect((await a.service.get(short.id))!.state).toBe('expired');
    expect((await a.service.get(long.id))!.state).toBe('proposed');
    expect((await a.service.get(decided.id))!.state).toBe('rejected');

    // Once expired, a click is refused as expired and changes nothing.
    expect(await b.service.approve(short.id, bob)).toMatchObject({ ok: false, code: 'expired' });
    expect(await b.service.reject(short.id, bob)).toMatchObject({ ok: false, code: 'wrong-state' });
    expect((await a.service.get(short.id))!.approvals).toEqual([]);

    a.clock.now = T0 + 30 * MIN;
    expect((await b.service.sweep()).map((p) => p.id)).toEqual([long.id]);
    expect(await a.service.sweep()).toEqual([]);

    const reader = connection();
    const expired = (await auditEntries(reader, prefix)).filter((e) => e.action === 'expired');
    expect(expired).toEqual([
      { at: new Date(T0 + 10 * MIN).toISOString(), actor: 'rcabot', action: 'expired', proposalId: short.id, incidentId: 'inc-1', runbookId: 'restart', detail: { expiresAt: new Date(T0 + 10 * MIN).toISOString(), approvals: [] } },
      { at: new Date(T0 + 30 * MIN).toISOString(), actor: 'rcabot', action: 'expired', proposalId: long.id, incidentId: 'inc-1', runbookId: 'restart-two', detail: { expiresAt: new Date(T0 + 30 * MIN).toISOString(), approvals: ['UBOB'] } },
    ]);
    expect(await verifyAudit(reader, prefix)).toMatchObject({ ok: true });
  });

  it('a proposal approved before its expiry is never expired by a later sweep', async () => {
    const { a } = twoReplicas();
    const p = must(await a.service.propose('inc-1', 'restart', alice));
    must(await a.service.approve(p.id, carol));
    a.clock.now = T0 + 60 * MIN;
    expect(await a.service.sweep()).toEqual([]);
    expect((await a.service.get(p.id))!.state).toBe('approved');
  });
});

describe('proposal expiry in Slack', () => {
  const clock = { now: T0 };
  let h: SlackHarness;
  let r: Harness;
  let flow: RemediationFlow;

  beforeAll(async () => {
    h = await startSlackHarness('remediation-expiry-slack', { proposeRemediation: (...a) => flow.propose(...a) });
    // The server wiring: the sweep runs with the worker, every few ms here so the test need not wait long.
    r = makeService(connection(), h.prefix, fake, runbooks, { clock, sweepEveryMs: 20, onEvent: (e) => flow.onEvent(e) });
    flow = registerRemediationFlow(h.slack.app, { service: r.service, runbooks, refs: h.refs, redis: h.redis, prefix: h.prefix, logger: recordingLogger().logger, now: () => clock.now, groupCacheMs: 0 });
    h.fake.userGroups.set(ONCALL, ['UALICE', 'UBOB']);
    r.incidents.set('inc-s', incident('inc-s', 'search'));
    fake.addDeployment('production', 'search');
  }, 30_000);
  afterAll(async () => {
    await r?.service.close();
    await h?.close();
  });

  it('the periodic sweep expires the proposal and updates its message in place: says expired, no buttons', async () => {
    const answer = await flow.propose('inc-s', 'restart', 'UALICE', { channelId: 'C0INCIDENTS' });
    expect(answer).toContain('Proposed *Restart*');
    const post = h.fake.callsTo('chat.postMessage').at(-1)!;
    const proposalId = (post.params.blocks as Array<{ type: string; elements?: Array<{ value: string }> }>).find((b) => b.type === 'actions')!.elements![0]!.value;
    const record = (await flow.messageOf(proposalId))!;
    r.service.startWorker();

    // Sweeps run meanwhile, but by the injected clock nothing is due: the message is untouched.
    const updatesOf = () => h.fake.callsTo('chat.update').filter((c) => c.params.ts === record.ts);
    await r.service.sweep();
    expect(updatesOf()).toEqual([]);
    expect((await r.service.get(proposalId))!.state).toBe('proposed');

    clock.now = T0 + 10 * MIN;
    await h.fake.waitFor(() => updatesOf().length > 0);
    expect((await r.service.get(proposalId))!.state).toBe('expired');
    const update = updatesOf().at(-1)!;
    expect(update.params).toMatchObject({ channel: 'C0INCIDENTS', ts: record.ts });
    expect(String(update.params.text)).toBe('Remediation expired: Restart on deployment/production/search');
    const blocks = update.params.blocks as Block[];
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(renderBlocksAsText(blocks)).toContain('*Expired* at 09:10 UTC with 0 of 1 approval');
    expect(await r.service.sweep()).toEqual([]); // already expired: later sweeps leave it alone
    expect(updatesOf()).toHaveLength(1);

    // A click on the old message (a client that had not refreshed) is refused as expired.
    expect(await r.service.approve(proposalId, bob)).toMatchObject({ ok: false, code: 'expired' });
    const actions = (await auditEntries(h.redis, h.prefix)).map((e) => e.action);
    expect(actions).toEqual(['proposed', 'expired', 'refused']);
  });
});
