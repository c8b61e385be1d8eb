// The real Bolt app in Socket Mode (SLACK_APP_TOKEN set) against local stand-ins for Slack's Web API and its
// WebSocket: it connects through apps.connections.open at SLACK_API_URL, acks `/rca` envelopes on the socket and
// answers at the response_url with exactly what HTTP mode answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { IncidentStore } from '../../../src/store/incident-store.js';
import { FeedbackStore } from '../../../src/store/feedback-store.js';
import { ActionRefStore } from '../../../src/slack/action-refs.js';
import { RedisRcaQueries } from '../../../src/slack/rca-queries.js';
import { ServiceOverviewStore } from '../../../src/slack/service-overview-store.js';
import { createSlackApp, type SlackApp } from '../../../src/slack/slack-app.js';
import { renderBlocksAsText } from '../../../src/slack/render/blocks-as-text.js';
import type { Block } from '../../../src/slack/render/block-kit.js';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../../support/redis.js';
import { FakeSlackApi } from '../../support/fake-slack-api.js';
import { FakeSlackSocket, type SocketConnection } from '../../support/fake-slack-socket.js';
import { slashCommandBody } from '../../support/signed-slack-request.js';
import { buildScenarioEngine, NOW } from './slack-scenario.js';
import { recordingLogger, startSlackHarness, type SlackHarness } from './slack-harness.js';

const APP_TOKEN = 'xapp-1-A0TEST-1-test';
const BOT_TOKEN = 'xoxb-test-token';

type Answer = { text: string; blocks: Block[]; response_type: string; replace_original: boolean };

let redis: Redis;
let prefix: string;
let fake: FakeSlackApi;
let socket: FakeSlackSocket;
let slack: SlackApp;
let conn: SocketConnection;
let incidentId: string;
/** The same app in HTTP mode over the same scenario, to compare answers with. */
let http: SlackHarness;
let n = 0;

beforeAll(async () => {
  prefix = uniquePrefix('slack-socket');
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
  fake = await new FakeSlackApi().start();
  socket = await new FakeSlackSocket().start();
  fake.socketUrl = socket.url;

  const engine = buildScenarioEngine();
  const reports = engine.analyze(NOW);
  incidentId = reports[0]!.id;
  await new IncidentStore(redis, prefix).save(reports);
  await new ServiceOverviewStore(redis, prefix).record(engine, reports, NOW);

  const { logger } = recordingLogger();
  slack = createSlackApp({
    config: { botToken: BOT_TOKEN, signingSecret: undefined, appToken: APP_TOKEN, apiUrl: fake.apiUrl, incidentChannel: 'C0INCIDENTS' },
    logger,
    queries: new RedisRcaQueries(redis, prefix),
    refs: new ActionRefStore(redis, prefix),
    feedback: new FeedbackStore(redis, prefix),
    now: () => NOW,
  })!;
  // start() resolves only after the socket's `hello`: no polling needed before sending envelopes.
  await slack.start();
  conn = await socket.connection(0);

  http = await startSlackHarness('slack-socket-http', { now: () => NOW });
  await http.store(engine, engine.analyze(NOW), NOW);
});

afterAll(async () => {
  // The last test stops the app itself; stop here only if it did not get that far.
  if (slack && !conn?.closed) await slack.stop();
  await http?.close();
  await socket?.stop();
  await fake?.stop();
  if (redis) {
    await deleteKeys(redis, prefix);
    await redis.quit();
  }
});

/** Sends `/rca <text>` as a slash_commands envelope; returns the ack seen on the socket and the response_url answer. */
async function rcaOverSocket(text: string): Promise<{ envelopeId: string; ack: Record<string, unknown>; body: Answer }> {
  const id = `sock-${++n}`;
  const envelopeId = `env-${n}-7f3c`;
  const payload = Object.fromEntries(new URLSearchParams(slashCommandBody({ text, responseUrl: fake.responseUrl(id) })));
  conn.send({ envelope_id: envelopeId, type: 'slash_commands', payload, accepts_response_payload: true });
  const ack = await socket.ack(conn, envelopeId);
  await fake.waitFor((calls) => calls.some((c) => c.path === `/response/${id}`));
  const call = fake.calls.find((c) => c.path === `/response/${id}`)!;
  return { envelopeId, ack, body: call.params as Answer };
}

