import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createIngestQueue, readIngestJob, QueueUnavailableError, queueNameFor } from '../../../src/queue/ingest-queue.js';
import { startWorkers } from '../../../src/queue/workers.js';
import { AlertStore } from '../../../src/store/alert-store.js';
import { deleteKeys, newTestRedis, uniquePrefix } from '../../support/redis.js';
import { T0, alert } from '../store/alert-fixtures.js';
import { producerRedis, silentLogger, testMetrics, waitFor } from './queue-harness.js';
import { freePort, ThrowawayRedis } from './throwaway-redis.js';

const admin = newTestRedis();
const prefix = uniquePrefix('ingest-queue');

afterAll(async () => {
  await deleteKeys(admin, prefix);
  await admin.quit();
});

const alertsJob = (fps: string[]) =>
  ({ type: 'alertmanager', event: { kind: 'alerts', receivedAt: T0, alerts: fps.map((f) => alert({ fingerprint: f })) } }) as const;

describe('createIngestQueue', () => {
  it('routes spans to the traces queue and alerts and changes to the alerts queue', () => {
    expect(queueNameFor(alertsJob(['a']))).toBe('alerts');
    expect(queueNameFor({ type: 'deploy', event: { kind: 'changes', receivedAt: T0, changes: [] } })).toBe('alerts');
    expect(queueNameFor({ type: 'otlp', event: { kind: 'spans', receivedAt: T0, spans: [] } })).toBe('traces');
  });

  it('queues jobs on a connection without offline queue, under hash-tagged keys, and counts them waiting', async () => {
    const producer = await producerRedis();
    const queue = createIngestQueue({ connection: producer, prefix });
    try {
      await queue.enqueue(alertsJob(['a', 'b']));
      await queue.enqueue(alertsJob(['c']));
      await queue.enqueue({ type: 'otlp', event: { kind: 'spans', receivedAt: T0, spans: [] } });
      expect(await queue.waitingCounts()).toEqual({ alerts: 2, traces: 1 });
      expect(await admin.llen(`${prefix}{q-alerts}:alerts:wait`)).toBe(2);
      const [id] = await admin.lrange(`${prefix}{q-alerts}:alerts:wait`, -1, -1);
      const data = JSON.parse((await admin.hget(`${prefix}{q-alerts}:alerts:${id}`, 'data'))!);
      // Alerts go by reference: the job names a batch key in the alerts' hash slot, holding both alerts.
      expect(data).toMatchObject({ type: 'alertmanager', receivedAt: T0, batch: { count: 2 } });
      expect(data.batch.key).toMatch(new RegExp(`^${prefix}\\{alerts\\}:batch:`));
      expect(await admin.pttl(data.batch.key)).toBeGreaterThan(7 * 24 * 3600_000);
      expect(await readIngestJob(admin, data)).toEqual(alertsJob(['a', 'b']));
    } finally {
      await queue.close();
    }
    // The caller's connection stays open: its owner quits it.
    expect(await producer.ping()).toBe('PONG');
    await producer.quit();
  });

  it('rejects at once with QueueUnavailableError when Redis has never been reachable', async () => {
    const port = await freePort();
    const down = new Redis(`redis://127.0.0.1:${port}`, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    down.on('error', () => {});
    const queue = createIngestQueue({ connection: down, prefix });
    try {
      const t = performance.now();
      await expect(queue.enqueue(alertsJob(['x']))).rejects.toBeInstanceOf(QueueUnavailableError);
      expect(performance.now() - t).toBeLessThan(500);
      await expect(queue.waitingCounts()).rejects.toBeInstanceOf(QueueUnavailableError);
    } finally {
      await queue.close();
      down.disconnect();
    }
  });

  it('fails fast while Redis is down, works again once it is back, and loses no acknowledged job', async () => {
    const redis = await ThrowawayRedis.start();
    const producer = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    producer.on('error', () => {});
    await new Promise((r) => producer.once('ready', r));
    const queue = createIngestQueue({ connection: producer, prefix: 'rcabot' });
    const acked: string[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        await queue.enqueue(alertsJob([`before-${i}`]));
        acked.push(`before-${i}`);
      }
      await redis.kill();
      await waitFor('producer to notice', () => producer.status !== 'ready');
      const t = performance.now();
      await expect(queue.enqueue(alertsJob(['during']))).rejects.toBeInstanceOf(QueueUnavailableError);
      expect(performance.now() - t).toBeLessThan(500);

      await redis.restart();
      await waitFor('producer to reconnect', () => producer.status === 'ready');
      for (let i = 0; i < 20; i++) {
        await queue.enqueue(alertsJob([`after-${i}`]));
        acked.push(`after-${i}`);
      }

      const metrics = testMetrics();
      const workers = await startWorkers({ connection: producer, prefix: 'rcabot', logger: silentLogger, metrics });
      try {
        await waitFor('40 alerts processed', () => metrics.alertsProcessed.value === 40);
      } finally {
        await workers.close();
      }
      const state = await new AlertStore(producer, 'rcabot').openAndRecent(0);
      expect(state.map((a) => a.fingerprint).sort()).toEqual([...acked].sort());
    } finally {
      await queue.close();
      producer.disconnect();
      await redis.destroy();
    }
  });
});
