import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { loadConfig, type AppConfig } from '../../../src/config.js';
import { startServer, type RunningServer } from '../../../src/main.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../../support/redis.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/payloads');
const logger = createLogger({ logLevel: 'silent' });

function configFor(redisUrl: string, prefix: string): AppConfig {
  return { ...loadConfig({ REDIS_URL: redisUrl, LOG_LEVEL: 'silent' }), redisPrefix: prefix, port: 0, host: '127.0.0.1' };
}

/** Polls `probe` until it returns true; fails after `ms`. Outcomes, not sleeps, decide. */
async function eventually(probe: () => Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function metricValue(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** A TCP proxy in front of the test Redis that can be cut and restored, to stage an outage. */
class RedisProxy {
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: URL) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(Number(this.target.port || 6379), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server?.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
    this.server = undefined;
  }
}

describe('server over a real port (fetch)', () => {
  const prefix = uniquePrefix('http-listen');
  let server: RunningServer;
  let base: string;
  let admin: Redis;
  beforeAll(async () => {
    admin = new Redis(testRedisUrl());
    server = await startServer(configFor(testRedisUrl(), prefix), { logger, handleSignals: false });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.close();
    await deleteKeys(admin, prefix);
    await admin.quit();
  });

  it('is ready once Redis answers and the workers run', async () => {
    await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, 10_000, '/readyz 200');
    const res = await fetch(`${base}/readyz`);
    expect(await res.json()).toEqual({ ready: true, checks: { redis: true, workers: true }, failed: [] });
  });

  it('queues an Alertmanager webhook, answers 202, and the workers process its alerts', async () => {
    const res = await fetch(`${base}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: readFileSync(join(FIXTURES, 'alertmanager/two-alerts-one-group.json')),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 2, rejected: [] });
    await eventually(async () => (await metricValue(base, 'rcabot_alerts_processed_total')) >= 2, 10_000, 'alerts processed');
    await eventually(async () => (await metricValue(base, 'rcabot_queue_waiting\\{queue="alerts"\\}')) === 0, 10_000, 'queue drained');
    // The analyzer (this process holds its lease) analysed them, and says so.
    await eventually(async () => (await metricValue(base, 'rcabot_analysis_duration_seconds_count')) >= 1, 10_000, 'analysed');
  });

  it('accepts gzip protobuf OTLP sent with chunked transfer encoding, like the OTLP exporter', async () => {
    const gz = gzipSync(readFileSync(join(FIXTURES, 'otlp/traces-1.pb')));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        // Two chunks and no Content-Length: the request goes out chunked.
        controller.enqueue(gz.subarray(0, 10));
        controller.enqueue(gz.subarray(10));
        controller.close();
      },
    });
    const res = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(202);
    expect(((await res.json()) as { accepted: number }).accepted).toBe(1);
  });

  it('answers 413 over the wire for an oversized body', async () => {
    const res = await fetch(`${base}/webhooks/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', summary: 'y'.repeat(6 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/too large/);
  });
});

describe('Redis outages', () => {
  it('answers 503 with Retry-After while Redis is unreachable from the start, and stays up', async () => {
    const server = await startServer(configFor('redis://127.0.0.1:1', uniquePrefix('http-dead')), {
      logger,
      handleSignals: false,
      redisConnectGraceMs: 200,
    });
    const base = `http://127.0.0.1:${server.port}`;
    try {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${base}/webhooks/alerts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'HighLatency', service: 'checkout' }),
        });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('5');
        expect(await res.json()).toEqual({ error: 'queue unavailable, retry later', issues: [] });
      }
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { failed: string[] }).failed).toEqual(['redis', 'workers']);
      const api = await fetch(`${base}/api/incidents`);
      expect(api.status).toBe(503);
      expect((await fetch(`${base}/metrics`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('goes from 202 to 503 when Redis goes away and back to 202 when it returns', async () => {
    const proxy = new RedisProxy(new URL(testRedisUrl()));
    await proxy.start();
    const prefix = uniquePrefix('http-outage');
    const server = await startServer(configFor(`redis://127.0.0.1:${proxy.port}`, prefix), { logger, handleSignals: false });
    const base = `http://127.0.0.1:${server.port}`;
    const post = () =>
      fetch(`${base}/webhooks/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'HighLatency', service: 'checkout' }),
      });
    const admin = new Redis(testRedisUrl());
    try {
      expect((await post()).status).toBe(202);
      await proxy.cut();
      await eventually(async () => (await post()).status === 503, 5000, '503 during the outage');
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(503);
      await proxy.start();
      await eventually(async () => (await post()).status === 202, 10_000, '202 after Redis returned');
      await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, 10_000, 'ready again');
    } finally {
      await server.close();
      await proxy.cut();
      await deleteKeys(admin, prefix);
      await admin.quit();
    }
  });
});
