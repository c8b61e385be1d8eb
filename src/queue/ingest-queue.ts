// The durable ingest queues: a route enqueues one job per request and answers 202 only once Redis has it.
//
// Two BullMQ queues: 'alerts' (alerts and changes: nothing may be lost, retried with backoff, failures kept)
// and 'traces' (span batches: high volume, a lost batch only blurs an aggregate). One job per request.
// Alerts go by reference: the route encodes them once (encodeAlerts), writes the batch under its own key
// (AlertStore.writeBatch) and then adds a job that carries only that key. The worker's script reads the
// batch inside Redis and deletes it in the same atomic step as it applies it, so the alerts cross the
// Node↔Redis socket once on the way in, with no JSON escaping into job data (carrying them in the job cost
// an escape, a fetch, an unescape and a second upload per alert). Other events are stored in the job.
import { randomUUID } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Alert } from '../model/alert.js';
import type { EventType, NormalizedEvent } from '../model/event.js';
import { AlertStore, decodeAlertsPayload, encodeAlerts } from '../store/alert-store.js';
import { redisKeys } from '../store/keys.js';
import { AlertJobCoalescer, type PendingAlertsJob } from './alert-job-coalescer.js';

/** What a route queues: the normalised event of one request. */
export type IngestJob = { type: EventType; event: NormalizedEvent; traceContext?: Record<string, string> };

/** The data of an alerts job in Redis: where its batch is (AlertStore.writeBatch) and how many alerts it holds. */
export interface QueuedAlertsJob {
  type: EventType;
  traceContext?: Record<string, string>;
  receivedAt: number;
  batch: { key: string; count: number };
}

/** The data of a job in Redis: alerts by reference, other events as they are. */
export type StoredIngestJob = QueuedAlertsJob | { type: EventType; traceContext?: Record<string, string>; event: NormalizedEvent };

/**
 * A queued job as the route submitted it (tests and inspection; the workers never parse alerts back). An
 * alerts job whose batch was applied already (its key is gone) reads as an empty batch.
 */
export async function readIngestJob(redis: Redis, data: StoredIngestJob): Promise<IngestJob> {
  const head = data.traceContext ? { type: data.type, traceContext: data.traceContext } : { type: data.type };
  if ('event' in data) return { ...head, event: data.event };
  const payload = await redis.get(data.batch.key);
  const alerts: Alert[] = payload === null ? [] : decodeAlertsPayload(payload);
  return { ...head, event: { kind: 'alerts', receivedAt: data.receivedAt, alerts } };
}

export const ALERTS_QUEUE = 'alerts';
export const TRACES_QUEUE = 'traces';
export type IngestQueueName = typeof ALERTS_QUEUE | typeof TRACES_QUEUE;

export interface IngestQueue {
  /** Resolves once the job is in Redis; rejects with QueueUnavailableError when it cannot be queued. */
  enqueue(job: IngestJob): Promise<void>;
  /** Jobs not yet processed (waiting, prioritized, or delayed for a retry), by queue name. */
  waitingCounts(): Promise<Record<string, number>>;
  /** Closes the queues; the connection passed in stays open (its owner quits it). */
  close(): Promise<void>;
}

/** Enqueue failed because Redis is unreachable (or too slow to answer): the sender should retry (HTTP 503). */
export class QueueUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QueueUnavailableError';
  }
}

/** Completed jobs kept for inspection, per queue (count-bounded so Redis memory stays flat). */
const KEEP_COMPLETED = 1000;
/** Failed jobs kept (after all attempts) so an operator can retry them; bounded by count and age. */
const KEEP_FAILED = { count: 50_000, age: 7 * 24 * 3600 };
/** A queued alert batch outlives its job's retries and its time among the failed jobs (KEEP_FAILED). */
const BATCH_TTL_MS = (KEEP_FAILED.age + 24 * 3600) * 1000;

export const JOB_OPTIONS: Record<IngestQueueName, JobsOptions> = {
  // Alert/change processing fails only on transient Redis trouble; 10 attempts with exponential backoff
  // from 500 ms ride out about 4 minutes of outage before a job is parked in 'failed'.
  [ALERTS_QUEUE]: {
    attempts: 10,
    backoff: { type: 'exponential', delay: 500 },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  },
  [TRACES_QUEUE]: {
    attempts: 3,
    backoff: { type: 'exponential', delay: 500 },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: { count: 1000 },
  },
};

