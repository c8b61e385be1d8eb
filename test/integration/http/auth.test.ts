import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IncidentStore } from '../../../src/store/incident-store.js';
import { startHarness, type Harness } from './server-harness.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/payloads');
const TOKEN = 'ingest-token-0123456789';
const GH_SECRET = 'github-webhook-secret';
const PD_SECRETS = ['pd-old-secret', 'pd-new-secret'];

const githubBody = readFileSync(join(FIXTURES, 'github/success-payload-service.json'));
const pagerdutyBody = readFileSync(join(FIXTURES, 'pagerduty/incident-triggered.json'));
const alertBody = JSON.stringify({ name: 'HighLatency', service: 'checkout' });

const ghSignature = (body: Buffer, secret = GH_SECRET) => 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
const pdSignature = (body: Buffer, secret: string) => 'v1=' + createHmac('sha256', secret).update(body).digest('hex');

describe('authentication', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('http-auth', {
      ingestToken: TOKEN,
      githubWebhookSecret: GH_SECRET,
      pagerdutyWebhookSecrets: PD_SECRETS,
    });
    await new IncidentStore(h.redis, h.prefix).save([]);
  });
  afterAll(async () => h.close());

  const post = (url: string, payload: string | Buffer, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload });

  it('answers 401 without a bearer token, with a WWW-Authenticate challenge', async () => {
    const res = await post('/webhooks/alerts', alertBody);
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.json()).toEqual({ error: 'missing Authorization: Bearer token', issues: [] });
  });

  it('answers 401 for a wrong token, a token of another length, and a non-bearer scheme', async () => {
    for (const auth of [`Bearer ${TOKEN.slice(0, -1)}x`, 'Bearer short', `Basic ${TOKEN}`, 'Bearer ']) {
      const res = await post('/webhooks/alerts', alertBody, { authorization: auth });
      expect(res.statusCode, auth).toBe(401);
    }
  });

  it('accepts the right token (scheme case-insensitive)', async () => {
    expect((await post('/webhooks/alerts', alertBody, { authorization: `Bearer ${TOKEN}` })).statusCode).toBe(202);
    expect((await post('/webhooks/alerts', alertBody, { authorization: `bearer ${TOKEN}` })).statusCode).toBe(202);
  });

  it('checks the token before reading the body', async () => {
    expect((await post('/webhooks/alerts', '{"name":')).statusCode).toBe(401);
    expect((await post('/webhooks/alerts', '{"nope":1}')).statusCode).toBe(401);
    const huge = await post('/webhooks/alerts', Buffer.alloc(h.config.bodyLimitBytes + 1, 0x20));
    expect(huge.statusCode).toBe(401);
  });

  it('protects /api with the same token but not the health endpoints', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/api/incidents' })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/api/incidents/x', headers: { authorization: 'Bearer nope' } })).statusCode).toBe(401);
    const ok = await h.app.inject({ method: 'GET', url: '/api/incidents', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ incidents: [] });
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

  it('accepts a GitHub delivery signed with the secret (no bearer token needed: GitHub cannot send one)', async () => {
    const res = await post('/webhooks/github', githubBody, {
      'x-github-event': 'deployment_status',
      'x-hub-signature-256': ghSignature(githubBody),
    });
    expect(res.statusCode).toBe(202);
    expect((res.json() as { accepted: number }).accepted).toBe(1);
  });

  it('answers 401 for a GitHub delivery with a missing, wrong-secret or tampered signature', async () => {
    const tampered = Buffer.from(githubBody.toString('utf8').replace('success', 'failure'));
    const cases: Array<[Buffer, string | undefined]> = [
      [githubBody, undefined],
      [githubBody, ghSignature(githubBody, 'other-secret')],
      [tampered, ghSignature(githubBody)],
      [githubBody, ghSignature(githubBody).replace('sha256=', 'sha1=')],
    ];
    for (const [body, sig] of cases) {
      const headers: Record<string, string> = { 'x-github-event': 'deployment_status', authorization: `Bearer ${TOKEN}` };
      if (sig) headers['x-hub-signature-256'] = sig;
      const res = await post('/webhooks/github', body, headers);
      expect(res.statusCode).toBe(401);
      expect((res.json() as { error: string }).error).toMatch(/X-Hub-Signature-256/);
    }
  });

  it('checks the GitHub signature on ping too', async () => {
    const ping = Buffer.from('{"zen":"Design for failure."}');
    expect((await post('/webhooks/github', ping, { 'x-github-event': 'ping' })).statusCode).toBe(401);
    expect((await post('/webhooks/github', ping, { 'x-github-event': 'ping', 'x-hub-signature-256': ghSignature(ping) })).statusCode).toBe(200);
  });

  it('accepts a PagerDuty delivery signed with any configured secret, including several signatures', async () => {
    for (const secret of PD_SECRETS) {
      const res = await post('/webhooks/pagerduty', pagerdutyBody, { 'x-pagerduty-signature': pdSignature(pagerdutyBody, secret) });
      expect(res.statusCode).toBe(202);
    }
    const both = `${pdSignature(pagerdutyBody, 'unknown')},${pdSignature(pagerdutyBody, PD_SECRETS[1]!)}`;
    expect((await post('/webhooks/pagerduty', pagerdutyBody, { 'x-pagerduty-signature': both })).statusCode).toBe(202);
  });

  it('answers 401 for a PagerDuty delivery without a valid signature, even with the bearer token', async () => {
    const cases = [undefined, pdSignature(pagerdutyBody, 'wrong'), 'v1=zz'];
    for (const sig of cases) {
      const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
      if (sig) headers['x-pagerduty-signature'] = sig;
      const res = await post('/webhooks/pagerduty', pagerdutyBody, headers);
      expect(res.statusCode).toBe(401);
    }
  });

  it('counts refused requests by reason', async () => {
    const text = await h.metrics.render();
    expect(text).toMatch(/^rcabot_ingest_rejected_total\{source="alert",reason="unauthorized"\} [1-9]/m);
    expect(text).toMatch(/^rcabot_ingest_rejected_total\{source="github.deployment_status",reason="bad_signature"\} 5$/m);
    expect(text).toMatch(/^rcabot_ingest_rejected_total\{source="pagerduty",reason="bad_signature"\} 3$/m);
  });
});

describe('without secrets configured', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('http-auth-open', { ingestToken: undefined, githubWebhookSecret: undefined, pagerdutyWebhookSecrets: [] });
  });
  afterAll(async () => h.close());

  it('accepts unsigned GitHub and PagerDuty deliveries and requests without a token', async () => {
    const gh = await h.app.inject({
      method: 'POST',
      url: '/webhooks/github',
      headers: { 'content-type': 'application/json', 'x-github-event': 'deployment_status' },
      payload: githubBody,
    });
    expect(gh.statusCode).toBe(202);
    const pd = await h.app.inject({ method: 'POST', url: '/webhooks/pagerduty', headers: { 'content-type': 'application/json' }, payload: pagerdutyBody });
    expect(pd.statusCode).toBe(202);
    expect((await h.app.inject({ method: 'GET', url: '/api/incidents' })).statusCode).toBe(200);
  });
});
