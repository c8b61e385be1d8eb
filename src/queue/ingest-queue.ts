// The durable ingest queues: a route enqueues one job per request and answers 202 only once Redis has it.
//
// Two BullMQ queues: 'alerts' (alerts and changes: nothing may be lost, retried with backoff, failures kept)
// and 'traces' (span batches: high volume, a lost batch only blurs an aggregate). One job per request.
// Alerts are stored in the job already encoded for the alert store's script (StoredIngestJob): each alert
// is JSON-serialised once, here, and the worker hands the strings to Redis as they are (re-serialising in
// the worker cost ~3–5 µs per alert); other events are stored as they are.
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EventType, NormalizedEvent } from '../model/event.js';
import { decodeEncodedAlerts, encodeAlerts } from '../store/alert-store.js';
import { redisKeys } from '../store/keys.js';
import { AlertJobCoalescer, type StoredAlertsJob } from './alert-job-coalescer.js';

/** What a route queues: the normalised event of one request. */
export type IngestJob = { type: EventType; event: NormalizedEvent; traceContext?: Record<string, string> };

/** The data of a job in Redis: alert events pre-encoded for the alert store, other events as they are. */
export type StoredIngestJob =
  | StoredAlertsJob
  | { type: EventType; traceContext?: Record<string, string>; event: NormalizedEvent };

/** The stored form of a job (see StoredIngestJob). */
export function encodeIngestJob(job: IngestJob): StoredIngestJob {
  const { type, event, traceContext } = job;
  const head = traceContext ? { type, traceContext } : { type };
  if (event.kind === 'alerts') return { ...head, receivedAt: event.receivedAt, alerts: encodeAlerts(event.alerts) };
  return { ...head, event };
}

/** Back from the stored form (tests and inspection; the workers use the encoded alerts as they are). */
export function decodeIngestJob(data: StoredIngestJob): IngestJob {
  const head = data.traceContext ? { type: data.type, traceContext: data.traceContext } : { type: data.type };
  if ('event' in data) return { ...head, event: data.event };
  const positions = Array.from({ length: data.alerts.count }, (_, i) => i);
  return { ...head, event: { kind: 'alerts', receivedAt: data.receivedAt, alerts: decodeEncodedAlerts(data.alerts, positions) } };
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

  async function add(name: IngestQueueName, data: StoredIngestJob): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        queues[name].add(data.type, data, JOB_OPTIONS[name]),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer from Redis within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
  // Alert jobs of concurrent requests share one BullMQ job (see alert-job-coalescer.ts).
  const alertJobs = new AlertJobCoalescer((data) => add(ALERTS_QUEUE, data));

  return {
    async enqueue(job) {
      assertReady();
      const data = encodeIngestJob(job);
      try {
        if ('alerts' in data) await alertJobs.submit(data);
        else await add(queueNameFor(job), data);
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

