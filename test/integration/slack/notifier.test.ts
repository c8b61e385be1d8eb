import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { IncidentReport } from '../../../src/model/incident.js';
import { FeedbackStore } from '../../../src/store/feedback-store.js';
import { ActionRefStore } from '../../../src/slack/action-refs.js';
import { describeIncidentContext, type IncidentContext } from '../../../src/slack/incident-context.js';
import { IncidentNotifier } from '../../../src/slack/notifier.js';
import { createSlackWebClient } from '../../../src/slack/slack-app.js';
import { renderBlocksAsText } from '../../../src/slack/render/blocks-as-text.js';
import type { Block } from '../../../src/slack/render/block-kit.js';
import { FakeSlackApi } from '../../support/fake-slack-api.js';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../../support/redis.js';
import { expectWithinBlockKitLimits } from '../../unit/slack/block-limits.js';
import { buildScenarioEngine, NOW } from './slack-scenario.js';
import { recordingLogger } from './slack-harness.js';

let redis: Redis;
let fake: FakeSlackApi;
let prefix: string;
let notifier: IncidentNotifier;
let logs: Array<Record<string, unknown>>;
let report: IncidentReport;
let ctx: IncidentContext;

beforeAll(async () => {
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
  fake = await new FakeSlackApi().start();
  const engine = buildScenarioEngine();
  report = engine.analyze(NOW)[0]!;
  ctx = describeIncidentContext(engine, report, NOW);
});
afterAll(async () => {
  await fake.stop();
  await redis.quit();
});

function makeNotifier(coalesceMs: number): IncidentNotifier {
  const rec = recordingLogger();
  logs = rec.records;
  const config = { botToken: 'xoxb-test-token', signingSecret: 's', appToken: undefined, apiUrl: fake.apiUrl, incidentChannel: 'C0INCIDENTS' };
  const n = new IncidentNotifier({
    redis,
    prefix,
    client: createSlackWebClient(config, rec.logger),
    channel: 'C0INCIDENTS',
    refs: new ActionRefStore(redis, prefix),
    feedback: new FeedbackStore(redis, prefix),
    logger: rec.logger,
    now: () => NOW,
    coalesceMs,
    limiter: { max: 50, duration: 1000 },
    attempts: 3,
  });
  n.startWorker();
  return n;
}

beforeEach(() => {
  prefix = uniquePrefix('slack-notifier');
  fake.reset();
  notifier = makeNotifier(200);
});
afterEach(async () => {
  await notifier.close();
  await deleteKeys(redis, prefix);
});

