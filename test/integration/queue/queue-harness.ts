// Shared pieces of the queue integration tests: connections like the server's, counters, polling.
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { testRedisUrl } from '../../support/redis.js';
import type { WorkerMetrics } from '../../../src/queue/workers.js';

export const silentLogger = pino({ level: 'silent' });

/** A producer connection as the HTTP server makes it: fail at once while Redis is down. */
export async function producerRedis(url = testRedisUrl()): Promise<Redis> {
  const r = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  r.on('error', () => {});
  if (r.status !== 'ready') await new Promise((resolve) => r.once('ready', resolve));
  return r;
}

export class TestCounter {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
}

export function testMetrics(): WorkerMetrics & { alertsProcessed: TestCounter; alertsDeduplicated: TestCounter; spansAggregated: TestCounter } {
  return { alertsProcessed: new TestCounter(), alertsDeduplicated: new TestCounter(), spansAggregated: new TestCounter() };
}

/** Polls until `check` returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
