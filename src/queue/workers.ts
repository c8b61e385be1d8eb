// The ingest workers: take jobs off the durable queues, persist alerts, changes and trace aggregates, report the delta.
//
// Alerts worker: BullMQ concurrency lets many jobs be active at once and AlertBatcher commits all of them
// in one Lua round trip, so throughput scales with load instead of with round trips. BullMQ fetches a worker's
// jobs one round trip at a time, each waiting in Redis behind the dedup scripts, so the alerts queue has two
// workers (fetch loops) feeding the one batcher: under a storm one loop fell behind the routes (docs/benchmarks.md).
// Traces worker: concurrency 1, because pairing a client span with its server span needs every span of a
// trace in one SpanPairer. To scale past one process, shard span batches by traceId over several 'traces'
// queues (one worker each), not by raising concurrency. Aggregates are flushed every ~2 s and on close; a
// crash loses at most those seconds of aggregates, which the design accepts (spans are samples anyway).
import { Worker, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { context, propagation, trace, SpanKind, SpanStatusCode, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Alert } from '../model/alert.js';
import type { Change } from '../model/change.js';
import type { SpanRecord } from '../model/span.js';
import type { TraceDelta } from '../model/trace-aggregate.js';
import { AlertStore } from '../store/alert-store.js';
import { ChangeStore } from '../store/change-store.js';
import { TraceAggregateStore } from '../store/trace-aggregate-store.js';
import { redisKeys } from '../store/keys.js';
import { SpanPairer, DEFAULT_PAIRING_WINDOW_MS } from '../traces/span-pairer.js';
import { AlertBatcher, type CommitResult } from './alert-batcher.js';
import { ALERTS_QUEUE, TRACES_QUEUE, type StoredIngestJob } from './ingest-queue.js';

/** What the analyzer is told after each commit: only what is new or changed after dedup. */
export interface StateDelta {
  alerts: Alert[];
  changes: Change[];
  traces: TraceDelta | null;
}

/** Structural counter, so prom-client's Counter fits and tests need no registry. */
export interface CounterLike {
  inc(n?: number): void;
}

export interface WorkerMetrics {
  alertsProcessed: CounterLike;
  alertsDeduplicated: CounterLike;
  spansAggregated: CounterLike;
}

/** What the traces worker needs of a pairer (src/traces/span-pairer.ts). */
export interface SpanPairerLike {
  add(spans: SpanRecord[], now: number): void;
  flush(now: number): TraceDelta;
}

export interface StartWorkersOptions {
  /** Any client to the Redis of the queues; the workers open their own duplicates and close them. */
  connection: Redis;
  prefix: string;
  /** Reserved: jobs carry events normalised at the route, so the workers do not read labels themselves. */
  serviceLabels?: readonly string[];
  logger: Logger;
  metrics?: WorkerMetrics;
  /** Called after each commit with what is new; exceptions are logged, never retried. */
  onStateChange?: (delta: StateDelta) => void;
  /** Alert jobs active at once (= most jobs per commit), shared by the fetch loops. Default 500. */
  alertsConcurrency?: number;
  /** BullMQ workers fetching alert jobs side by side into one batcher. Default ALERT_FETCH_LOOPS. */
  alertsFetchLoops?: number;
  /**
   * Whether this process consumes the traces queue (default true). With several replicas, leave it on in one:
   * a CLIENT span and its SERVER span consumed by different processes do not pair.
   */
  traces?: boolean;
  /** Trace aggregate flush period. Default 2000 ms. */
  traceFlushIntervalMs?: number;
  traceRetentionMs?: number;
  /** BullMQ lock duration; a killed worker's jobs are retried by another after this. Default 30 s. */
  lockDurationMs?: number;
  /** How often to look for jobs of dead workers. Default 30 s (BullMQ's). */
  stalledIntervalMs?: number;
  /** Pairer factory (tests); default new SpanPairer(). */
  createPairer?: () => SpanPairerLike;
  /** Clock for trace pairing windows, bucket retention and pruning; default Date.now. */
  now?: () => number;
  /** Retention of alert and change state; pruned every `pruneIntervalMs` (default 60 s) by every worker process. */
  retention?: Partial<RetentionOptions>;
  pruneIntervalMs?: number;
}

export interface RetentionOptions {
  /** Resolved alerts are kept this long after they end. Default 24 h. */
  resolvedAlertsMs: number;
  /** Firing alerts that started longer ago are dropped as stale (their resolve was lost). Default 7 days. */
  staleFiringMs: number;
  /** Changes are kept this long. Default 7 days. */
  changesMs: number;
}

export const DEFAULT_RETENTION: RetentionOptions = {
  resolvedAlertsMs: 24 * 3600_000,
  staleFiringMs: 7 * 24 * 3600_000,
  changesMs: 7 * 24 * 3600_000,
};

export interface IngestWorkers {
  running(): boolean;
  close(): Promise<void>;
}

const tracer = trace.getTracer('rcabot');
/** How many times a job may be found stalled (its worker died) before it is failed: alerts must not be lost. */
const MAX_STALLED = 5;
/**
 * Workers on the alerts queue. With one, rounds of the ingest bench were bound by its job fetches (acknowledged 66–84k
 * alerts/s, processed 48–51k); with two, alternating runs gave a better ratio to Alertmanager in 6 of 6 pairs.
 */
export const ALERT_FETCH_LOOPS = 2;
/** Unpersisted trace deltas kept for retry while Redis is down; older ones are dropped beyond this. */
const MAX_UNPERSISTED_DELTAS = 30;

export async function startWorkers(opts: StartWorkersOptions): Promise<IngestWorkers> {
  const { logger, metrics, onStateChange } = opts;
  const now = opts.now ?? Date.now;
  const keys = redisKeys(opts.prefix);
  // Worker connections must wait out outages (BullMQ requires maxRetriesPerRequest: null). Store commands
  // get a separate client that gives up after a few reconnects, so a job fails and is retried with backoff
  // rather than hanging on a dead socket.
  const workerRedis = opts.connection.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true });
  const storeRedis = opts.connection.duplicate({ maxRetriesPerRequest: 3, enableOfflineQueue: true });
  for (const c of [workerRedis, storeRedis]) c.on('error', (err: Error) => logger.debug({ err }, 'ingest worker Redis error'));

  const alertStore = new AlertStore(storeRedis, opts.prefix);
  const changeStore = new ChangeStore(storeRedis, opts.prefix);
  const traceStore = new TraceAggregateStore(storeRedis, opts.prefix, { retentionMs: opts.traceRetentionMs });

  function notify(delta: StateDelta): void {
    if (!onStateChange) return;
    try {
      onStateChange(delta);
    } catch (err) {
      logger.error({ err }, 'state change listener failed');
    }
  }

  const onCommit = (r: CommitResult): void => {
    metrics?.alertsProcessed.inc(r.processed);
    if (r.duplicates > 0) metrics?.alertsDeduplicated.inc(r.duplicates);
    if (r.fresh.length > 0 || r.freshChanges.length > 0) notify({ alerts: r.fresh, changes: r.freshChanges, traces: null });
  };
  const batcher = new AlertBatcher(alertStore, changeStore, onCommit, onStateChange !== undefined);

  const common = {
    connection: workerRedis,
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    maxStalledCount: MAX_STALLED,
  };

  const fetchLoops = Math.max(1, opts.alertsFetchLoops ?? ALERT_FETCH_LOOPS);
  const alertsWorkers = Array.from({ length: fetchLoops }, (_, i) => new Worker<StoredIngestJob>(
    ALERTS_QUEUE,
    (job) =>
      withJobSpan(job, async () => {
        const data = job.data;
        if (!('event' in data)) await batcher.submit(data.batch, []);
        else if (data.event.kind === 'changes') await batcher.submit(null, data.event.changes);
        else throw new UnrecoverableError(`alerts queue got a '${data.event.kind}' event`);
      }),
    { ...common, prefix: keys.queuePrefix(ALERTS_QUEUE), concurrency: Math.ceil((opts.alertsConcurrency ?? 500) / fetchLoops), autorun: false, name: `alerts-${i + 1}` },
  ));

  const pairer = opts.createPairer?.() ?? new SpanPairer();
  // Pairing needs a trace's CLIENT and SERVER spans in one process: with several replicas, one consumes traces.
  const tracesWorker = opts.traces === false ? null : new Worker<StoredIngestJob>(
    TRACES_QUEUE,
    (job) =>
      withJobSpan(job, async () => {
        const data = job.data;
        if (!('event' in data)) throw new UnrecoverableError(`traces queue got an 'alerts' event`);
        const { event } = data;
        if (event.kind !== 'spans') throw new UnrecoverableError(`traces queue got a '${event.kind}' event`);
        pairer.add(event.spans, now());
        metrics?.spansAggregated.inc(event.spans.length);
      }),
    { ...common, prefix: keys.queuePrefix(TRACES_QUEUE), concurrency: 1, autorun: false },
  );

  for (const [name, w] of [
    ...alertsWorkers.map((w) => [ALERTS_QUEUE, w] as const),
    ...(tracesWorker ? [[TRACES_QUEUE, tracesWorker] as const] : []),
  ] as const) {
    w.on('error', (err) => logger.error({ err, queue: name }, 'ingest worker error'));
    w.on('failed', (job, err) =>
      logger.warn({ err, queue: name, jobId: job?.id, attemptsMade: job?.attemptsMade }, 'ingest job failed'),
    );
  }

  // Trace flushing: deltas that could not be written are retried on the next tick (persist is all-or-nothing).
  const unpersisted: TraceDelta[] = [];
  let flushing: Promise<void> = Promise.resolve();
  function flushTraces(at: number): Promise<void> {
    flushing = flushing.then(async () => {
      const delta = pairer.flush(at);
      if (delta.edges.length > 0 || delta.services.length > 0) unpersisted.push(delta);
      if (unpersisted.length > MAX_UNPERSISTED_DELTAS) {
        unpersisted.splice(0, unpersisted.length - MAX_UNPERSISTED_DELTAS);
        logger.warn('trace aggregates dropped: Redis unreachable for too long');
      }
      while (unpersisted.length > 0) {
        const next = unpersisted[0]!;
        try {
          await traceStore.persist(next, now());
        } catch (err) {
          logger.warn({ err }, 'trace aggregate flush failed; will retry');
          return;
        }
        unpersisted.shift();
        notify({ alerts: [], changes: [], traces: next });
      }
    });
    return flushing;
  }
  const flushTimer = setInterval(() => void flushTraces(now()), opts.traceFlushIntervalMs ?? 2000);
  flushTimer.unref();

  // Retention: each call removes a bounded number, so a backlog is worked off over a few ticks. Running it in
  // every worker process is harmless (the scripts are idempotent) and needs no leader.
  const retention = { ...DEFAULT_RETENTION, ...opts.retention };
  const pruneTimer = setInterval(() => {
    const t = now();
    Promise.all([
      alertStore.prune(t - retention.resolvedAlertsMs, t - retention.staleFiringMs),
      changeStore.prune(t - retention.changesMs),
    ]).then(
      ([alerts, changes]) => {
        if (alerts + changes > 0) logger.info({ alerts, changes }, 'pruned expired state');
      },
      (err: unknown) => logger.warn({ err }, 'pruning expired state failed'),
    );
  }, opts.pruneIntervalMs ?? 60_000);
  pruneTimer.unref();

  for (const w of alertsWorkers) void w.run().catch((err: unknown) => logger.error({ err }, 'alerts worker stopped'));
  void tracesWorker?.run().catch((err: unknown) => logger.error({ err }, 'traces worker stopped'));
  await Promise.all([...alertsWorkers.map((w) => w.waitUntilReady()), tracesWorker?.waitUntilReady()]);

  let closed = false;
  return {
    running: () => !closed && alertsWorkers.every((w) => w.isRunning()) && (tracesWorker?.isRunning() ?? true),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(flushTimer);
      clearInterval(pruneTimer);
      // Finish active jobs first (their commits included), then settle every span still waiting for its pair.
      await Promise.all([...alertsWorkers.map((w) => w.close()), tracesWorker?.close()]);
      await batcher.idle();
      await flushTraces(now() + DEFAULT_PAIRING_WINDOW_MS + 1);
      await Promise.all([workerRedis.quit().catch(() => {}), storeRedis.quit().catch(() => {})]);
    },
  };
}

/** Runs a job's processing inside a consumer span that continues the trace of the HTTP request. */
function withJobSpan(job: Job<StoredIngestJob>, fn: () => Promise<void>): Promise<void> {
  const parent = job.data.traceContext ? propagation.extract(ROOT_CONTEXT, job.data.traceContext) : context.active();
  return tracer.startActiveSpan(
    `process ${job.queueName}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'bullmq',
        'messaging.destination.name': job.queueName,
        'messaging.message.id': job.id ?? '',
        'rcabot.event.type': job.data.type,
      },
    },
    parent,
    async (span) => {
      try {
        await fn();
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
