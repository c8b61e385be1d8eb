import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { HttpExecutor } from '../../../src/remediation/executors/http.js';
import { planHttp } from '../../../src/remediation/plan.js';
import { RemediationService } from '../../../src/remediation/remediation-service.js';
import { deleteKeys, newTestRedis, uniquePrefix } from '../../support/redis.js';
import { alice, bob, incident, must, runbook, T0, waitForState } from './harness.js';

interface Hit {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const hits: Hit[] = [];
let answers: number[] = [];
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hits.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const code = answers.shift() ?? 200;
      if (code === 0) return; // never answer: exercises the timeout
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: code }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function argoRunbook(idempotent: boolean, timeoutMs = 2000) {
  return runbook({
    id: 'argo-sync',
    action: {
      type: 'http',
      method: 'POST',
      url: `${base}/api/v1/applications/{app}/sync`,
      headers: { Authorization: { secret: 'ARGOCD_TOKEN', prefix: 'Bearer ' } },
      body: { prune: false, name: '{app}' },
      idempotent,
      timeoutMs,
      params: { app: { from: 'rootCause.service' } },
    },
    guardrails: { maxRunsPerTargetPerHour: 10 },
  });
}

const secrets = (name: string) => (name === 'ARGOCD_TOKEN' ? 's3cret' : undefined);

describe('HttpExecutor', () => {
  it('sends the planned request with the secret filled in; the plan shows it redacted', async () => {
    hits.length = 0;
    const rb = argoRunbook(true);
    if (rb.action.type !== 'http') throw new Error('type');
    const step = planHttp(rb.action, { app: 'checkout' });
    expect(step.headers.Authorization).toBe('Bearer ${secret:ARGOCD_TOKEN}');
    expect(step.body).toEqual({ prune: false, name: 'checkout' });
    const r = await new HttpExecutor({ secret: secrets }).run(step);
    expect(r).toMatchObject({ ok: true, status: 200 });
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ method: 'POST', url: '/api/v1/applications/checkout/sync', body: '{"prune":false,"name":"checkout"}' });
    expect(hits[0]!.headers.authorization).toBe('Bearer s3cret');
  });

  it('retries an idempotent call after 503 and a timeout, but never a non-idempotent one', async () => {
    const exec = new HttpExecutor({ secret: secrets, retries: 2, retryDelayMs: 10 });
    const rbI = argoRunbook(true, 300);
    const rbN = argoRunbook(false, 300);
    if (rbI.action.type !== 'http' || rbN.action.type !== 'http') throw new Error('type');

    hits.length = 0;
    answers = [503, 0, 200];
    expect(await exec.run(planHttp(rbI.action, { app: 'a' }))).toMatchObject({ ok: true, status: 200 });
    expect(hits).toHaveLength(3);

    hits.length = 0;
    answers = [503, 200];
    const r = await exec.run(planHttp(rbN.action, { app: 'a' }));
    expect(r).toMatchObject({ ok: false, status: 503 });
    expect(hits).toHaveLength(1);
    answers = [];
  });

  it('does not send when a secret is missing', async () => {
    hits.length = 0;
    const rb = argoRunbook(true);
    if (rb.action.type !== 'http') throw new Error('type');
    const r = await new HttpExecutor({ secret: () => undefined }).run(planHttp(rb.action, { app: 'x' }));
    expect(r.ok).toBe(false);
    expect(r.detail).toContain('ARGOCD_TOKEN');
    expect(hits).toHaveLength(0);
  });

  it('happy path through the service: approve, the call is made once, the outcome recorded', async () => {
    const redis: Redis = newTestRedis();
    const prefix = uniquePrefix('remediation-http');
    hits.length = 0;
    const service = new RemediationService({
      redis,
      prefix,
      runbooks: [argoRunbook(true)],
      executors: { http: new HttpExecutor({ secret: secrets }) },
      getIncident: async (id) => (id === 'inc-h' ? incident('inc-h', 'checkout') : null),
      admins: [],
      clock: () => T0,
    });
    try {
      service.startWorker();
      const p = must(await service.propose('inc-h', 'argo-sync', alice));
      expect(p.target).toBe(`${base}/api/v1/applications/checkout/sync`);
      const dry = must(await service.dryRun(p.id, bob));
      expect(dry.plan.steps[0]).toMatchObject({ kind: 'http', method: 'POST' });
      expect(hits).toHaveLength(0);
      must(await service.approve(p.id, bob));
      const done = await waitForState(service, p.id, ['succeeded', 'failed']);
      expect(done.state).toBe('succeeded');
      expect(hits).toHaveLength(1);
      expect(done.outcome?.detail[0]).toContain('200');
    } finally {
      await service.close();
      await deleteKeys(redis, prefix);
      await redis.quit();
    }
  });
});
