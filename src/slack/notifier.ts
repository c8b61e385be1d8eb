// Incident messages in the incident channel: posted once, then updated in place (chat.update) as alerts join or
// resolve and the ranking changes; a new top suspect and the resolution go to the message's thread.
//
// No message storms: the notifier stores the latest report per incident and enqueues a delayed send job whose
// id is deterministic (incident + content digest), so repeats collapse; the job renders whatever is latest
// when it runs, and skips when that was already sent. Jobs go through one rate-limited BullMQ worker; a 429
// pauses the whole queue for Retry-After. Slack errors that retrying cannot fix (ok:false channel_not_found,
// not_in_channel, invalid_auth, …) are logged once and dropped.
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { webApi } from '@slack/bolt';
import type { IncidentReport } from '../model/incident.js';
import { stableHash } from '../model/stable-hash.js';
import { redisKeys } from '../store/keys.js';
import type { FeedbackStore } from '../store/feedback-store.js';
import type { Logger } from '../telemetry/logger.js';
import { ActionRefs, type ActionRefStore } from './action-refs.js';
import type { IncidentContext } from './incident-context.js';
import { renderChannelMessage } from './render/channel-message.js';
import { renderThreadNote, type ThreadNote } from './render/thread-notes.js';
import { slackKeys } from './slack-keys.js';

export const SLACK_SEND_QUEUE = 'slack-send';

interface SendJob {
  incidentId: string;
}

interface LatestIncident {
  report: IncidentReport;
  context: IncidentContext | null;
}

/** What we know of the incident's message in Slack (Redis, so a restart keeps updating the same message). */
export interface MessageState {
  channel: string;
  ts: string;
  /** Digest of the inputs last rendered into the message. */
  digest: string;
  topSuspect: string | null;
  status: 'open' | 'resolved';
  /** Thread notes decided but not yet sent (survive a 429 or a crash between update and note). */
  pendingNotes: ThreadNote[];
}

export interface NotifierOptions {
  /** Client for the notifier's own keys. */
  redis: Redis;
  prefix: string;
  client: webApi.WebClient;
  channel: string;
  refs: ActionRefStore;
  feedback: FeedbackStore;
  logger: Logger;
  now?: () => number;
  /** How long a send waits so that changes arriving meanwhile ride along (default 2000 ms). */
  coalesceMs?: number;
  /** Sends per window across the queue (default 1 per 1100 ms: Slack allows about one message a second per channel). */
  limiter?: { max: number; duration: number };
  /** Attempts per send for transient failures (default 6, exponential backoff from 1 s). */
  attempts?: number;
}

/** ok:false errors that no retry can fix: report once, do not retry. */
const PERMANENT_SLACK_ERRORS = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'missing_scope',
  'no_permission',
  'invalid_blocks',
  'invalid_blocks_format',
  'msg_too_long',
  'too_many_attachments',
  'restricted_action',
  'ekm_access_denied',
]);
/** chat.update errors meaning the message is gone or frozen: post a new one instead. */
const REPOST_ERRORS = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed']);

export type SlackFailure = { kind: 'rate-limited'; retryAfterMs: number } | { kind: 'permanent'; error: string } | { kind: 'transient'; error: string };

export function classifySlackError(err: unknown): SlackFailure {
  const e = err as { code?: string; retryAfter?: number; data?: { error?: string }; message?: string };
  if (e.code === 'slack_webapi_rate_limited_error') return { kind: 'rate-limited', retryAfterMs: Math.max(1, e.retryAfter ?? 1) * 1000 };
  if (e.code === 'slack_webapi_platform_error') {
    const error = e.data?.error ?? 'unknown_error';
    return PERMANENT_SLACK_ERRORS.has(error) ? { kind: 'permanent', error } : { kind: 'transient', error };
  }
  return { kind: 'transient', error: e.message ?? String(err) };
}

function slackErrorCode(err: unknown): string | undefined {
  const e = err as { code?: string; data?: { error?: string } };
  return e.code === 'slack_webapi_platform_error' ? e.data?.error : undefined;
}

/** BullMQ job ids may not contain ':'. */
function jobSafe(id: string): string {
  return id.replace(/:/g, '_');
}

