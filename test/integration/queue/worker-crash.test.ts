import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createIngestQueue } from '../../../src/queue/ingest-queue.js';
import { startWorkers, type StateDelta } from '../../../src/queue/workers.js';
import { redisKeys } from '../../../src/store/keys.js';
import { AlertStore } from '../../../src/store/alert-store.js';
import { deleteKeys, newTestRedis, testRedisUrl, uniquePrefix } from '../../support/redis.js';
import { T0, alert } from '../store/alert-fixtures.js';
import { producerRedis, silentLogger, testMetrics, waitFor } from './queue-harness.js';

const admin = newTestRedis();
const prefix = uniquePrefix('worker-crash');
const JOBS = 400;
const PER_JOB = 25;

afterAll(async () => {
  await deleteKeys(admin, prefix);
  await admin.quit();
});

describe('a worker killed mid-batch', () => {
  it('has its jobs retried by another worker; state converges with every alert stored and told once', async () => {
    const producer = await producerRedis();
    const queue = createIngestQueue({ connection: producer, prefix });
    const all = Array.from({ length: JOBS * PER_JOB }, (_, i) => alert({ fingerprint: `fp${i}`, startsAt: T0 + i }));
    for (let j = 0; j < JOBS; j++) {
      await queue.enqueue({ type: 'alertmanager', event: { kind: 'alerts', receivedAt: T0, alerts: all.slice(j * PER_JOB, (j + 1) * PER_JOB) } });
    }
    await queue.close();
    await producer.quit();

    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./worker-child.ts', import.meta.url))], {
      env: { ...process.env, REDIS_URL: testRedisUrl(), CHILD_PREFIX: prefix },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
    expect(signal).toBe('SIGKILL');

    const keys = redisKeys(prefix);
    const committedByChild = await admin.hlen(keys.alerts.state);
    const activeAtDeath = await admin.llen(`${keys.queuePrefix('alerts')}:alerts:active`);
    expect(committedByChild).toBeGreaterThan(0);
    expect(committedByChild).toBeLessThan(JOBS * PER_JOB);
    expect(activeAtDeath).toBeGreaterThan(0);

    const metrics = testMetrics();
    const deltas: StateDelta[] = [];
    const workers = await startWorkers({
      connection: admin,
      prefix,
      logger: silentLogger,
      metrics,
      stalledIntervalMs: 300,
      onStateChange: (d) => deltas.push(d),
    });
    try {
      await waitFor(
        'every job completed',
        async () => (await admin.zcard(`${keys.queuePrefix('alerts')}:alerts:completed`)) === JOBS,
        15_000,
      );
    } finally {
      await workers.close();
    }
    // No job was acknowledged by the dead worker, so all run again; the batches it had committed were deleted
    // in the same atomic step, so their retries find nothing left to do: each alert is processed once over
    // both lives, none is taken for a duplicate, and the analyzer hears of every alert exactly once.
    expect(metrics.alertsProcessed.value).toBe(JOBS * PER_JOB - committedByChild);
    expect(metrics.alertsDeduplicated.value).toBe(0);
    expect(await admin.keys(`${keys.alerts.batch('*')}`)).toEqual([]);
    const told = deltas.flatMap((d) => d.alerts);
    expect(told.length).toBe(JOBS * PER_JOB - committedByChild);
    expect(await admin.hlen(keys.alerts.state)).toBe(JOBS * PER_JOB);
    const state = await new AlertStore(admin, prefix).openAndRecent(0);
    expect(state.sort((a, b) => a.startsAt - b.startsAt)).toEqual(all);
    expect(await admin.zcard(`${keys.queuePrefix('alerts')}:alerts:failed`)).toBe(0);
  });
});
