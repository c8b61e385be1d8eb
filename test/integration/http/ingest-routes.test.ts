import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, deflateSync } from 'node:zlib';
import type { EventType } from '../../../src/model/event.js';
import { ingestSources } from '../../../src/ingest/registry.js';
import { DEFAULT_SERVICE_LABELS } from '../../../src/ingest/source.js';
import { startHarness, type Harness } from './server-harness.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/payloads');

/** Fixture folder → endpoint and event type (CONTRACT §1). */
const SOURCES: Array<{ dir: string; url: string; type: EventType; headers?: Record<string, string> }> = [
  { dir: 'alertmanager', url: '/webhooks/alertmanager', type: 'alertmanager' },
  { dir: 'grafana', url: '/webhooks/grafana', type: 'grafana' },
  { dir: 'pagerduty', url: '/webhooks/pagerduty', type: 'pagerduty' },
  { dir: 'datadog', url: '/webhooks/datadog', type: 'datadog' },
  { dir: 'alert', url: '/webhooks/alerts', type: 'alert' },
  { dir: 'otlp', url: '/v1/traces', type: 'otlp' },
  { dir: 'deploy', url: '/webhooks/deploy', type: 'deploy' },
  { dir: 'github', url: '/webhooks/github', type: 'github.deployment_status', headers: { 'x-github-event': 'deployment_status' } },
  { dir: 'argocd', url: '/webhooks/argocd', type: 'argocd' },
];