export class IncidentNotifier {
  private readonly queue: Queue<SendJob>;
  private worker: Worker<SendJob> | undefined;
  private workerRedis: Redis | undefined;
  private readonly keys;
  private readonly now: () => number;
  /** Last input digest enqueued per incident: unchanged reports cost nothing (not even a Redis write). */
  private readonly enqueued = new Map<string, string>();
  private readonly log: Logger;

  constructor(private readonly o: NotifierOptions) {
    this.keys = slackKeys(o.prefix);
    this.now = o.now ?? Date.now;
    this.log = o.logger.child({ component: 'slack-notifier' });
    this.queue = new Queue<SendJob>(SLACK_SEND_QUEUE, { connection: o.redis, prefix: redisKeys(o.prefix).queuePrefix(SLACK_SEND_QUEUE) });
  }

  /** Hands the latest analysis over: changed incidents get a (coalesced) send. Cheap when nothing changed. */
  async notify(reports: readonly IncidentReport[], contexts: ReadonlyMap<string, IncidentContext>): Promise<number> {
    const changed: Array<{ id: string; digest: string; json: string }> = [];
    for (const report of reports) {
      const latest: LatestIncident = { report, context: contexts.get(report.id) ?? null };
      const json = JSON.stringify(latest);
      const digest = stableHash(json);
      if (this.enqueued.get(report.id) === digest) continue;
      changed.push({ id: report.id, digest, json });
    }
    if (changed.length === 0) return 0;
    const pipeline = this.o.redis.pipeline();
    for (const c of changed) pipeline.hset(this.keys.latest, c.id, c.json);
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0];
    await this.queue.addBulk(changed.map((c) => ({ name: 'send', data: { incidentId: c.id }, opts: this.jobOptions(`send-${jobSafe(c.id)}-${c.digest}`) })));
    for (const c of changed) this.enqueued.set(c.id, c.digest);
    return changed.length;
  }

  /** Re-renders one incident's message (after feedback) without a new analysis. */
  async refresh(incidentId: string): Promise<void> {
    await this.queue.add('send', { incidentId }, this.jobOptions(`refresh-${jobSafe(incidentId)}-${this.now()}`, 0));
  }

  private jobOptions(jobId: string, delay = this.o.coalesceMs ?? 2000) {
    return {
      jobId,
      delay,
      attempts: this.o.attempts ?? 6,
      backoff: { type: 'exponential' as const, delay: 1000 },
      removeOnComplete: true,
      removeOnFail: { count: 1000 },
    };
  }

  /** Starts the one sending worker (run it where the analyzer runs). */
  startWorker(): void {
    if (this.worker) return;
    this.workerRedis = this.o.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true });
    this.worker = new Worker<SendJob>(SLACK_SEND_QUEUE, (job) => this.process(job), {
      connection: this.workerRedis,
      prefix: redisKeys(this.o.prefix).queuePrefix(SLACK_SEND_QUEUE),
      concurrency: 1, // post-then-update order per incident, and one stream of calls to Slack
      limiter: this.o.limiter ?? { max: 1, duration: 1100 },
    });
    this.worker.on('failed', (job, err) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) this.log.error({ err, incidentId: job.data.incidentId, jobId: job.id }, 'Slack send given up');
    });
    this.worker.on('error', (err) => this.log.error({ err }, 'Slack send worker error'));
  }

  async messageState(incidentId: string): Promise<MessageState | null> {
    const raw = await this.o.redis.hget(this.keys.messages, incidentId);
    return raw === null ? null : (JSON.parse(raw) as MessageState);
  }

  private async saveState(incidentId: string, state: MessageState): Promise<void> {
    await this.o.redis.hset(this.keys.messages, incidentId, JSON.stringify(state));
  }

  /** One send: render the latest state of the incident and bring its Slack message (and thread) up to date. */
  async process(job: Job<SendJob>): Promise<string> {
    const { incidentId } = job.data;
    try {
      return await this.sync(incidentId);
    } catch (err) {
      const failure = classifySlackError(err);
      if (failure.kind === 'rate-limited') {
        this.log.warn({ incidentId, retryAfterMs: failure.retryAfterMs }, 'Slack rate limit: pausing sends for Retry-After');
        await this.queue.rateLimit(failure.retryAfterMs);
        throw Worker.RateLimitError();
      }
      if (failure.kind === 'permanent') {
        this.log.error({ incidentId, slackError: failure.error, channel: this.o.channel }, 'Slack refused the incident message; not retrying');
        throw new UnrecoverableError(`Slack error ${failure.error}`);
      }
      this.log.warn({ incidentId, error: failure.error, attempt: job.attemptsMade + 1 }, 'Slack send failed; will retry');
      throw err;
    }
  }

  private async sync(incidentId: string): Promise<string> {
    const raw = await this.o.redis.hget(this.keys.latest, incidentId);
    if (raw === null) return 'gone';
    const { report, context } = JSON.parse(raw) as LatestIncident;
    const [confirmation, rejected, existing] = await Promise.all([
      this.o.feedback.confirmedRootCause(incidentId),
      this.o.feedback.rejectedServices(incidentId),
      this.messageState(incidentId),
    ]);
    let state = existing;
    // The digest covers the inputs, not the rendering: ages in the text tick every minute and are no reason to edit.
    const digest = stableHash(JSON.stringify({ report, context, confirmation, rejected }));
    const top = report.rootCauses[0]?.service ?? null;
    let outcome = 'unchanged';

    if (!state) {
      if (report.status === 'resolved') return 'skipped-resolved'; // never posted while open: no news now
      const rendered = this.render(report, context, confirmation, rejected);
      await this.o.refs.save(rendered.refs);
      const res = await this.o.client.chat.postMessage({ channel: this.o.channel, text: rendered.text, blocks: rendered.blocks, unfurl_links: false });
      state = { channel: res.channel ?? this.o.channel, ts: res.ts!, digest, topSuspect: top, status: report.status, pendingNotes: [] };
      await this.saveState(incidentId, state);
      this.log.info({ incidentId, ts: state.ts }, 'incident posted to Slack');
      return 'posted';
    }

    if (state.digest !== digest) {
      const rendered = this.render(report, context, confirmation, rejected);
      await this.o.refs.save(rendered.refs);
      try {
        await this.o.client.chat.update({ channel: state.channel, ts: state.ts, text: rendered.text, blocks: rendered.blocks });
        outcome = 'updated';
      } catch (err) {
        const code = slackErrorCode(err);
        if (!code || !REPOST_ERRORS.has(code)) throw err;
        const res = await this.o.client.chat.postMessage({ channel: this.o.channel, text: rendered.text, blocks: rendered.blocks, unfurl_links: false });
        this.log.warn({ incidentId, slackError: code, ts: res.ts }, 'incident message could not be updated; posted a new one');
        state = { ...state, channel: res.channel ?? this.o.channel, ts: res.ts! };
        outcome = 'reposted';
      }
      const notes: ThreadNote[] = [];
      if (top !== null && top !== state.topSuspect) notes.push({ kind: 'new-top-suspect', previous: state.topSuspect });
      if (report.status === 'resolved' && state.status !== 'resolved') notes.push({ kind: 'resolved' });
      if (report.status === 'open' && state.status === 'resolved') notes.push({ kind: 'reopened' });
      state = { ...state, digest, topSuspect: top, status: report.status, pendingNotes: [...state.pendingNotes, ...notes] };
      await this.saveState(incidentId, state);
    }

    while (state.pendingNotes.length > 0) {
      const note = renderThreadNote(state.pendingNotes[0]!, report, context, this.now());
      await this.o.client.chat.postMessage({ channel: state.channel, thread_ts: state.ts, text: note.text, blocks: note.blocks, unfurl_links: false });
      state = { ...state, pendingNotes: state.pendingNotes.slice(1) };
      await this.saveState(incidentId, state);
      outcome = outcome === 'unchanged' ? 'noted' : outcome;
    }
    return outcome;
  }

  private render(report: IncidentReport, context: IncidentContext | null, confirmation: Awaited<ReturnType<FeedbackStore['confirmedRootCause']>>, rejected: string[]) {
    const refs = new ActionRefs();
    const m = renderChannelMessage({ report, context, confirmation, rejected, now: this.now(), refs });
    return { ...m, refs };
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    await this.workerRedis?.quit().catch(() => this.workerRedis?.disconnect());
  }
}
