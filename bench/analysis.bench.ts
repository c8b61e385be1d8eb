// Analysis performance: (1) replay of a large stream vs merely JSON.parse-ing its lines, with peak RSS;
// (2) re-analysis after one new alert at 100 / 1,000 / 10,000 services.
// Run: npx tsx bench/analysis.bench.ts [--skip-replay] [--skip-rerank] [--sizes 100,1000,10000]
import { createReadStream, createWriteStream, mkdirSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Engine } from '../src/engine/engine.js';
import { replayLines } from '../src/replay/replay.js';
import { emptyCallStats, addCall, TRACE_BUCKET_MS, type TraceDelta } from '../src/model/trace-aggregate.js';
import type { Alert } from '../src/model/alert.js';
import { seededRandom } from '../src/model/seeded-random.js';
import { layeredEdges, REPLAY_SHAPE, syntheticStream } from './scale/synthetic-stream.js';

const OUT = '.bench-out';

async function writeStream(path: string): Promise<void> {
  const out = createWriteStream(path);
  for (const line of syntheticStream(REPLAY_SHAPE)) if (!out.write(line + '\n')) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

function lines(path: string): AsyncIterable<string> {
  return createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
}

async function timeParseOnly(path: string): Promise<number> {
  const t = performance.now();
  let n = 0;
  for await (const line of lines(path)) if (line) n += (JSON.parse(line) as { type: string }).type.length;
  if (n < 0) throw new Error('unreachable');
  return performance.now() - t;
}

async function timeReplay(path: string): Promise<{ ms: number; incidents: number }> {
  const t = performance.now();
  const r = await replayLines(lines(path));
  return { ms: performance.now() - t, incidents: r.incidents.length };
}

/** Peak RSS of the real CLI replaying the file, in its own process. */
function cliPeakRssMb(path: string): number {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--import', './bench/scale/report-max-rss.ts', 'src/cli.ts', 'replay', path, '--json'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 1 << 26,
  });
  const m = /MAXRSS (\d+)/.exec(result.stderr.toString());
  return m ? Number(m[1]) / 1024 : NaN;
}

export async function runReplayBench(): Promise<Record<string, number>> {
  mkdirSync(OUT, { recursive: true });
  const path = `${OUT}/replay-${REPLAY_SHAPE.services}.ndjson`;
  await writeStream(path);
  const mb = statSync(path).size / 1e6;
  const parse: number[] = [];
  const replay: number[] = [];
  let incidents = 0;
  // Best of five, alternating: the machines sessions get are noisy (±10% run to run), and the noise only ever slows.
  for (let round = 0; round < 5; round++) {
    parse.push(await timeParseOnly(path));
    const r = await timeReplay(path);
    replay.push(r.ms);
    incidents = r.incidents;
  }
  const p = Math.min(...parse);
  const r = Math.min(...replay);
  return { inputMB: round1(mb), parseOnlyMs: Math.round(p), replayMs: Math.round(r), ratio: round2(r / p), incidents, cliPeakRssMB: Math.round(cliPeakRssMb(path)) };
}

/** One minute of per-edge aggregates (20 calls each, 2% of edges failing after minute 30). */
function minuteOfTraces(edges: ReadonlyArray<[string, string]>, bucket: number, failingAfter: boolean, rng: () => number): TraceDelta {
  const delta: TraceDelta = { edges: [], services: [] };
  for (const [caller, callee] of edges) {
    const s = emptyCallStats();
    const failing = failingAfter && rng() < 0.02;
    for (let i = 0; i < 20; i++) addCall(s, failing ? 400 : 20, failing && i < 8);
    delta.edges.push({ caller, callee, bucket, calleeUninstrumented: false, calleeKind: 'service', ...s });
  }
  return delta;
}

