import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { IncidentReport } from '../../../src/model/incident.js';
import { startHarness, type Harness } from './server-harness.js';

const report = (id: string, service: string): IncidentReport => ({
  id,
  title: `${service} errors`,
  status: 'open',
  openedAt: '2026-11-24T00:41:00.000Z',
  alerts: [`fp-${id}`],
  services: [service],
  rootCauses: [{ service, score: 0.8, evidence: [{ kind: 'deploy', detail: `${service} v2 deployed 3 min before` }] }],
  similarIncidents: [{ id: 'INC-1001', similarity: 0.5, rootCause: service }],
  remediations: [{ runbook: 'rollback', action: 'rollback', target: service }],
});

describe('health, metrics and incident API', () => {
  let h: Harness;
  let workersRunning = true;
  beforeAll(async () => {
    h = await startHarness('http-health', {}, async () => ({
      redis: (await h.redis.ping()) === 'PONG',
      workers: workersRunning,
    }));
  });
  afterAll(async () => h.close());

  it('GET /healthz answers 200', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 when every check passes and 503 naming the failed ones', async () => {
    const ok = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ ready: true, checks: { redis: true, workers: true }, failed: [] });
    workersRunning = false;
    try {
      const down = await h.app.inject({ method: 'GET', url: '/readyz' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toEqual({ ready: false, checks: { redis: true, workers: false }, failed: ['workers'] });
    } finally {
      workersRunning = true;
    }
  });

  it('GET /metrics serves Prometheus text with the contract metrics and the live queue depth', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/webhooks/alerts',
        headers: { 'content-type': 'application/json' },
        payload: { name: `A${i}`, service: 'checkout' },
      });
      expect(res.statusCode).toBe(202);
    }
    const res = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(text).toMatch(/^# TYPE rcabot_alerts_processed_total counter$/m);
    expect(text).toMatch(/^# TYPE rcabot_queue_waiting gauge$/m);
    // No workers run in this test, so the three jobs are still waiting.
    expect(text).toMatch(/^rcabot_queue_waiting\{queue="alerts"\} 3$/m);
    expect(text).toMatch(/^rcabot_queue_waiting\{queue="traces"\} 0$/m);
    expect(text).toMatch(/^rcabot_http_requests_total\{method="POST",route="\/webhooks\/alerts",status="202"\} 3$/m);
    expect(text).toMatch(/^# TYPE rcabot_http_request_duration_seconds histogram$/m);
    expect(text).toMatch(/^# TYPE rcabot_ingest_rejected_total counter$/m);
    expect(text).toMatch(/^# TYPE rcabot_alerts_deduplicated_total counter$/m);
    expect(text).toMatch(/^# TYPE rcabot_spans_aggregated_total counter$/m);
    expect(text).toMatch(/^process_resident_memory_bytes /m);
  });

  it('GET /api/incidents lists the stored incidents in the contract shape', async () => {
    const empty = await h.app.inject({ method: 'GET', url: '/api/incidents' });
    expect(empty.statusCode).toBe(200);
    expect(empty.json()).toEqual({ incidents: [] });
    const reports = [report('inc-a', 'orders-db'), report('inc-b', 'payments')];
    await h.incidentStore.save(reports);
    const res = await h.app.inject({ method: 'GET', url: '/api/incidents' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ incidents: reports });
  });

  it('GET /api/incidents/:id returns one incident, 404 JSON for an unknown id', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/incidents/inc-b' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(report('inc-b', 'payments'));
    const missing = await h.app.inject({ method: 'GET', url: '/api/incidents/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: "incident 'nope' not found", issues: [{ path: 'id', message: 'no incident with this id' }] });
  });

  it('answers unknown routes with 404 JSON', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/nope?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'no route GET /nope', issues: [] });
  });
});