const fixtureCases = SOURCES.flatMap((s) =>
  readdirSync(join(FIXTURES, s.dir))
    .filter((f) => f.endsWith('.json'))
    .map((file) => ({ ...s, file, body: readFileSync(join(FIXTURES, s.dir, file)) })),
);

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('ingest endpoints', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('http-ingest');
  });
  afterAll(async () => h.close());

  it('has at least one fixture for every event type', () => {
    expect(new Set(fixtureCases.map((c) => c.type)).size).toBe(SOURCES.length);
  });

  it.each(fixtureCases.map((c) => [`${c.dir}/${c.file}`, c] as const))('accepts %s and queues one job when it has items', async (_n, c) => {
    const before = await h.ingestQueue.waitingCounts();
    const res = await h.app.inject({ method: 'POST', url: c.url, headers: { ...JSON_HEADERS, ...c.headers }, payload: c.body });
    expect(res.statusCode).toBe(202);
    const body = res.json() as { accepted: number; rejected: unknown[] };
    // The route must report what the source's own parser makes of the same bytes.
    const expected = ingestSources[c.type].parse(JSON.parse(c.body.toString('utf8')), {
      serviceLabels: DEFAULT_SERVICE_LABELS,
      receivedAt: 0,
    });
    expect(expected.ok).toBe(true);
    expect(body).toEqual({ accepted: expected.ok ? expected.accepted : -1, rejected: expected.ok ? expected.rejected : [] });
    const after = await h.ingestQueue.waitingCounts();
    const queued = Object.values(after).reduce((a, b) => a + b, 0) - Object.values(before).reduce((a, b) => a + b, 0);
    expect(queued).toBe(body.accepted > 0 ? 1 : 0);
  });

  it('queues the normalised event of an Alertmanager group as one job on the alerts queue', async () => {
    const body = readFileSync(join(FIXTURES, 'alertmanager/two-alerts-one-group.json'));
    const before = new Set((await h.jobs('alerts')).map((j) => JSON.stringify(j)));
    const res = await h.app.inject({ method: 'POST', url: '/webhooks/alertmanager', headers: JSON_HEADERS, payload: body });
    expect(res.json()).toEqual({ accepted: 2, rejected: [] });
    const added = (await h.jobs('alerts')).filter((j) => !before.has(JSON.stringify(j)));
    expect(added).toHaveLength(1);
    const job = added[0]!;
    expect(job.type).toBe('alertmanager');
    expect(job.event.kind).toBe('alerts');
    if (job.event.kind === 'alerts') expect(job.event.alerts).toHaveLength(2);
  });

  it('accepts OTLP protobuf, plain and gzip-compressed, like the JSON export of the same spans', async () => {
    for (const i of [0, 1, 2, 3]) {
      const pb = readFileSync(join(FIXTURES, `otlp/traces-${i}.pb`));
      const plain = await h.app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/x-protobuf' }, payload: pb });
      expect(plain.statusCode).toBe(202);
      const gz = await h.app.inject({
        method: 'POST',
        url: '/v1/traces',
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
        payload: gzipSync(pb),
      });
      expect(gz.statusCode).toBe(202);
      const json = await h.app.inject({ method: 'POST', url: '/v1/traces', headers: JSON_HEADERS, payload: readFileSync(join(FIXTURES, `otlp/traces-${i}.json`)) });
      expect(plain.json()).toEqual(json.json());
      expect(gz.json()).toEqual(json.json());
      expect((plain.json() as { accepted: number }).accepted).toBeGreaterThan(0);
    }
    const traces = await h.jobs('traces');
    expect(traces.every((j) => j.type === 'otlp' && j.event.kind === 'spans')).toBe(true);
  });

  it('accepts deflate-compressed JSON', async () => {
    const body = readFileSync(join(FIXTURES, 'alertmanager/two-alerts-one-group.json'));
    const res = await h.app.inject({
      method: 'POST',
      url: '/webhooks/alertmanager',
      headers: { ...JSON_HEADERS, 'content-encoding': 'deflate' },
      payload: deflateSync(body),
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: 2, rejected: [] });
  });

  it('rejects a protobuf body that is not an ExportTraceServiceRequest with 400', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { 'content-type': 'application/x-protobuf' },
      payload: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
    });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: string }).error).toMatch(/protobuf/i);
  });

  it('rejects an invalid body with 400 and the paths of the bad fields, queueing nothing', async () => {
    const before = await h.ingestQueue.waitingCounts();
    const res = await h.app.inject({ method: 'POST', url: '/webhooks/alertmanager', headers: JSON_HEADERS, payload: { version: '4', status: 'firing' } });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { error: string; issues: Array<{ path: string; message: string }> };
    expect(body.error).toMatch(/alertmanager/);
    expect(body.issues.map((i) => i.path)).toContain('alerts');
    expect(await h.ingestQueue.waitingCounts()).toEqual(before);

    const deploy = await h.app.inject({ method: 'POST', url: '/webhooks/deploy', headers: JSON_HEADERS, payload: { version: 'v1' } });
    expect(deploy.statusCode).toBe(400);
    expect((deploy.json() as { issues: Array<{ path: string }> }).issues.map((i) => i.path)).toContain('service');
  });

  it('keeps the good alerts of a batch with one bad alert and reports the bad one', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/webhooks/alerts',
      headers: JSON_HEADERS,
      payload: { alerts: [{ name: 'HighLatency', service: 'checkout' }, { name: '' }, { name: 'ErrorRate', service: 'orders' }] },
    });
    expect(res.statusCode).toBe(202);
    const body = res.json() as { accepted: number; rejected: Array<{ path: string }> };
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r) => r.path)).toEqual(['alerts.1.name']);
    const metrics = await h.metrics.render();
    expect(metrics).toMatch(/^rcabot_ingest_rejected_total\{source="alert",reason="invalid"\} 1$/m);
  });

  it('answers 413 with a JSON error for a body over the limit', async () => {
    const big = Buffer.from(JSON.stringify({ alerts: [{ name: 'x'.repeat(h.config.bodyLimitBytes) }] }));
    const res = await h.app.inject({ method: 'POST', url: '/webhooks/alerts', headers: JSON_HEADERS, payload: big });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: `payload too large (limit ${h.config.bodyLimitBytes} bytes)`, issues: [] });
  });

  it('answers 413 for a gzip bomb: small on the wire, over the limit decompressed', async () => {
    const inflated = Buffer.alloc(h.config.bodyLimitBytes * 4, 0x20); // spaces: valid JSON whitespace
    const bomb = gzipSync(inflated);
    expect(bomb.length).toBeLessThan(h.config.bodyLimitBytes / 100);
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { ...JSON_HEADERS, 'content-encoding': 'gzip' },
      payload: bomb,
    });
    expect(res.statusCode).toBe(413);
  });

  it('answers 400 for a body that is not the gzip it claims to be', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/webhooks/alerts',
      headers: { ...JSON_HEADERS, 'content-encoding': 'gzip' },
      payload: Buffer.from('{"name":"x"}'),
    });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: string }).error).toMatch(/gzip/);
  });

  it('answers 415 for an unknown content type or content coding', async () => {
    const text = await h.app.inject({ method: 'POST', url: '/webhooks/alerts', headers: { 'content-type': 'text/plain' }, payload: 'name=x' });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toMatchObject({ error: expect.stringMatching(/Content-Type/) });
    const form = await h.app.inject({
      method: 'POST',
      url: '/webhooks/github',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'deployment_status' },
      payload: 'payload=%7B%7D',
    });
    expect(form.statusCode).toBe(415);
    const pbElsewhere = await h.app.inject({
      method: 'POST',
      url: '/webhooks/alertmanager',
      headers: { 'content-type': 'application/x-protobuf' },
      payload: readFileSync(join(FIXTURES, 'otlp/traces-0.pb')),
    });
    expect(pbElsewhere.statusCode).toBe(415);
    const coding = await h.app.inject({
      method: 'POST',
      url: '/webhooks/alerts',
      headers: { ...JSON_HEADERS, 'content-encoding': 'compress' },
      payload: '{"name":"x"}',
    });
    expect(coding.statusCode).toBe(415);
    expect((coding.json() as { error: string }).error).toMatch(/compress/);
  });

  it('refuses __proto__ and constructor.prototype keys with 400 naming the key and its path', async () => {
    const top = await h.app.inject({ method: 'POST', url: '/webhooks/alerts', headers: JSON_HEADERS, payload: '{"name":"x","__proto__":{"admin":true}}' });
    expect(top.statusCode).toBe(400);
    expect(top.json()).toEqual({ error: 'forbidden key "__proto__"', issues: [{ path: '__proto__', message: 'forbidden key "__proto__"' }] });

    const nested = await h.app.inject({
      method: 'POST',
      url: '/webhooks/alerts',
      headers: JSON_HEADERS,
      payload: '{"alerts":[{"name":"x","labels":{"constructor":{"prototype":{"polluted":"yes"}}}}]}',
    });
    expect(nested.statusCode).toBe(400);
    expect((nested.json() as { issues: Array<{ path: string }> }).issues[0]!.path).toBe('alerts.0.labels.constructor');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses invalid UTF-8 with 400', async () => {
    const bytes = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const res = await h.app.inject({ method: 'POST', url: '/webhooks/alerts', headers: JSON_HEADERS, payload: bytes });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'invalid UTF-8', issues: [] });
  });

  it('refuses malformed JSON with 400 giving the position', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/webhooks/alerts', headers: JSON_HEADERS, payload: '{"name" "x"}' });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { error: string; issues: Array<{ path: string; message: string }> };
    expect(body.error).toMatch(/^malformed JSON: .*position 8/);
    expect(body.issues[0]!.path).toBe('(root)');
  });

  it('refuses an empty JSON body with 400', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/webhooks/alerts', headers: JSON_HEADERS, payload: '' });
    expect(res.statusCode).toBe(400);
  });

  it('answers GitHub ping with 200 and ignores other GitHub events with 202 accepted 0', async () => {
    const ping = await h.app.inject({ method: 'POST', url: '/webhooks/github', headers: { ...JSON_HEADERS, 'x-github-event': 'ping' }, payload: { zen: 'Keep it logically awesome.' } });
    expect(ping.statusCode).toBe(200);
    expect(ping.json()).toEqual({ ok: true });
    const push = await h.app.inject({ method: 'POST', url: '/webhooks/github', headers: { ...JSON_HEADERS, 'x-github-event': 'push' }, payload: { ref: 'main' } });
    expect(push.statusCode).toBe(202);
    expect(push.json()).toEqual({ accepted: 0, rejected: [] });
  });

  it('counts accepted items per source in /metrics', async () => {
    const text = await h.metrics.render();
    expect(text).toMatch(/^rcabot_ingest_accepted_total\{source="alertmanager"\} [1-9]\d*$/m);
    expect(text).toMatch(/^rcabot_ingest_rejected_total\{source="alert",reason="forbidden_key"\} 2$/m);
    expect(text).toMatch(/^rcabot_ingest_rejected_total\{source="otlp",reason="too_large"\} 1$/m);
  });
});

describe('ingest with a small body limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('http-ingest-limit', { bodyLimitBytes: 2048 });
  });
  afterAll(async () => h.close());

  it('applies BODY_LIMIT_BYTES to the bytes on the wire and to the decompressed body', async () => {
    const json = Buffer.from(JSON.stringify({ name: 'x', summary: 'y'.repeat(3000) }));
    const raw = await h.app.inject({ method: 'POST', url: '/webhooks/alerts', headers: JSON_HEADERS, payload: json });
    expect(raw.statusCode).toBe(413);
    const gz = gzipSync(json);
    expect(gz.length).toBeLessThan(2048);
    const compressed = await h.app.inject({ method: 'POST', url: '/webhooks/alerts', headers: { ...JSON_HEADERS, 'content-encoding': 'gzip' }, payload: gz });
    expect(compressed.statusCode).toBe(413);
    const small = await h.app.inject({ method: 'POST', url: '/webhooks/alerts', headers: JSON_HEADERS, payload: { name: 'x' } });
    expect(small.statusCode).toBe(202);
  });
});
