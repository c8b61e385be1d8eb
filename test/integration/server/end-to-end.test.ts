// The whole server on a real port with real Redis: a recorded outage posted to the ingest endpoints comes out
// of /api/incidents as one clustered incident with the right root cause, the same answer the replay gives.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../../src/config.js';
import { startServer, type RunningServer } from '../../../src/main.js';
import { INGEST_ROUTES } from '../../../src/http/ingest-routes.js';
import { replayLines } from '../../../src/replay/replay.js';
import type { IncidentReport } from '../../../src/model/incident.js';
import { deleteKeys, newTestRedis, testRedisUrl, uniquePrefix } from '../../support/redis.js';
import { createLogger } from '../../../src/telemetry/logger.js';

const dir = 'fixtures/scenarios/checkout-db-outage';
const lines = readFileSync(`${dir}/events.ndjson`, 'utf8').split('\n').filter((l) => l.trim() !== '');
const truth = JSON.parse(readFileSync(`${dir}/truth.json`, 'utf8')) as { incidents: Array<{ rootCause: string; alerts: string[] }> };
const urlOf = new Map(INGEST_ROUTES.map((r) => [r.type as string, r.url]));
const prefix = uniquePrefix('e2e');
const redis = newTestRedis();
let server: RunningServer;
let base = '';

// The recording ends at its last event; the server's clock starts there and runs at wall speed, so that spans
// waiting for their pair expire as they would live.
const recordingEnd = Math.max(...lines.map((l) => Date.parse((JSON.parse(l) as { receivedAt: string }).receivedAt)));
const started = Date.now();
const clock = () => recordingEnd + (Date.now() - started);

beforeAll(async () => {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix, RUNBOOKS_DIR: 'runbooks', LOG_LEVEL: 'warn' });
  server = await startServer(config, { handleSignals: false, now: clock, logger: createLogger({ logLevel: 'warn' }) });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
  await deleteKeys(redis, prefix);
  await redis.quit();
});

async function incidents(): Promise<IncidentReport[]> {
  const res = await fetch(`${base}/api/incidents`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { incidents: IncidentReport[] }).incidents;
}

describe('server end to end', () => {
  it('ingests a recorded outage and reports the clustered incident with the silent database first', async () => {
    for (const line of lines) {
      const event = JSON.parse(line) as { type: string; payload: unknown };
      const res = await fetch(`${base}${urlOf.get(event.type)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(event.type.startsWith('github') ? { 'x-github-event': 'deployment_status' } : {}) },
        body: JSON.stringify(event.payload),
      });
      expect(res.status).toBe(202);
    }
    const expected = truth.incidents[0]!;
    // Spans wait out the pairing window (10 s) before the silent database's edge exists; then the analyzer runs.
    let found: IncidentReport | undefined;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      found = (await incidents()).find((i) => expected.alerts.every((fp) => i.alerts.includes(fp)));
      if (found?.rootCauses[0]?.service === expected.rootCause) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (!found) console.log(JSON.stringify((await incidents()).map((i) => ({ id: i.id, alerts: i.alerts.length, top: i.rootCauses.slice(0, 3) })), null, 1));
    expect(found?.rootCauses[0]?.service).toBe(expected.rootCause);
    expect(found!.alerts.length).toBe(expected.alerts.length);
    const one = await fetch(`${base}/api/incidents/${found!.id}`);
    expect(((await one.json()) as IncidentReport).id).toBe(found!.id);

    // Same code, same answer: the offline replay of the same stream names the same root cause and alerts.
    const replayed = await replayLines(lines);
    const offline = replayed.incidents.find((i) => expected.alerts.every((fp) => i.alerts.includes(fp)))!;
    expect(offline.rootCauses[0]!.service).toBe(found!.rootCauses[0]!.service);
    expect([...offline.alerts].sort()).toEqual([...found!.alerts].sort());
  }, 60_000);
});

describe('server end to end without traces', () => {
  it('groups the same outage\'s alerts by their onsets and ranks the first to alert first, as the replay does (decision 021)', async () => {
    const alertLines = lines.filter((l) => (JSON.parse(l) as { type: string }).type === 'alertmanager');
    const ownPrefix = uniquePrefix('e2e-no-traces');
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', REDIS_URL: testRedisUrl(), REDIS_PREFIX: ownPrefix, RUNBOOKS_DIR: 'runbooks', LOG_LEVEL: 'warn' });
    const alone = await startServer(config, { handleSignals: false, now: clock, logger: createLogger({ logLevel: 'warn' }) });
    try {
      for (const line of alertLines) {
        const res = await fetch(`http://127.0.0.1:${alone.port}/webhooks/alertmanager`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify((JSON.parse(line) as { payload: unknown }).payload),
        });
        expect(res.status).toBe(202);
      }
      const expected = truth.incidents[0]!;
      let found: IncidentReport | undefined;
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const res = await fetch(`http://127.0.0.1:${alone.port}/api/incidents`);
        found = ((await res.json()) as { incidents: IncidentReport[] }).incidents.find((i) => expected.alerts.every((fp) => i.alerts.includes(fp)));
        if (found?.rootCauses[0]?.evidence.some((e) => e.kind === 'onset')) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      // No graph: the silent database cannot be named, but the outage is one incident, led by the service that
      // alerted first, with the onsets as its evidence.
      expect(found?.alerts.length).toBe(expected.alerts.length);
      expect(found!.rootCauses[0]!.service).toBe('orders');
      expect(found!.rootCauses.map((r) => r.service)).not.toContain(expected.rootCause);
      expect(found!.rootCauses[0]!.evidence.find((e) => e.kind === 'onset')!.detail).toBe(
        'orders: 2 of the 3 alerting services began to alert with it or after it; no traces or catalog show how they connect',
      );
      const offline = (await replayLines(alertLines)).incidents.find((i) => expected.alerts.every((fp) => i.alerts.includes(fp)))!;
      expect(offline.rootCauses.map((r) => r.service)).toEqual(found!.rootCauses.map((r) => r.service));
      expect([...offline.alerts].sort()).toEqual([...found!.alerts].sort());
    } finally {
      await alone.close();
      await deleteKeys(redis, ownPrefix);
    }
  }, 60_000);
});
