// Vitest global setup: make sure a Redis answers for the integration tests.
// Uses REDIS_URL (default redis://127.0.0.1:6379); if nothing answers there, starts a throwaway
// `redis-server` from PATH on a free port and points REDIS_URL at it; without one, stops with one line.
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}


let child: ChildProcess | undefined;

export async function setup(): Promise<void> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await answers(url)) {
    process.env.REDIS_URL = url;
    return;
  }
  const port = await freePort();
  child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const spawnFailed = await new Promise<boolean>((resolve) => {
    child!.once('error', () => resolve(true));
    setTimeout(() => resolve(false), 300);
  });
  const throwaway = `redis://127.0.0.1:${port}`;
  if (spawnFailed || !(await answers(throwaway))) {
    throw new Error(
      `No Redis at ${url} and no redis-server on PATH: install one (apt-get install redis-server) or set REDIS_URL.`,
    );
  }
  console.log(`[rcabot tests] no Redis at ${url}; started a throwaway redis-server at ${throwaway}`);
  process.env.REDIS_URL = throwaway;
}

export async function teardown(): Promise<void> {
  child?.kill('SIGTERM');
}
