// The real HTTP server with the real Bolt app plugged in through FastifyReceiver, on a real port, over Redis on a
// unique prefix, talking to a FakeSlackApi. Incidents come from the scenario engine, stored like the analyzer does.
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type AppConfig } from '../../../src/config.js';
import { buildServer } from '../../../src/http/server.js';
import { createIngestQueue, type IngestQueue } from '../../../src/queue/ingest-queue.js';
import { IncidentStore } from '../../../src/store/incident-store.js';
import { FeedbackStore } from '../../../src/store/feedback-store.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import type { Logger } from '../../../src/telemetry/logger.js';
import type { Engine } from '../../../src/engine/engine.js';
import type { IncidentReport } from '../../../src/model/incident.js';
import { ActionRefStore } from '../../../src/slack/action-refs.js';
import { slackRoutes } from '../../../src/slack/fastify-receiver.js';
import { RedisRcaQueries } from '../../../src/slack/rca-queries.js';
import { ServiceOverviewStore } from '../../../src/slack/service-overview-store.js';
import { createSlackApp, type SlackApp, type SlackAppOptions } from '../../../src/slack/slack-app.js';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../../support/redis.js';
import { FakeSlackApi, type RecordedCall } from '../../support/fake-slack-api.js';
import { blockActionsBody, FORM, signedHeaders } from '../../support/signed-slack-request.js';

export const SIGNING_SECRET = 'test-signing-secret-1234';

/** A pino logger whose records the test can read. */
export function recordingLogger(level = 'info'): { logger: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) records.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, sink), records };
}

export interface SlackHarness {
  app: FastifyInstance;
  slack: SlackApp;
  fake: FakeSlackApi;
  redis: Redis;
  prefix: string;
  url: string;
  config: AppConfig;
  feedback: FeedbackStore;
  refs: ActionRefStore;
  overviews: ServiceOverviewStore;
  logs: Array<Record<string, unknown>>;
  /** Stores reports and engine snapshots the way the analyzer hook does. */
  store(engine: Engine, reports: IncidentReport[], now: number): Promise<void>;
  post(body: string, headers?: Record<string, string>, contentType?: string): Promise<Response>;
  close(): Promise<void>;
}

export async function startSlackHarness(name: string, extra: Partial<Pick<SlackAppOptions, 'proposeRemediation' | 'automationCommand' | 'onFeedback' | 'now'>> = {}): Promise<SlackHarness> {
  const prefix = uniquePrefix(name);
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
  const fake = await new FakeSlackApi().start();
  const { logger, records } = recordingLogger();
  const config: AppConfig = {
    ...loadConfig({ REDIS_URL: testRedisUrl(), LOG_LEVEL: 'silent' }),
    redisPrefix: prefix,
    host: '127.0.0.1',
    slack: { botToken: 'xoxb-test-token', signingSecret: SIGNING_SECRET, appToken: undefined, apiUrl: fake.apiUrl, incidentChannel: 'C0INCIDENTS' },
  };
  const ingestQueue: IngestQueue = createIngestQueue({ connection: redis, prefix });
  const feedback = new FeedbackStore(redis, prefix);
  const refs = new ActionRefStore(redis, prefix);
  const overviews = new ServiceOverviewStore(redis, prefix);
  const slack = createSlackApp({ config: config.slack, logger, queries: new RedisRcaQueries(redis, prefix), refs, feedback, ...extra })!;
  const app = buildServer({
    config,
    logger,
    metrics: createMetrics(),
    ingestQueue,
    incidentStore: new IncidentStore(redis, prefix),
    readiness: async () => ({ redis: true, workers: true }),
  });
  await app.register(slackRoutes, { receiver: slack.receiver! });
  await slack.start();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    app,
    slack,
    fake,
    redis,
    prefix,
    url,
    config,
    feedback,
    refs,
    overviews,
    logs: records,
    async store(engine, reports, now) {
      await new IncidentStore(redis, prefix).save(reports);
      await overviews.record(engine, reports, now);
    },
    post(body, headers, contentType = FORM) {
      return fetch(`${url}/slack/events`, { method: 'POST', headers: headers ?? signedHeaders(SIGNING_SECRET, body, contentType), body });
    },
    async close() {
      await app.close();
      await slack.stop();
      await ingestQueue.close();
      await fake.stop();
      await deleteKeys(redis, prefix);
      await redis.quit();
    },
  };
}

/** Response-url ids of clicks, unique in the process. */
let clicks = 0;

/** What a user does in Slack, as signed requests to the harness, and what the fake Slack API then recorded. */
export function slackUser(h: SlackHarness): {
  /** Clicks a button; returns the id of its response_url. */
  click(actionId: string, value: string, userId: string): Promise<string>;
  /** The body rcabot sent to a response_url, once it has. */
  respondedTo(id: string): Promise<Record<string, unknown>>;
  /** The first chat.postMessage after the first `after` ones that matches (other tests' late posts may interleave). */
  postAfter(after: number, match: (c: RecordedCall) => boolean): Promise<RecordedCall>;
} {
  return {
    async click(actionId, value, userId) {
      const id = `click-${++clicks}`;
      const res = await h.post(blockActionsBody({ actionId, value, userId, responseUrl: h.fake.responseUrl(id) }));
      if (res.status !== 200) throw new Error(`click ${actionId}: HTTP ${res.status}`);
      return id;
    },
    async respondedTo(id) {
      await h.fake.waitFor((c) => c.some((x) => x.path === `/response/${id}`));
      return h.fake.calls.find((x) => x.path === `/response/${id}`)!.params;
    },
    async postAfter(after, match) {
      const find = () => h.fake.callsTo('chat.postMessage').slice(after).find(match);
      await h.fake.waitFor(() => find() !== undefined);
      return find()!;
    },
  };
}