/** Which queue a job goes to: spans to 'traces', alerts and changes to 'alerts'. */
export function queueNameFor(job: IngestJob): IngestQueueName {
  return job.event.kind === 'spans' ? TRACES_QUEUE : ALERTS_QUEUE;
}

export interface CreateIngestQueueOptions {
  /**
   * Shared client, created with `enableOfflineQueue: false` so that commands fail at once while Redis is
   * down instead of piling up in memory.
   */
  connection: Redis;
  prefix: string;
  /**
   * Upper bound for one enqueue, for a Redis that accepts the connection but does not answer. Default 5 s.
   * A timed-out add may still land; the sender's retry is then a duplicate, which the alert dedup absorbs.
   */
  enqueueTimeoutMs?: number;
}

export function createIngestQueue(opts: CreateIngestQueueOptions): IngestQueue {
  const { connection } = opts;
  const alertStore = new AlertStore(connection, opts.prefix);
  const keys = redisKeys(opts.prefix);
  const timeoutMs = opts.enqueueTimeoutMs ?? 5000;
  const queues: Record<IngestQueueName, Queue> = {
    [ALERTS_QUEUE]: new Queue(ALERTS_QUEUE, { connection, prefix: keys.queuePrefix(ALERTS_QUEUE) }),
    [TRACES_QUEUE]: new Queue(TRACES_QUEUE, { connection, prefix: keys.queuePrefix(TRACES_QUEUE) }),
  };
  // Connection errors surface through enqueue's rejection and the connection owner's own listener; an
  // 'error' event without a listener would crash the process.
  for (const q of Object.values(queues)) q.on('error', () => {});

  // BullMQ waits (without limit) for a connection that is not ready yet, so check first: down means now.
  function assertReady(): void {
    if (connection.status !== 'ready') {
      throw new QueueUnavailableError(`Redis unavailable (connection ${connection.status})`);
    }
  }

  function withinTimeout(work: Promise<unknown>): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from Redis within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }
  function add(name: IngestQueueName, data: StoredIngestJob): Promise<unknown> {
    return withinTimeout(queues[name].add(data.type, data, JOB_OPTIONS[name]));
  }
  // The batch is written before the job that names it exists: a worker that finds the key missing may
  // then rely on it having been applied already. A batch whose job never got added expires. The SET and the
  // add go out back to back on the one connection the queue shares, so Redis runs them in that order without
  // a round trip between them; if the SET fails the request fails (503), and a job added without its batch
  // applies nothing.
  async function addAlerts(pending: PendingAlertsJob): Promise<void> {
    const { alerts, ...head } = pending;
    const id = randomUUID();
    const written = withinTimeout(alertStore.writeBatch(id, alerts, BATCH_TTL_MS));
    await Promise.all([written, add(ALERTS_QUEUE, { ...head, batch: { key: alertStore.batchKey(id), count: alerts.count } })]);
  }
  // Alert jobs of concurrent requests share one BullMQ job (see alert-job-coalescer.ts).
  const alertJobs = new AlertJobCoalescer(addAlerts);

  return {
    async enqueue(job) {
      assertReady();
      const { type, event, traceContext } = job;
      const head = traceContext ? { type, traceContext } : { type };
      try {
        if (event.kind === 'alerts') await alertJobs.submit({ ...head, receivedAt: event.receivedAt, alerts: encodeAlerts(event.alerts) });
        else await add(queueNameFor(job), { ...head, event });
      } catch (err) {
        throw new QueueUnavailableError(`could not queue the ${job.type} payload: ${(err as Error).message}`, {
          cause: err,
        });
      }
    },

    async waitingCounts() {
      assertReady();
      const out: Record<string, number> = {};
      await Promise.all(
        (Object.keys(queues) as IngestQueueName[]).map(async (name) => {
          const c = await queues[name].getJobCounts('wait', 'prioritized', 'delayed');
          out[name] = (c.wait ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0);
        }),
      );
      return out;
    },

    async close() {
      await Promise.all(Object.values(queues).map((q) => q.close()));
    },
  };
}

