import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { replayLines } from './src/replay/replay.ts';
const path = '.bench-out/replay-1000.ndjson';
const lines = () => createInterface({ input: createReadStream(path), crlfDelay: Infinity });
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  const r = await replayLines(lines());
  const t1 = performance.now();
  for (let k = 0; k < 3; k++) { const a = performance.now(); r.engine.analyze(r.at, { final: true }); console.log('  re-final ms', Math.round(performance.now() - a)); }
  console.log('replay ms', Math.round(t1 - t));
}