/** The same command over HTTP (signed POST) for comparison: what arrived at its response_url. */
async function rcaOverHttp(text: string): Promise<Answer> {
  const id = `http-${++n}`;
  const res = await http.post(slashCommandBody({ text, responseUrl: http.fake.responseUrl(id) }));
  expect(res.status).toBe(200);
  await http.fake.waitFor((calls) => calls.some((c) => c.path === `/response/${id}`));
  return http.fake.calls.find((c) => c.path === `/response/${id}`)!.params as Answer;
}

describe('Socket Mode (SLACK_APP_TOKEN set)', () => {
  it('is chosen over HTTP and needs no HTTP receiver', () => {
    expect(slack.mode).toBe('socket');
    expect(slack.receiver).toBeUndefined();
  });

  it('verified the bot token and opened the connection through SLACK_API_URL with the app token', () => {
    const auth = fake.callsTo('auth.test');
    expect(auth).toHaveLength(1);
    expect(auth[0]!.token).toBe(BOT_TOKEN);
    const open = fake.callsTo('apps.connections.open');
    expect(open).toHaveLength(1);
    expect(open[0]!.token).toBe(APP_TOKEN);
    expect(open[0]!.path).toBe('/api/apps.connections.open');
  });

  it('connected to the URL apps.connections.open handed out, exactly once', () => {
    expect(socket.connections).toHaveLength(1);
    expect(conn.path).toBe('/link/?ticket=test-ticket&app_id=A0TEST');
    expect(conn.closed).toBeUndefined();
  });

  it('acks a /rca envelope on the socket with its envelope_id and an empty payload, then lists the incident at the response_url', async () => {
    const { envelopeId, ack, body } = await rcaOverSocket('');
    // Same as HTTP mode's empty 200: the answer follows via response_url.
    expect(ack).toEqual({ envelope_id: envelopeId, payload: {} });
    expect(body.response_type).toBe('ephemeral');
    const text = renderBlocksAsText(body.blocks);
    expect(text).toContain('Open incidents (1)');
    expect(text).toContain(`\`${incidentId}\` · open 6 min · 3 alerts · 3 services`);
    // Scores are the ranking's business (tested there); here: the suspects arrive, in order.
    expect(text).toMatch(/1\. `payments-db` \d\.\d\d {3}2\. `payments` \d\.\d\d {3}3\. `checkout` \d\.\d\d/);
  });

  it('answers /rca exactly as HTTP mode does', async () => {
    const [overSocket, overHttp] = [await rcaOverSocket(''), await rcaOverHttp('')];
    expect(overSocket.body).toEqual(overHttp);
  });

  it('an unknown subcommand gets the help answer, exactly as HTTP mode gives it', async () => {
    const { envelopeId, ack, body } = await rcaOverSocket('what is broken');
    expect(ack).toEqual({ envelope_id: envelopeId, payload: {} });
    const text = renderBlocksAsText(body.blocks);
    expect(text).toContain('I did not understand `/rca what is broken`');
    expect(text).toContain('`/rca service <name>`');
    expect(body).toEqual(await rcaOverHttp('what is broken'));
  });

  it('acks each envelope with its own id when several arrive at once', async () => {
    const results = await Promise.all(['help', 'service payments', 'nonsense words'].map((t) => rcaOverSocket(t)));
    for (const r of results) expect(r.ack.envelope_id).toBe(r.envelopeId);
    expect(renderBlocksAsText(results[0]!.body.blocks)).toContain('`/rca service <name>`');
    expect(renderBlocksAsText(results[1]!.body.blocks)).toContain('Service payments');
    expect(renderBlocksAsText(results[2]!.body.blocks)).toContain('I did not understand `/rca nonsense words`');
    // Every ack went out exactly once.
    const ids = conn.received.map((m) => m.envelope_id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('stop() closes the socket with a normal closure and does not reconnect', async () => {
    await slack.stop();
    expect(await socket.closed(conn)).toEqual({ code: 1000, reason: '' });
    expect(fake.callsTo('apps.connections.open')).toHaveLength(1);
    expect(socket.connections).toHaveLength(1);
  });
});
