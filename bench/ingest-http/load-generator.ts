// Load generator for the HTTP ingest bench, run in its own process so it never steals the server's event loop.
//
// Closed loop: N keep-alive connections, each sends its next batch as soon as the previous answer arrives.
// Open loop: batches are due at a fixed rate and latency is measured from when each was due (queueing
// behind a busy connection counts), so a slow server cannot hide behind a slower sender.
// Bodies of the closed loop are built before the clock starts, so the generator's JSON work is not timed.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { alertBodies, type AlertFormat } from './alert-bodies.js';

export interface ClosedLoopRequest {
  kind: 'closed';
  url: string;
  format: AlertFormat;
  runId: string;
  /** First alert index; alerts are distinct by (runId, index). */
  from: number;
  alerts: number;
  batchSize: number;
  connections: number;
}

export interface OpenLoopRequest {
  kind: 'open';
  url: string;
  format: AlertFormat;
  runId: string;
  alertsPerSec: number;
  durationSec: number;
  batchSize: number;
  connections: number;
  /**
   * Fingerprints cycle through this many alerts, each cycle a new episode (later startsAt): every alert is
   * still new state, but the server's stored state stays bounded through a long soak.
   */
  distinctAlerts: number;
}

export type GeneratorRequest = ClosedLoopRequest | OpenLoopRequest;

export interface GeneratorResult {
  requests: number;
  alerts: number;
  elapsedMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Non-2xx answers and transport errors, by status (or 'error'). */
  failures: Record<string, number>;
  /** The generator's own CPU time over the run (µs): it shares the machine's cores with the server. */
  cpuUs: number;
  /**
   * Open loop: acknowledgements slower than SLOW_ACK_MS by the second of the run they were due in ({ second: count }),
   * to tell one stall (a few adjacent seconds) from a load the server cannot keep up with (every second).
   */
  slowBySecond?: Record<string, number>;
  /** Open loop: when its first request was due (epoch ms), to line its seconds up with other logs. */
  startedAtMs?: number;
}

const SLOW_ACK_MS = 50;

function post(agent: http.Agent, url: URL, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function summarise(latencies: number[], elapsedMs: number, alerts: number, failures: Record<string, number>, cpuUs: number): GeneratorResult {
  const sorted = Float64Array.from(latencies).sort();
  const q = (p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
  return {
    requests: sorted.length,
    alerts,
    elapsedMs,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    maxMs: sorted.length ? sorted[sorted.length - 1]! : 0,
    failures,
    cpuUs,
  };
}

async function closedLoop(r: ClosedLoopRequest): Promise<GeneratorResult> {
  const url = new URL(r.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: r.connections });
  const bodies: Buffer[] = [];
  for (let i = 0; i < r.alerts; i += r.batchSize) {
    bodies.push(Buffer.from(alertBodies(r.format, r.runId, r.from + i, Math.min(r.batchSize, r.alerts - i), 0)));
  }
  const latencies: number[] = new Array(bodies.length);
  const failures: Record<string, number> = {};
  let next = 0;
  process.send!({ started: true });
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: r.connections }, async () => {
      while (next < bodies.length) {
        const i = next++;
        const t = performance.now();
        let status: number | 'error';
        try {
          status = await post(agent, url, bodies[i]!);
        } catch {
          status = 'error';
        }
        latencies[i] = performance.now() - t;
        if (status === 'error' || status >= 300) failures[status] = (failures[status] ?? 0) + 1;
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  return summarise(latencies, elapsedMs, r.alerts, failures, cpu.user + cpu.system);
}

async function openLoop(r: OpenLoopRequest): Promise<GeneratorResult> {
  const url = new URL(r.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: r.connections });
  const intervalMs = (1000 * r.batchSize) / r.alertsPerSec;
  const total = Math.floor((r.durationSec * 1000) / intervalMs);
  const latencies: number[] = [];
  const slowBySecond: Record<string, number> = {};
  const failures: Record<string, number> = {};
  const record = (due: number): void => {
    const ms = performance.now() - due;
    latencies.push(ms);
    if (ms > SLOW_ACK_MS) {
      const second = Math.floor((due - start) / 1000);
      slowBySecond[second] = (slowBySecond[second] ?? 0) + 1;
    }
  };
  const inFlight = new Set<Promise<void>>();
  process.send!({ started: true });
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let alerts = 0;
  for (let i = 0; i < total; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((res) => setTimeout(res, wait));
    const from = (i * r.batchSize) % r.distinctAlerts;
    const episode = Math.floor((i * r.batchSize) / r.distinctAlerts);
    const body = Buffer.from(alertBodies(r.format, r.runId, from, r.batchSize, episode));
    alerts += r.batchSize;
    const p: Promise<void> = post(agent, url, body).then(
      (status) => {
        record(due);
        if (status >= 300) failures[status] = (failures[status] ?? 0) + 1;
      },
      () => {
        record(due);
        failures.error = (failures.error ?? 0) + 1;
      },
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  return { ...summarise(latencies, elapsedMs, alerts, failures, cpu.user + cpu.system), slowBySecond, startedAtMs: Math.round(performance.timeOrigin + start) };
}

process.on('message', (msg: GeneratorRequest) => {
  const run = msg.kind === 'closed' ? closedLoop(msg) : openLoop(msg);
  run.then(
    (result) => process.send!({ ok: true, result }),
    (err: unknown) => process.send!({ ok: false, error: String(err) }),
  );
});
process.send!({ ready: true });
