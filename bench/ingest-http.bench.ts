// Benchmark of HTTP alert ingest against a real Prometheus Alertmanager on the same machine.
//
// One closed-loop load generator (its own process, keep-alive connections, batches of 50) sends the same
// distinct alerts to Alertmanager's `POST /api/v2/alerts` and to rcabot's `POST /webhooks/alertmanager`,
// alternately, best of `rounds`. rcabot runs as a child process (`startServer`, as `rcabot serve` does) and
// counts as done only when every alert is processed into state and the queue is empty again ("sustained").
// Then open-loop runs for p99 acknowledgement: at Alertmanager's rate (half of the 2× goal) and at half of
// rcabot's own sustained rate; and with `--soak <s>` a long open-loop run sampling the server's memory every 10 s.
//
// Run: start Alertmanager on 127.0.0.1:9193 (see docs/benchmarks.md, "Ingest over HTTP against a real Alertmanager"), then
// `npx tsx bench/ingest-http.bench.ts [--alerts 200000] [--rounds 3] [--soak 600] [--cpu-prof dir]`.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ALERTS_QUEUE } from '../src/queue/ingest-queue.js';
import { redisKeys } from '../src/store/keys.js';
import type { GeneratorRequest, GeneratorResult } from './ingest-http/load-generator.js';
import { deleteKeys } from '../test/support/redis.js';

export interface IngestHttpBenchOptions {
  alertmanagerUrl?: string;
  redisUrl?: string;
  /** Distinct alerts per measured round. Default 200 000. */
  alerts?: number;
  batchSize?: number;
  /** Concurrent keep-alive connections of the closed loop. Default 32. */
  connections?: number;
  /** Alternating rounds (Alertmanager, rcabot); each figure is the best of them. Default 3. */
  rounds?: number;
  /** Duration of the half-load run (open loop at Alertmanager's rate). Default 15 s; 0 skips it. */
  halfLoadSec?: number;
  /** Duration of the memory soak at half load; 0 (default) skips it. */
  soakSec?: number;
  /** Soak rate in alerts/s (default: the half-load rate) and distinct fingerprints cycled (default 200 000). */
  soakRate?: number;
  soakDistinct?: number;
  /** Directory for a V8 CPU profile of the rcabot server (`node --cpu-prof`). */
  cpuProfDir?: string;
  /**
   * Serve only HTTP + queue + workers (no analyzer, no Slack), to tell the ingest path's own cost from the
   * analyzer's, which shares the process under startServer. Default false (the real `rcabot serve`).
   */
  ingestOnly?: boolean;
  /** NODE_OPTIONS of the rcabot server process, e.g. '--max-semi-space-size=32' (GC tuning experiments). */
  serverNodeOptions?: string;
  /** Progress lines go here (default stderr). */
  log?: (line: string) => void;
}

export interface OpenLoadFigures {
  offeredPerSec: number;
  alertsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  failures: number;
  /** Acknowledgements over 50 ms by the second of the run they were due in (load-generator.ts). */
  slowBySecond: Record<string, number>;
  /** When the run's first request was due (epoch ms). */
  startedAtMs: number;
}

