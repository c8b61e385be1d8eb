// The rcabot server under test, in its own process so its CPU and memory are measured alone.
// Configured from the environment like `rcabot serve`; reports its port, answers CPU/memory probes over IPC.
// BENCH_INGEST_ONLY=1 wires only HTTP + queue + workers (no analyzer, no Slack), to tell the ingest path's
// own cost from the analyzer's, which runs in the same process under startServer.
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { loadConfig, type AppConfig } from '../../src/config.js';
import { buildServer } from '../../src/http/server.js';
import { startServer } from '../../src/main.js';
import { createIngestQueue } from '../../src/queue/ingest-queue.js';
import { startWorkers } from '../../src/queue/workers.js';
import { IncidentStore } from '../../src/store/incident-store.js';
import { createLogger, type Logger } from '../../src/telemetry/logger.js';
import { createMetrics } from '../../src/telemetry/metrics.js';

/** HTTP + ingest queue + workers as main.ts wires them, without the analyzer. */
async function startIngestOnly(config: AppConfig, logger: Logger): Promise<{ port: number; close(): Promise<void> }> {
  const metrics = createMetrics();
  const clientRedis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 });
  await new Promise((r) => clientRedis.once('ready', r));
  const ingestQueue = createIngestQueue({ connection: clientRedis, prefix: config.redisPrefix });
  metrics.setQueueWaitingSource(() => ingestQueue.waitingCounts());
  // Exactly as main.ts: no in-process state-change listener (the analyzer reads the delta streams), so commits do
  // not parse the fresh alerts back.
  const workers = await startWorkers({ connection: clientRedis, prefix: config.redisPrefix, serviceLabels: config.serviceLabels, traces: config.tracesWorker, logger, metrics });
  const app = buildServer({
    config,
    logger,
    metrics,
    ingestQueue,
    incidentStore: new IncidentStore(clientRedis, config.redisPrefix),
    readiness: async () => ({ redis: true, workers: workers.running() }),
  });
  await app.listen({ port: 0, host: config.host });
  return {
    port: (app.server.address() as AddressInfo).port,
    async close() {
      await app.close();
      await workers.close();
      await ingestQueue.close();
      await clientRedis.quit();
    },
  };
}

// PORT 0 (any free port) is not a valid PORT for a deployment, so it is set after validation.
const config = { ...loadConfig({ ...process.env, PORT: undefined }), port: 0 };
const logger = createLogger(config);
const server = process.env.BENCH_INGEST_ONLY === '1' ? await startIngestOnly(config, logger) : await startServer(config, { logger, handleSignals: false });

process.on('message', (msg: { kind: string }) => {
  if (msg.kind === 'memory') {
    const m = process.memoryUsage();
    process.send!({ kind: 'memory', rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external });
  } else if (msg.kind === 'cpu') {
    const c = process.cpuUsage();
    process.send!({ kind: 'cpu', us: c.user + c.system });
  } else if (msg.kind === 'close') {
    void server.close().then(() => process.exit(0));
  }
});
process.send!({ kind: 'ready', port: server.port });
