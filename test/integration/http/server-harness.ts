// Builds the real HTTP server over the real ingest queue and incident store on a unique Redis prefix.
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type AppConfig } from '../../../src/config.js';
import { buildServer } from '../../../src/http/server.js';
import type { ReadinessCheck } from '../../../src/http/health-routes.js';
import { createIngestQueue, readIngestJob, type IngestJob, type IngestQueue, type StoredIngestJob } from '../../../src/queue/ingest-queue.js';
import { IncidentStore } from '../../../src/store/incident-store.js';
import { redisKeys } from '../../../src/store/keys.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { createMetrics, type Metrics } from '../../../src/telemetry/metrics.js';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../../support/redis.js';

export interface Harness {
  app: FastifyInstance;
  config: AppConfig;
  metrics: Metrics;
  ingestQueue: IngestQueue;
  incidentStore: IncidentStore;
  redis: Redis;
  prefix: string;
  /** Every job waiting in a queue ('alerts' or 'traces'), in no particular order. */
  jobs(queue: 'alerts' | 'traces'): Promise<IngestJob[]>;
  close(): Promise<void>;
}

export async function startHarness(
  name: string,
  overrides: Partial<AppConfig> = {},
  readiness?: ReadinessCheck,
): Promise<Harness> {
  const prefix = uniquePrefix(name);
  // Same options as main.ts's HTTP connection.
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', () => resolve());
    redis.once('error', reject);
  });
  const config: AppConfig = {
    ...loadConfig({ REDIS_URL: testRedisUrl(), LOG_LEVEL: 'silent' }),
    redisPrefix: prefix,
    ...overrides,
  };
  const metrics = createMetrics();
  const ingestQueue = createIngestQueue({ connection: redis, prefix });
  const incidentStore = new IncidentStore(redis, prefix);
  metrics.setQueueWaitingSource(() => ingestQueue.waitingCounts());
  const app = buildServer({
    config,
    logger: createLogger({ logLevel: 'silent' }),
    metrics,
    ingestQueue,
    incidentStore,
    readiness: readiness ?? (async () => ({ redis: (await redis.ping()) === 'PONG', workers: true })),
  });
  await app.ready();
  const readers: Queue[] = [];
  return {
    app,
    config,
    metrics,
    ingestQueue,
    incidentStore,
    redis,
    prefix,
    async jobs(queue) {
      const q = new Queue(queue, { connection: redis, prefix: redisKeys(prefix).queuePrefix(queue) });
      readers.push(q);
      const jobs = await q.getWaiting(0, -1);
      return Promise.all(jobs.map((j) => readIngestJob(redis, j.data as StoredIngestJob)));
    },
    async close() {
      await app.close();
      await Promise.all(readers.map((q) => q.close()));
      await ingestQueue.close();
      await deleteKeys(redis, prefix);
      await redis.quit();
    },
  };
}
