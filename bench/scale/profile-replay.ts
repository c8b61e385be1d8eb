// Profiles one replay of the synthetic stream (written by `bench/analysis.bench.ts`), writing a .cpuprofile, and
// prints how long the final analysis took within it.
// Run: npx tsx bench/scale/profile-replay.ts [.bench-out/replay-1000.ndjson] [out.cpuprofile]
import { createReadStream, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { replayLines } from '../../src/replay/replay.js';
import { Engine } from '../../src/engine/engine.js';

const path = process.argv[2] ?? '.bench-out/replay-1000.ndjson';
const out = process.argv[3] ?? '.bench-out/replay.cpuprofile';
const lines = () => createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });

let analyzeMs = 0;
const analyze = Engine.prototype.analyze;
Engine.prototype.analyze = function (this: Engine, ...args: Parameters<Engine['analyze']>) {
  const t = performance.now();
  try {
    return analyze.apply(this, args);
  } finally {
    analyzeMs += performance.now() - t;
  }
};

await replayLines(lines()); // warm-up
analyzeMs = 0;
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.start');
const t = performance.now();
const r = await replayLines(lines());
const ms = performance.now() - t;
const { profile } = await session.post('Profiler.stop');
writeFileSync(out, JSON.stringify(profile));
console.log(`replay ${ms.toFixed(0)} ms (final analysis ${analyzeMs.toFixed(0)} ms), ${r.incidents.length} incidents; profile ${out}`);