export interface RoundFigures {
  system: 'alertmanager' | 'rcabot';
  round: number;
  ackAlertsPerSec: number;
  /** rcabot only: alerts acknowledged and processed into state, until the queue was empty. */
  sustainedAlertsPerSec?: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU (µs) per alert over the round (Alertmanager's from /proc when its process is found). */
  serverCpuUsPerAlert?: number;
  /** rcabot only: Redis CPU (µs) per alert over the round. */
  redisCpuUsPerAlert?: number;
  /** The load generator's CPU (µs) per alert: the third user of the machine's two cores. */
  generatorCpuUsPerAlert: number;
  /** rcabot only: alerts per BullMQ job (requests coalesced under load). */
  alertsPerJob?: number;
  failures: number;
}

export interface MemorySample {
  atSec: number;
  rssMb: number;
  heapUsedMb: number;
}

export interface IngestHttpBenchResult {
  machine: string;
  /** 'startServer' (the real server) or 'ingest-only' (HTTP + queue + workers, no analyzer). */
  server: string;
  loadAverage: { start: number[]; end: number[] };
  rounds: RoundFigures[];
  best: {
    alertmanagerAckPerSec: number;
    rcabotAckPerSec: number;
    rcabotSustainedPerSec: number;
    /** rcabot sustained / Alertmanager acknowledged (goal ≥ 2). */
    ratio: number;
    rcabotP99Ms: number;
    alertmanagerP99Ms: number;
    /**
     * CPU per alert, the lowest of the rounds: Alertmanager's process, and rcabot's server + Redis. Unlike the
     * rates, these do not swing with what else the machine is doing.
     */
    alertmanagerCpuUsPerAlert?: number;
    rcabotCpuUsPerAlert: number;
  };
  halfLoad?: OpenLoadFigures;
  /** Open loop at half of rcabot's own best sustained rate: acknowledgement latency with headroom. */
  ownHalfLoad?: OpenLoadFigures;
  soak?: {
    seconds: number;
    alertsPerSec: number;
    p99Ms: number;
    failures: number;
    samples: MemorySample[];
    rssMb: { start: number; end: number; max: number };
    heapUsedMb: { start: number; end: number; max: number };
  };
}

const here = fileURLToPath(new URL('.', import.meta.url));
const TSX = ['--import', 'tsx'];

/** A child process spoken to with request/answer messages over IPC. */
class Child {
  private waiters: Array<(m: Record<string, unknown>) => boolean> = [];
  constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: Record<string, unknown>) => {
      const i = this.waiters.findIndex((w) => w(m));
      if (i >= 0) this.waiters.splice(i, 1);
    });
  }
  next<T>(match: (m: Record<string, unknown>) => boolean): Promise<T> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`child exited (${code}) while awaited`));
      this.proc.once('exit', onExit);
      this.waiters.push((m) => {
        if (!match(m)) return false;
        this.proc.off('exit', onExit);
        resolve(m as T);
        return true;
      });
    });
  }
}

