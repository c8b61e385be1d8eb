// `npm run bench`: every benchmark in one run, printed as tables and written to .bench-out/results.json.
// The ingest comparison against a real Alertmanager needs one running: see docs/benchmarks.md (`--ingest`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { runOtlpBench } from './otlp.bench.js';
import { runHistoryBench } from './history.bench.js';
import { runReplayBench, runRerankBench } from './analysis.bench.js';
import { runSlackBench } from './slack.bench.js';
import { runIngestBench } from './ingest.bench.js';
import { runTraceMemoryBench } from './trace-memory.bench.js';

const args = process.argv.slice(2);
const results: Record<string, unknown> = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadavgStart: loadavg().map((x) => Math.round(x * 100) / 100) },
};

async function stage(name: string, run: () => Promise<unknown> | unknown): Promise<void> {
  process.stderr.write(`bench: ${name}…\n`);
  const r = await run();
  results[name] = r;
  console.log(`\n${name}`);
  console.table(r);
}

await stage('otlp', () => runOtlpBench());
await stage('traceMemory', () => runTraceMemoryBench());
await stage('history', () => runHistoryBench());
await stage('replay', () => runReplayBench());
await stage('rerank', () => runRerankBench([100, 1000, 10000]));
await stage('slack', () => runSlackBench());
await stage('queue', () => runIngestBench());
if (args.includes('--ingest')) {
  const { runIngestHttpBench } = await import('./ingest-http.bench.js');
  await stage('ingestHttp', () => runIngestHttpBench());
}
(results.machine as Record<string, unknown>).loadavgEnd = loadavg().map((x) => Math.round(x * 100) / 100);
mkdirSync('.bench-out', { recursive: true });
writeFileSync('.bench-out/results.json', JSON.stringify(results, null, 2));
process.stderr.write('bench: written to .bench-out/results.json\n');
process.exit(0);
