import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockActionsBody, FORM, signedHeaders, slashCommandBody, slackSignature } from '../../support/signed-slack-request.js';
import { renderBlocksAsText } from '../../../src/slack/render/blocks-as-text.js';
import type { Block } from '../../../src/slack/render/block-kit.js';
import { expectWithinBlockKitLimits } from '../../unit/slack/block-limits.js';
import { buildScenarioEngine, NOW } from './slack-scenario.js';
import { SIGNING_SECRET, startSlackHarness, type SlackHarness } from './slack-harness.js';

let h: SlackHarness;
let incidentId: string;
let n = 0;

beforeAll(async () => {
  h = await startSlackHarness('slack-rca', { now: () => NOW });
  const engine = buildScenarioEngine();
  const reports = engine.analyze(NOW);
  incidentId = reports[0]!.id;
  await h.store(engine, reports, NOW);
});
afterAll(async () => h?.close());

/** Sends `/rca <text>` signed, checks the immediate empty 200, and returns what arrived at the response_url. */
async function rca(text: string): Promise<{ ackMs: number; body: { text: string; blocks: Block[]; response_type: string } }> {
  const id = `cmd-${++n}`;
  const body = slashCommandBody({ text, responseUrl: h.fake.responseUrl(id) });
  const started = performance.now();
  const res = await h.post(body);
  const ackMs = performance.now() - started;
  expect(res.status).toBe(200);
  expect(await res.text()).toBe('');
  await h.fake.waitFor((calls) => calls.some((c) => c.path === `/response/${id}`));
  const call = h.fake.calls.find((c) => c.path === `/response/${id}`)!;
  return { ackMs, body: call.params as { text: string; blocks: Block[]; response_type: string } };
}

describe('/rca over real HTTP with signed requests', () => {
  it('verified the bot token with auth.test on start, against SLACK_API_URL', () => {
    const auth = h.fake.callsTo('auth.test');
    expect(auth).toHaveLength(1);
    expect(auth[0]!.token).toBe('xoxb-test-token');
  });

  it('/rca lists the open incident with age, alert count and top 3 suspects, as an ephemeral answer', async () => {
    const { ackMs, body } = await rca('');
    expect(ackMs).toBeLessThan(3000);
    expect(body.response_type).toBe('ephemeral');
    expectWithinBlockKitLimits(body.blocks);
    const text = renderBlocksAsText(body.blocks);
    expect(text).toContain('Open incidents (1)');
    expect(text).toContain(`\`${incidentId}\` · open 6 min · 3 alerts · 3 services`);
    expect(text).toContain('1. `payments-db` 0.70   2. `payments` 0.44   3. `checkout` 0.33');
  });

  it('/rca <id> answers root causes with evidence, the timeline and Confirm buttons with opaque refs', async () => {
    const { body } = await rca(incidentId);
    expectWithinBlockKitLimits(body.blocks);
    const text = renderBlocksAsText(body.blocks);
    expect(text).toContain('*1. payments-db* — score 0.70');
    expect(text).toContain('> payments-db: 67% of 720 client calls from payments fail');
    expect(text).toContain('Deploy: payments v2.4.1 (from v1)');
    expect(text).toContain('First alert: HighErrorRate on checkout');
    const button = body.blocks.find((b) => b.type === 'section' && b.accessory?.type === 'button') as { accessory: { value: string } };
    // The ref was stored before the answer went out, so a click on it works.
    expect(await h.refs.resolve(button.accessory.value)).toEqual({ kind: 'suspect', incidentId, service: 'payments-db' });
  });

  it('/rca service <name> shows callers, callees, alerts, deploys and incidents', async () => {
    const { body } = await rca('service payments');
    const text = renderBlocksAsText(body.blocks);
    expect(text).toContain('Service payments');
    expect(text).toContain('← `checkout`');
    expect(text).toContain('→ `payments-db` — 80/min, 75% errors');
    expect(text).toContain('HighErrorRate* since 09:00 UTC');
    expect(text).toContain('`v2.4.1` (from v1)');
    expect(text).toContain(`\`${incidentId}\``);
  });

  it('/rca help explains the commands', async () => {
    const { body } = await rca('help');
    expect(renderBlocksAsText(body.blocks)).toContain('`/rca service <name>`');
  });

  it('an unknown incident id gets near ids suggested', async () => {
    const { body } = await rca(incidentId.slice(0, 10));
    expect(body.text).toBe(`No incident \`${incidentId.slice(0, 10)}\`. Did you mean \`${incidentId}\`?`);
  });

  it('an unknown service gets near names suggested', async () => {
    const { body } = await rca('service paymnets');
    expect(body.text).toBe('No service named `paymnets`. Did you mean `payments`?');
  });

  it('a service name typed without "service" is answered as the service', async () => {
    const { body } = await rca('payments-db');
    expect(body.text).toContain('Service payments-db');
  });

  it('anything else gets the help with what was not understood', async () => {
    const { body } = await rca('what is broken');
    expect(renderBlocksAsText(body.blocks)).toContain('I did not understand `/rca what is broken`');
  });
});

