import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { replayLines } from './src/replay/replay.ts';
const path = '.bench-out/replay-1000.ndjson';
const lines = () => createInterface({ input: createReadStream(path), crlfDelay: Infinity });
for (let i = 0; i < 2; i++) {
  const t = performance.now();
  const r = await replayLines(lines());
  console.log('replay ms', Math.round(performance.now() - t), r.incidents.length);
}
