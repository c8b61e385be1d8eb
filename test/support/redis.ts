// Redis for integration tests: one client per test file on its own key prefix, cleaned up afterwards.
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';

export function testRedisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** A unique key prefix for one test file, e.g. "test:ingest-3f2a1c:". */
export function uniquePrefix(name: string): string {
  return `test:${name}-${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key under the prefix (SCAN, not KEYS, so it is safe on a shared Redis). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

export function newTestRedis(): Redis {
  return new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
}