/** Engine state for `services` services: an hour of per-minute edge aggregates and 3.5 alerts per service. */
export function engineAt(services: number): { engine: Engine; now: number; next: Alert; edges: Array<[string, string]>; rng: () => number } {
  const rng = seededRandom(11);
  const edges = layeredEdges(services, rng);
  const t0 = Date.parse('2026-10-14T08:00:00Z');
  const engine = new Engine();
  for (let m = 0; m < 60; m++) engine.applyTraceDelta(minuteOfTraces(edges, t0 + m * TRACE_BUCKET_MS, m >= 30, rng));
  const alerts: Alert[] = [];
  const count = Math.round(services * 3.5);
  for (let i = 0; i < count; i++) {
    const service = `svc-${Math.floor(rng() * services)}`;
    alerts.push({ fingerprint: `fp-${i}`, service, name: i % 2 ? 'HighErrorRate' : 'HighLatencyP99', severity: 'critical', status: 'firing', labels: { service }, summary: '', startsAt: t0 + 30 * 60_000 + Math.floor(rng() * 30 * 60_000), endsAt: null, source: 'alertmanager' });
  }
  engine.applyAlerts(alerts);
  const now = t0 + 60 * 60_000;
  const next: Alert = { ...alerts[0]!, fingerprint: 'fp-new', name: 'HighLatencyP99', startsAt: now - 1000 };
  return { engine, now, next, edges, rng };
}

/** Wall and CPU time of one call, in ms. */
function timed(run: () => void): { ms: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const t = performance.now();
  run();
  const ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

/**
 * Per size: the first analysis (clusters and ranks everything); re-analysis after one new alert, best of 5 (wall
 * and CPU: CPU is the steadier figure on a shared machine), and the first of those 5 (it also computes the relations
 * whose trace windows were still open at the first analysis); and re-analysis after a new minute of traces plus
 * one new alert (every open-window relation is recomputed: the live server between trace flushes), best of 5 minutes,
 * and the first of those (the first minute after the first analysis, whose relations are all still unsettled).
 */
export function runRerankBench(sizes: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  // An untimed round first, so that the smallest size is not measured with cold (unoptimised) code.
  const warm = engineAt(Math.min(...sizes));
  warm.engine.analyze(warm.now);
  for (const size of sizes) {
    const { engine, now, next, edges, rng } = engineAt(size);
    let incidents = 0;
    const first = timed(() => (incidents = engine.analyze(now).length));
    const times: Array<{ ms: number; cpuMs: number }> = [];
    for (let i = 0; i < 5; i++) {
      engine.applyAlerts([{ ...next, fingerprint: `fp-new-${i}` }], now);
      times.push(timed(() => engine.analyze(now + 1 + i)));
    }
    // A new minute of traces (the live server gets one every flush), then one more alert; five such minutes, as one
    // analysis is too noisy a measure on a shared machine.
    const afterTraces: Array<{ ms: number; cpuMs: number }> = [];
    for (let k = 1; k <= 5; k++) {
      const later = now + k * 60_000;
      engine.applyTraceDelta(minuteOfTraces(edges, later - 60_000, true, rng));
      engine.applyAlerts([{ ...next, fingerprint: `fp-after-traces-${k}`, startsAt: later - 1000 }], later);
      afterTraces.push(timed(() => engine.analyze(later)));
    }
    out[`services${size}.incidents`] = incidents;
    out[`services${size}.firstAnalysisMs`] = Math.round(first.ms);
    out[`services${size}.reanalysisMs`] = Math.round(Math.min(...times.map((t) => t.ms)));
    out[`services${size}.reanalysisCpuMs`] = Math.round(Math.min(...times.map((t) => t.cpuMs)));
    out[`services${size}.firstReanalysisMs`] = Math.round(times[0]!.ms);
    out[`services${size}.afterTraceDeltaMs`] = Math.round(Math.min(...afterTraces.map((t) => t.ms)));
    out[`services${size}.afterTraceDeltaCpuMs`] = Math.round(Math.min(...afterTraces.map((t) => t.cpuMs)));
    out[`services${size}.firstAfterTraceDeltaMs`] = Math.round(afterTraces[0]!.ms);
  }
  return out;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const sizesArg = args[args.indexOf('--sizes') + 1];
  const sizes = args.includes('--sizes') && sizesArg ? sizesArg.split(',').map(Number) : [100, 1000, 10000];
  if (!args.includes('--skip-replay')) console.table(await runReplayBench());
  if (!args.includes('--skip-rerank')) console.table(runRerankBench(sizes));
}