async function startGenerator(): Promise<Child> {
  const child = new Child(fork(`${here}ingest-http/load-generator.ts`, [], { execArgv: TSX, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  await child.next((m) => m.ready === true);
  return child;
}

async function generate(gen: Child, req: GeneratorRequest, onStart?: () => void): Promise<GeneratorResult> {
  const started = gen.next((m) => m.started === true).then(() => onStart?.());
  const done = gen.next<{ ok: boolean; result?: GeneratorResult; error?: string }>((m) => 'ok' in m);
  gen.proc.send(req);
  const answer = await done;
  await started;
  if (!answer.ok) throw new Error(`load generator failed: ${answer.error}`);
  return answer.result!;
}

async function startRcabot(redisUrl: string, prefix: string, cpuProfDir?: string, ingestOnly = false, nodeOptions = ''): Promise<{ child: Child; port: number }> {
  const execArgv = cpuProfDir ? [...TSX, '--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : TSX;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOST: '127.0.0.1',
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    BENCH_INGEST_ONLY: ingestOnly ? '1' : '0',
    NODE_OPTIONS: nodeOptions,
  };
  const child = new Child(fork(`${here}ingest-http/server-child.ts`, [], { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const { port } = await child.next<{ port: number }>((m) => m.kind === 'ready');
  return { child, port };
}

async function serverCpuUs(server: Child): Promise<number> {
  const answer = server.next<{ us: number }>((m) => m.kind === 'cpu');
  server.proc.send({ kind: 'cpu' });
  return (await answer).us;
}

async function serverMemory(server: Child): Promise<{ rss: number; heapUsed: number }> {
  const answer = server.next<{ rss: number; heapUsed: number }>((m) => m.kind === 'memory');
  server.proc.send({ kind: 'memory' });
  return answer;
}

/** The rounds of one system in which every request was acknowledged; an error naming the system when none was. */
function acknowledgedRounds(figures: readonly RoundFigures[], system: RoundFigures['system'], url: string): RoundFigures[] {
  const rounds = figures.filter((f) => f.system === system);
  const clean = rounds.filter((f) => f.failures === 0);
  if (clean.length === 0) throw new Error(`${system} at ${url} failed requests in every round (${rounds.map((f) => f.failures).join(', ')} failed): no rate to compare`);
  return clean;
}

/**
 * CPU (µs) Alertmanager has used so far, from /proc (utime + stime in clock ticks of 10 ms), or undefined
 * when its process is not found. Its per-alert CPU does not depend on how busy the machine is, unlike its rate.
 */
function alertmanagerCpuUs(): number | undefined {
  try {
    const pid = execFileSync('pgrep', ['-o', '-f', 'prometheus-alertmanager'], { encoding: 'utf8' }).trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

async function redisCpuUs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

async function processedTotal(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^rcabot_alerts_processed_total(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? NaN);
}

/** Watchdog limits on the shared Redis (see runIngestHttpBench). */
const REDIS_CLIENT_BUFFER_LIMIT = 1024 * 2 ** 20;
const REDIS_MEMORY_LIMIT = 4096 * 2 ** 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const mb = (bytes: number) => round(bytes / 2 ** 20);

/**
 * Waits for Alertmanager to say it is ready (`/-/ready`), for up to `timeoutMs`: one started just before the bench
 * answers every request with a connection error for its first second or two. Throws, naming the URL, if it never is.
 */
async function awaitReady(base: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await fetch(`${base}/-/ready`).then((r) => r.ok, () => false);
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`Alertmanager at ${base} is not ready after ${timeoutMs / 1000} s: start it first (see docs/benchmarks.md)`);
    await sleep(200);
  }
}

export async function runIngestHttpBench(options: IngestHttpBenchOptions = {}): Promise<IngestHttpBenchResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const amBase = options.alertmanagerUrl ?? 'http://127.0.0.1:9193';
  await awaitReady(amBase, 15_000);
  const amUrl = `${amBase}/api/v2/alerts`;
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const total = options.alerts ?? 200_000;
  const batchSize = options.batchSize ?? 50;
  const connections = options.connections ?? 32;
  const rounds = options.rounds ?? 3;
  const prefix = `bench:http-${randomUUID().slice(0, 8)}:`;
  const keys = redisKeys(prefix);
  const loadStart = os.loadavg().map((x) => round(x, 2));

  const admin = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(ALERTS_QUEUE, { connection: admin, prefix: keys.queuePrefix(ALERTS_QUEUE) });
  const gen = await startGenerator();
  const { child: server, port } = await startRcabot(redisUrl, prefix, options.cpuProfDir, options.ingestOnly, options.serverNodeOptions);
  const rcabotUrl = `http://127.0.0.1:${port}/webhooks/alertmanager`;
  // Redis is shared: if the server makes it buffer huge replies (the analyzer's full reads of every open
  // alert once did: Redis grew to 17 GB and was OOM-killed), stop the server before Redis goes down.
  let tripped: string | undefined;
  const watchdog = setInterval(() => {
    admin.info('memory').then((info) => {
      const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
      const clients = Number(/mem_clients_normal:(\d+)/.exec(info)?.[1] ?? 0);
      if (tripped === undefined && (clients > REDIS_CLIENT_BUFFER_LIMIT || used > REDIS_MEMORY_LIMIT)) {
        tripped = `Redis memory ${mb(used)} MB (client buffers ${mb(clients)} MB): server stopped by the bench watchdog`;
        log(tripped);
        server.proc.kill('SIGKILL');
      }
    }, () => {});
  }, 250);
  let stored = 0; // distinct alerts sent to rcabot so far = the state hash length once processed

  const closed = (url: string, format: 'alertmanager-api-v2' | 'webhook-v4', alerts: number): GeneratorRequest => ({
    kind: 'closed',
    url,
    format,
    runId: randomUUID().replace(/-/g, '').slice(0, 12),
    from: 0,
    alerts,
    batchSize,
    connections,
  });

  // BullMQ numbers jobs from a counter key: its growth is the number of jobs added.
  const jobCount = async () => Number((await admin.get(`${keys.queuePrefix(ALERTS_QUEUE)}:${ALERTS_QUEUE}:id`)) ?? 0);

  async function drained(target: number): Promise<void> {
    while ((await admin.hlen(keys.alerts.state)) < target) {
      if (tripped) throw new Error(tripped);
      await sleep(5);
    }
    for (;;) {
      const c = await queue.getJobCounts('wait', 'active', 'prioritized', 'delayed');
      if ((c.wait ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0) === 0) return;
      await sleep(5);
    }
  }

  async function rcabotRound(alerts: number, index: number): Promise<RoundFigures> {
    const cpu0 = await serverCpuUs(server);
    const redis0 = await redisCpuUs(admin);
    const jobs0 = await jobCount();
    let start = 0;
    const result = await generate(gen, closed(rcabotUrl, 'webhook-v4', alerts), () => (start = performance.now()));
    stored += alerts;
    await drained(stored);
    const sustainedMs = performance.now() - start;
    const cpu = (await serverCpuUs(server)) - cpu0;
    const redis = (await redisCpuUs(admin)) - redis0;
    return {
      system: 'rcabot',
      round: index,
      ackAlertsPerSec: Math.round(alerts / (result.elapsedMs / 1000)),
      sustainedAlertsPerSec: Math.round(alerts / (sustainedMs / 1000)),
      p50Ms: round(result.p50Ms, 2),
      p99Ms: round(result.p99Ms, 2),
      serverCpuUsPerAlert: round(cpu / alerts, 2),
      redisCpuUsPerAlert: round(redis / alerts, 2),
      alertsPerJob: round(alerts / Math.max(1, (await jobCount()) - jobs0)),
      generatorCpuUsPerAlert: round(result.cpuUs / alerts, 2),
      failures: Object.values(result.failures).reduce((a, b) => a + b, 0),
    };
  }

  async function alertmanagerRound(alerts: number, index: number): Promise<RoundFigures> {
    const cpu0 = alertmanagerCpuUs();
    const result = await generate(gen, closed(amUrl, 'alertmanager-api-v2', alerts));
    const cpu1 = alertmanagerCpuUs();
    return {
      system: 'alertmanager',
      round: index,
      ...(cpu0 !== undefined && cpu1 !== undefined ? { serverCpuUsPerAlert: round((cpu1 - cpu0) / alerts, 2) } : {}),
      ackAlertsPerSec: Math.round(alerts / (result.elapsedMs / 1000)),
      p50Ms: round(result.p50Ms, 2),
      p99Ms: round(result.p99Ms, 2),
      generatorCpuUsPerAlert: round(result.cpuUs / alerts, 2),
      failures: Object.values(result.failures).reduce((a, b) => a + b, 0),
    };
  }

  try {
    // Warm-up (JIT, connection pools, Redis scripts), not counted.
    const warm = Math.min(20_000, total);
    await alertmanagerRound(warm, 0);
    await rcabotRound(warm, 0);

    const figures: RoundFigures[] = [];
    for (let r = 1; r <= rounds; r++) {
      const am = await alertmanagerRound(total, r);
      log(`alertmanager round ${r}: ${am.ackAlertsPerSec} alerts/s, p99 ${am.p99Ms} ms, ${am.serverCpuUsPerAlert ?? '?'} µs/alert, generator ${am.generatorCpuUsPerAlert} µs/alert`);
      const rc = await rcabotRound(total, r);
      log(`rcabot round ${r}: ack ${rc.ackAlertsPerSec}/s, sustained ${rc.sustainedAlertsPerSec}/s, p99 ${rc.p99Ms} ms, server ${rc.serverCpuUsPerAlert} µs/alert, redis ${rc.redisCpuUsPerAlert} µs/alert, generator ${rc.generatorCpuUsPerAlert} µs/alert, ${rc.alertsPerJob} alerts/job`);
      figures.push(am, rc);
    }
    // A round with failed requests measured errors, not ingest: a reference that refused its alerts (not yet
    // listening, say) would otherwise report a rate a hundred times its own.
    const ams = acknowledgedRounds(figures, 'alertmanager', amUrl);
    const rcs = acknowledgedRounds(figures, 'rcabot', rcabotUrl);
    const bestAm = ams.reduce((a, b) => (b.ackAlertsPerSec > a.ackAlertsPerSec ? b : a));
    const bestRc = rcs.reduce((a, b) => (b.sustainedAlertsPerSec! > a.sustainedAlertsPerSec! ? b : a));
    const result: IngestHttpBenchResult = {
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${mb(os.totalmem())} MB, Node ${process.version}`,
      server: options.ingestOnly ? 'ingest-only' : 'startServer',
      loadAverage: { start: loadStart, end: [] },
      rounds: figures,
      best: {
        alertmanagerAckPerSec: bestAm.ackAlertsPerSec,
        rcabotAckPerSec: Math.max(...rcs.map((f) => f.ackAlertsPerSec)),
        rcabotSustainedPerSec: bestRc.sustainedAlertsPerSec!,
        ratio: round(bestRc.sustainedAlertsPerSec! / bestAm.ackAlertsPerSec, 2),
        rcabotP99Ms: bestRc.p99Ms,
        alertmanagerP99Ms: bestAm.p99Ms,
        ...(ams.every((f) => f.serverCpuUsPerAlert !== undefined)
          ? { alertmanagerCpuUsPerAlert: Math.min(...ams.map((f) => f.serverCpuUsPerAlert!)) }
          : {}),
        rcabotCpuUsPerAlert: round(Math.min(...rcs.map((f) => f.serverCpuUsPerAlert! + f.redisCpuUsPerAlert!)), 2),
      },
    };
    const processed = await processedTotal(port);
    if (processed < stored) throw new Error(`rcabot_alerts_processed_total ${processed} < ${stored} alerts sent`);

    // Half load: the goal is 2× Alertmanager, so half of it is Alertmanager's own rate. Then half of rcabot's own
    // sustained rate: what a sender sees while rcabot has headroom.
    const halfRate = bestAm.ackAlertsPerSec;
    const halfLoadSec = options.halfLoadSec ?? 15;
    if (halfLoadSec > 0) {
      const openLoad = async (rate: number): Promise<OpenLoadFigures> => {
        const r = await generate(gen, {
          ...openLoadAt(rcabotUrl, rate),
          durationSec: halfLoadSec,
          batchSize,
          connections: connections * 4,
          distinctAlerts: Math.ceil(rate * halfLoadSec) + batchSize,
        });
        return {
          offeredPerSec: Math.round(rate),
          alertsPerSec: Math.round(r.alerts / (r.elapsedMs / 1000)),
          p50Ms: round(r.p50Ms, 2),
          p99Ms: round(r.p99Ms, 2),
          maxMs: round(r.maxMs, 1),
          failures: Object.values(r.failures).reduce((a, b) => a + b, 0),
          slowBySecond: r.slowBySecond ?? {},
          startedAtMs: r.startedAtMs ?? 0,
        };
      };
      result.halfLoad = await openLoad(halfRate);
      log(`half load ${result.halfLoad.alertsPerSec}/s: p50 ${result.halfLoad.p50Ms} ms, p99 ${result.halfLoad.p99Ms} ms, acks over 50 ms by second ${JSON.stringify(result.halfLoad.slowBySecond)} from ${new Date(result.halfLoad.startedAtMs).toISOString()}`);
      result.ownHalfLoad = await openLoad(bestRc.sustainedAlertsPerSec! / 2);
      log(`half of rcabot's sustained rate, ${result.ownHalfLoad.alertsPerSec}/s: p50 ${result.ownHalfLoad.p50Ms} ms, p99 ${result.ownHalfLoad.p99Ms} ms, acks over 50 ms by second ${JSON.stringify(result.ownHalfLoad.slowBySecond)} from ${new Date(result.ownHalfLoad.startedAtMs).toISOString()}`);
    }

    const soakSec = options.soakSec ?? 0;
    if (soakSec > 0) {
      const samples: MemorySample[] = [];
      const t0 = performance.now();
      const sample = async () => {
        const m = await serverMemory(server);
        samples.push({ atSec: Math.round((performance.now() - t0) / 1000), rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed) });
      };
      await sample();
      const timer = setInterval(() => void sample().then(() => log(`soak ${JSON.stringify(samples.at(-1))}`)), 10_000);
      const r = await generate(gen, {
        ...openLoadAt(rcabotUrl, options.soakRate ?? halfRate),
        durationSec: soakSec,
        batchSize,
        connections: connections * 4,
        // Fingerprints cycle (each cycle a new episode), so Redis state stays bounded through the soak.
        distinctAlerts: options.soakDistinct ?? 200_000,
      });
      clearInterval(timer);
      await sample();
      const stat = (f: (s: MemorySample) => number) => ({ start: f(samples[0]!), end: f(samples.at(-1)!), max: Math.max(...samples.map(f)) });
      result.soak = {
        seconds: soakSec,
        alertsPerSec: Math.round(r.alerts / (r.elapsedMs / 1000)),
        p99Ms: round(r.p99Ms, 2),
        failures: Object.values(r.failures).reduce((a, b) => a + b, 0),
        samples,
        rssMb: stat((s) => s.rssMb),
        heapUsedMb: stat((s) => s.heapUsedMb),
      };
    }
    result.loadAverage.end = os.loadavg().map((x) => round(x, 2));
    return result;
  } finally {
    clearInterval(watchdog);
    if (server.proc.exitCode === null && server.proc.signalCode === null) {
      server.proc.send({ kind: 'close' });
      await new Promise((r) => server.proc.once('exit', r));
    }
    gen.proc.kill();
    await queue.close();
    await deleteKeys(admin, prefix);
    await admin.quit();
  }
}

function flag(name: string): string | undefined {
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  if (eq) return eq.slice(name.length + 3);
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const num = (name: string) => (flag(name) === undefined ? undefined : Number(flag(name)));
  const r = await runIngestHttpBench({
    alerts: num('alerts'),
    rounds: num('rounds'),
    connections: num('connections'),
    halfLoadSec: num('half-load'),
    soakSec: num('soak'),
    soakRate: num('soak-rate'),
    soakDistinct: num('soak-distinct'),
    cpuProfDir: flag('cpu-prof'),
    alertmanagerUrl: flag('alertmanager'),
    ingestOnly: process.argv.includes('--ingest-only'),
    serverNodeOptions: flag('server-node-options'),
  });
  console.log(`server: ${r.server}; machine: ${r.machine}; load average ${r.loadAverage.start.join(' ')} → ${r.loadAverage.end.join(' ')}`);
  console.table(r.rounds);
  console.table([r.best]);
  if (r.halfLoad) {
    const row = (run: string, { slowBySecond, startedAtMs: _, ...figures }: OpenLoadFigures) => ({ run, ...figures, slowSeconds: Object.keys(slowBySecond).length });
    console.table([row('half load (open loop at Alertmanager rate)', r.halfLoad), ...(r.ownHalfLoad ? [row("open loop at half of rcabot's sustained rate", r.ownHalfLoad)] : [])]);
  }
  if (r.soak) {
    console.table(r.soak.samples);
    console.table([{ soakSec: r.soak.seconds, alertsPerSec: r.soak.alertsPerSec, p99Ms: r.soak.p99Ms, failures: r.soak.failures, rss: JSON.stringify(r.soak.rssMb), heapUsed: JSON.stringify(r.soak.heapUsedMb) }]);
  }
}

/** An open-loop load (a fixed rate, whatever the answers) of fresh alerts against rcabot's webhook. */
function openLoadAt(url: string, alertsPerSec: number) {
  return { kind: 'open', url, format: 'webhook-v4', runId: randomUUID().replace(/-/g, '').slice(0, 12), alertsPerSec } as const;
}