describe('request verification', () => {
  const body = () => slashCommandBody({ text: '', responseUrl: h.fake.responseUrl('never') });
  const now = () => Math.floor(Date.now() / 1000);

  it('refuses a missing signature with 401 and never runs the command', async () => {
    const b = body();
    const res = await h.post(b, { 'content-type': FORM, 'x-slack-request-timestamp': String(now()) });
    expect(res.status).toBe(401);
  });

  it('refuses a wrong signature (other secret, or other bytes) with 401', async () => {
    const b = body();
    expect((await h.post(b, signedHeaders('another-secret', b, FORM))).status).toBe(401);
    const headers = signedHeaders(SIGNING_SECRET, b, FORM);
    expect((await h.post(b.replace('text=', 'text=help'), headers)).status).toBe(401);
  });

  it('refuses a timestamp older than 5 minutes even when correctly signed', async () => {
    const b = body();
    expect((await h.post(b, signedHeaders(SIGNING_SECRET, b, FORM, now() - 301))).status).toBe(401);
    expect((await h.post(b, signedHeaders(SIGNING_SECRET, b, FORM, now() + 301))).status).toBe(401);
    // Just inside the window is fine.
    expect((await h.post(b, signedHeaders(SIGNING_SECRET, b, FORM, now() - 200))).status).toBe(200);
  });

  it('refuses a malformed timestamp', async () => {
    const b = body();
    const headers = { 'content-type': FORM, 'x-slack-request-timestamp': 'yesterday', 'x-slack-signature': slackSignature(SIGNING_SECRET, 0, b) };
    expect((await h.post(b, headers)).status).toBe(401);
  });

  it('did not answer any refused request at its response_url', async () => {
    await new Promise((r) => setTimeout(r, 100));
    expect(h.fake.calls.filter((c) => c.path === '/response/never')).toHaveLength(1); // only the accepted -200 s one
  });

  it('answers url_verification challenges and ssl_check pings', async () => {
    const challenge = JSON.stringify({ type: 'url_verification', token: 't', challenge: 'abc123' });
    const res = await h.post(challenge, undefined, 'application/json');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ challenge: 'abc123' });
    const ssl = await fetch(`${h.url}/slack/events`, { method: 'POST', headers: { 'content-type': FORM }, body: 'ssl_check=1&token=x' });
    expect(ssl.status).toBe(200);
  });

  it('leaves the server’s own JSON parsing alone outside /slack/events', async () => {
    const res = await fetch(`${h.url}/webhooks/alerts`, { method: 'POST', headers: { 'content-type': FORM }, body: 'a=b' });
    expect(res.status).toBe(415);
  });
});

describe('block_actions', () => {
  it('acknowledges an unknown action id calmly and logs nothing above debug', async () => {
    const before = h.logs.filter((r) => (r.level as number) >= 40).length;
    const b = blockActionsBody({ actionId: 'some_url_button', value: 'x', responseUrl: h.fake.responseUrl('unknown-action') });
    const res = await h.post(b);
    expect(res.status).toBe(200);
    expect(h.logs.filter((r) => (r.level as number) >= 40).length).toBe(before);
  });

  it('answers a forged or expired ref on a known action with a calm ephemeral note, recording nothing', async () => {
    const b = blockActionsBody({ actionId: 'rca_confirm_root_cause', value: JSON.stringify({ incidentId, service: 'evil' }), responseUrl: h.fake.responseUrl('forged') });
    expect((await h.post(b)).status).toBe(200);
    await h.fake.waitFor((calls) => calls.some((c) => c.path === '/response/forged'));
    expect(h.fake.calls.find((c) => c.path === '/response/forged')!.params.text).toContain('no longer valid');
    expect(await h.feedback.confirmedRootCause(incidentId)).toBeNull();
  });
});
