// Benchmark of the ingest path behind the HTTP ack: enqueue → alerts worker → deduplicated state in Redis.
// Closed-loop producers send batches of distinct alerts; we time until every alert is in state.
// Run directly: `npx tsx bench/ingest.bench.ts` (REDIS_URL, default redis://127.0.0.1:6379; keys under a
// throwaway prefix, deleted afterwards). To measure through the HTTP server instead, pass `send` (one call
// per batch, e.g. a POST to /webhooks/alerts) and keep the rest: completion is still read from Redis.
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Alert } from '../src/model/alert.js';
import { createIngestQueue } from '../src/queue/ingest-queue.js';
import { startWorkers } from '../src/queue/workers.js';
import { redisKeys } from '../src/store/keys.js';
import { deleteKeys } from '../test/support/redis.js';

export interface IngestBenchOptions {
  redisUrl?: string;
  /** Distinct alerts sent in total. */
  alerts?: number;
  batchSize?: number;
  /** Concurrent closed-loop producers (each waits for its ack before sending the next batch). */
  producers?: number;
  /** BullMQ concurrency of the alerts worker (= most jobs per Redis commit). */
  workerConcurrency?: number;
  /** Sends one batch; default: enqueue on the ingest queue like the HTTP routes do. */
  send?: (alerts: Alert[]) => Promise<void>;
  /**
   * Key prefix; default a fresh throwaway one. With `inProcessWorkers: false` something else (another
   * process running startWorkers on this prefix, or the server under test) must drain the queue.
   */
  prefix?: string;
  inProcessWorkers?: boolean;
}

const LABEL_SETS = 40;

/**
 * Alerts shaped like normalised Alertmanager ones (6 labels, a summary); distinct fingerprints. Made per
 * batch while sending, as a route would, so the bench does not keep every alert alive (a large live heap
 * would make every GC slower and charge that to the ingest path).
 */
function makeAlerts(from: number, n: number, t0: number): Alert[] {
  const out: Alert[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const i = from + k;
    const service = `svc-${i % LABEL_SETS}`;
    out[k] = {
      fingerprint: i.toString(16).padStart(16, '0'),
      service,
      name: 'HighErrorRate',
      severity: i % 5 === 0 ? 'critical' : 'warning',
      status: 'firing',
      labels: {
        alertname: 'HighErrorRate',
        service,
        namespace: 'prod',
        pod: `${service}-7d9f8b6c5-${(i % 1000).toString(36)}`,
        severity: i % 5 === 0 ? 'critical' : 'warning',
        team: 'payments',
      },
      summary: `5xx ratio above 5% on ${service}`,
      startsAt: t0 + (i % 60_000),
      endsAt: null,
      source: 'alertmanager',
    };
  }
  return out;
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

export async function runIngestBench(options: IngestBenchOptions = {}): Promise<Record<string, number>> {
  const url = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const total = options.alerts ?? 300_000;
  const batchSize = options.batchSize ?? 50;
  const producers = options.producers ?? 64;
  const prefix = options.prefix ?? `bench:ingest-${randomUUID().slice(0, 8)}:`;
  const keys = redisKeys(prefix);

  const producer = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const admin = new Redis(url, { maxRetriesPerRequest: null });
  await new Promise((r) => producer.once('ready', r));
  const queue = createIngestQueue({ connection: producer, prefix });
  const send =
    options.send ??
    ((alerts: Alert[]) => queue.enqueue({ type: 'alertmanager', event: { kind: 'alerts', receivedAt: Date.now(), alerts } }));

  let processed = 0;
  let commits = 0;
  const workers = options.inProcessWorkers === false ? null : await startWorkers({
    connection: admin,
    prefix,
    logger: pino({ level: 'warn' }),
    alertsConcurrency: options.workerConcurrency,
    metrics: { alertsProcessed: { inc: (n = 1) => void (processed += n) }, alertsDeduplicated: { inc() {} }, spansAggregated: { inc() {} } },
    onStateChange: () => void commits++,
  });

  const t0 = Date.parse('2026-10-14T09:00:00Z');
  const batchCount = Math.ceil(total / batchSize);
  const latencies = new Float64Array(batchCount);

  let maxWaiting = 0;
  const sampler = setInterval(() => {
    queue.waitingCounts().then((c) => (maxWaiting = Math.max(maxWaiting, c.alerts ?? 0)), () => {});
  }, 100);

  const redisCpu0 = await redisCpuSeconds(admin);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: producers }, async () => {
      while (next < batchCount) {
        const i = next++;
        const batch = makeAlerts(i * batchSize, Math.min(batchSize, total - i * batchSize), t0);
        const t = performance.now();
        await send(batch);
        latencies[i] = performance.now() - t;
      }
    }),
  );
  const enqueuedAt = performance.now();
  if (workers) {
    while (processed < total) await new Promise((r) => setTimeout(r, 5));
  } else {
    while ((await admin.hlen(keys.alerts.state)) < total) await new Promise((r) => setTimeout(r, 5));
  }
  const doneAt = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const redisCpu = (await redisCpuSeconds(admin)) - redisCpu0;
  clearInterval(sampler);

  const stored = await admin.hlen(keys.alerts.state);
  await workers?.close();
  await queue.close();
  await deleteKeys(admin, prefix);
  await Promise.all([producer.quit(), admin.quit()]);

  latencies.sort();
  return {
    alerts: total,
    batchSize,
    producers,
    alertsStored: stored,
    sustainedAlertsPerSec: Math.round(total / ((doneAt - start) / 1000)),
    enqueueAlertsPerSec: Math.round(total / ((enqueuedAt - start) / 1000)),
    enqueueP50Ms: round(quantile(latencies, 0.5), 2),
    enqueueP99Ms: round(quantile(latencies, 0.99), 2),
    drainAfterLastAckMs: round(doneAt - enqueuedAt),
    maxWaitingJobs: maxWaiting,
    alertsPerCommit: workers ? round(total / Math.max(commits, 1)) : 0,
    // CPU per alert, wall-clock free: what to compare across runs on a busy machine. The Redis figure
    // counts every client of that Redis, so use a private one for it (REDIS_URL).
    nodeCpuUsPerAlert: round((cpu.user + cpu.system) / total, 2),
    redisCpuUsPerAlert: round((redisCpu * 1e6) / total, 2),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await runIngestBench();
  console.table(Object.entries(results).map(([measure, value]) => ({ measure, value })));
}