const contexts = (r: IncidentReport, c: IncidentContext = ctx) => new Map([[r.id, c]]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The message state is saved right after Slack answers; wait for it. */
async function stateOf(id: string, not?: string) {
  for (let i = 0; i < 100; i++) {
    const s = await notifier.messageState(id);
    if (s && s.ts !== not) return s;
    await sleep(30);
  }
  throw new Error(`no message state for ${id}`);
}
const blocksOf = (i: number, method: string) => fake.callsTo(method)[i]!.params.blocks as Block[];

describe('IncidentNotifier', () => {
  it('posts a new incident once, then updates that same message in place', async () => {
    await notifier.notify([report], contexts(report));
    await fake.waitFor((c) => c.some((x) => x.method === 'chat.postMessage'));
    const posted = fake.callsTo('chat.postMessage')[0]!;
    expect(posted.params.channel).toBe('C0INCIDENTS');
    expect(posted.token).toBe('xoxb-test-token');
    expectWithinBlockKitLimits(blocksOf(0, 'chat.postMessage'));
    expect(renderBlocksAsText(blocksOf(0, 'chat.postMessage'))).toContain('1. payments-db');
    const state = await stateOf(report.id);

    const grown = { ...ctx, firingAlerts: 4, alertNames: [...ctx.alertNames, { name: 'PodCrashLooping', count: 1 }] };
    await notifier.notify([report], contexts(report, grown));
    await fake.waitFor((c) => c.some((x) => x.method === 'chat.update'));
    const update = fake.callsTo('chat.update')[0]!;
    expect(update.params.ts).toBe(state!.ts);
    expect(update.params.channel).toBe('C0INCIDENTS');
    expect(renderBlocksAsText(blocksOf(0, 'chat.update'))).toContain('4 firing');
    await sleep(400);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(1); // never a second top-level post
  });

  it('coalesces a burst of changes into one update carrying the latest state, and ignores repeats', async () => {
    await notifier.notify([report], contexts(report));
    await fake.waitFor((c) => c.some((x) => x.method === 'chat.postMessage'));
    await stateOf(report.id);
    // A coalescing window far longer than the burst takes, so the test does not depend on timing.
    await notifier.close();
    notifier = makeNotifier(1500);
    for (let i = 1; i <= 20; i++) {
      await notifier.notify([report], contexts(report, { ...ctx, firingAlerts: 3 + i }));
      await notifier.notify([report], contexts(report, { ...ctx, firingAlerts: 3 + i })); // repeat: no job
    }
    await fake.waitFor((c) => c.some((x) => x.method === 'chat.update'));
    await sleep(1700);
    const updates = fake.callsTo('chat.update');
    expect(updates).toHaveLength(1);
    expect(renderBlocksAsText(blocksOf(0, 'chat.update'))).toContain('23 firing');
  });

  it('posts a new top suspect, the resolution, and an incident open again to the thread', async () => {
    await notifier.notify([report], contexts(report));
    await fake.waitFor((c) => c.some((x) => x.method === 'chat.postMessage'));
    const ts = (await stateOf(report.id)).ts;

    const reranked: IncidentReport = { ...report, rootCauses: [report.rootCauses[1]!, report.rootCauses[0]!, ...report.rootCauses.slice(2)] };
    await notifier.notify([reranked], contexts(reranked));
    await fake.waitFor((c) => c.filter((x) => x.method === 'chat.postMessage').length === 2);
    const note = fake.callsTo('chat.postMessage')[1]!;
    expect(note.params.thread_ts).toBe(ts);
    expect(note.params.text).toBe('New top suspect: payments — score 0.44 (was payments-db)');

    const resolved: IncidentReport = { ...reranked, status: 'resolved' };
    await notifier.notify([resolved], contexts(resolved, { ...ctx, resolvedAt: NOW }));
    await fake.waitFor((c) => c.filter((x) => x.method === 'chat.postMessage').length === 3);
    expect(fake.callsTo('chat.postMessage')[2]!.params.thread_ts).toBe(ts);
    expect(fake.callsTo('chat.postMessage')[2]!.params.text).toContain('Resolved at 09:06 UTC');
    expect(renderBlocksAsText(blocksOf(1, 'chat.update')).split('\n')[0]).toContain('RESOLVED');

    // A flapping alert fires again as the same episode (decision 032): the incident is open again, and the thread says so.
    await notifier.notify([reranked], contexts(reranked));
    await fake.waitFor((c) => c.filter((x) => x.method === 'chat.postMessage').length === 4);
    expect(fake.callsTo('chat.postMessage')[3]!.params.thread_ts).toBe(ts);
    expect(fake.callsTo('chat.postMessage')[3]!.params.text).toMatch(/^Open again at \d\d:\d\d UTC: an alert of this incident fired again soon after it resolved\.$/);
    expect(renderBlocksAsText(blocksOf(2, 'chat.update')).split('\n')[0]).not.toContain('RESOLVED');
  });

  it('does not post an incident first seen already resolved', async () => {
    await notifier.notify([{ ...report, status: 'resolved' }], contexts(report));
    await sleep(700);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('honours 429 Retry-After before trying again', async () => {
    fake.fail('chat.postMessage', { status: 429, retryAfter: 1 });
    await notifier.notify([report], contexts(report));
    await fake.waitFor((c) => c.filter((x) => x.method === 'chat.postMessage').length === 2, 8000);
    const [limited, ok] = fake.callsTo('chat.postMessage');
    expect(limited!.status).toBe(429);
    expect(ok!.status).toBe(200);
    expect(ok!.at - limited!.at).toBeGreaterThanOrEqual(950);
    expect(logs.some((r) => r.msg === 'Slack rate limit: pausing sends for Retry-After' && r.retryAfterMs === 1000)).toBe(true);
    expect((await stateOf(report.id)).ts).toMatch(/^\d+\.\d{6}$/);
  });

  it('logs an ok:false error no retry can fix, drops that send, and keeps serving other incidents', async () => {
    fake.fail('chat.postMessage', { error: 'channel_not_found' });
    await notifier.notify([report], contexts(report));
    await fake.waitFor((c) => c.some((x) => x.method === 'chat.postMessage'));
    await sleep(1500);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(1); // not retried
    const err = logs.find((r) => r.msg === 'Slack refused the incident message; not retrying');
    expect(err).toMatchObject({ incidentId: report.id, slackError: 'channel_not_found', level: 50 });
    expect(await notifier.messageState(report.id)).toBeNull();

    const other: IncidentReport = { ...report, id: 'inc-other0000001' };
    await notifier.notify([other], contexts(other));
    await fake.waitFor((c) => c.filter((x) => x.method === 'chat.postMessage').length === 2);
    expect(fake.callsTo('chat.postMessage')[1]!.status).toBe(200);
  });

  it('retries a transient ok:false error (internal_error) and then succeeds', async () => {
    fake.fail('chat.postMessage', { error: 'internal_error' });
    await notifier.notify([report], contexts(report));
    await fake.waitFor((c) => c.filter((x) => x.method === 'chat.postMessage').length === 2, 8000);
    expect(fake.callsTo('chat.postMessage')[1]!.status).toBe(200);
    expect((await stateOf(report.id)).ts).toMatch(/^\d+\.\d{6}$/);
  });

  it('posts a new message when the old one was deleted (message_not_found on update)', async () => {
    await notifier.notify([report], contexts(report));
    await fake.waitFor((c) => c.some((x) => x.method === 'chat.postMessage'));
    const first = (await stateOf(report.id)).ts;
    fake.fail('chat.update', { error: 'message_not_found' });
    await notifier.notify([report], contexts(report, { ...ctx, firingAlerts: 9 }));
    await fake.waitFor((c) => c.filter((x) => x.method === 'chat.postMessage').length === 2);
    const state = await stateOf(report.id, first);
    expect(state.ts).not.toBe(first);
  });

  it('keeps a 500-alert incident message within Block Kit limits', async () => {
    const services = Array.from({ length: 100 }, (_, i) => `svc-${i}`);
    const huge: IncidentReport = { ...report, id: 'inc-huge00000001', alerts: Array.from({ length: 500 }, (_, i) => `fp-${i}`), services };
    const hugeCtx: IncidentContext = { ...ctx, incidentId: huge.id, firingAlerts: 500, alertNames: Array.from({ length: 10 }, (_, i) => ({ name: `A${i}`, count: 50 })) };
    await notifier.notify([huge], new Map([[huge.id, hugeCtx]]));
    await fake.waitFor((c) => c.some((x) => x.method === 'chat.postMessage'));
    expect(fake.callsTo('chat.postMessage')[0]!.status).toBe(200);
    const blocks = blocksOf(0, 'chat.postMessage');
    expectWithinBlockKitLimits(blocks);
    expect(renderBlocksAsText(blocks)).toContain('500 firing');
    expect(renderBlocksAsText(blocks)).toContain('and 92 more');
  });
});
