// Profiles only the re-analysis step of the rerank bench (after the first analysis), writing a .cpuprofile.
// Run: npx tsx bench/scale/profile-rerank.ts [services] [out.cpuprofile]
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { engineAt } from '../analysis.bench.js';

const services = Number(process.argv[2] ?? 1000);
const out = process.argv[3] ?? `.bench-out/rerank-${services}.cpuprofile`;
const { engine, now, next } = engineAt(services);
engine.analyze(now);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const times: number[] = [];
for (let i = 0; i < Number(process.env.ROUNDS ?? 20); i++) {
  engine.applyAlerts([{ ...next, fingerprint: `fp-new-${i}` }], now);
  const t = performance.now();
  engine.analyze(now + 1 + i);
  times.push(performance.now() - t);
}
const { profile } = await session.post('Profiler.stop');
writeFileSync(out, JSON.stringify(profile));
console.log(`re-analysis ms: ${times.map((t) => t.toFixed(1)).join(' ')}; profile ${out}`);
