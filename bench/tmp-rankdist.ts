import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { replayLines } from '../src/replay/replay.js';
import { Engine } from '../src/engine/engine.js';
const path = '.bench-out/replay-1000.ndjson';
const lines = () => createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
const proto = Engine.prototype as any;
const rank = proto.rank;
const rec: Array<{ ms: number; alerts: number; services: number; cands: number; window: string }> = [];
proto.rank = function (this: any, ...args: any[]) {
  const t = performance.now();
  const r = rank.apply(this, args);
  rec.push({ ms: performance.now() - t, alerts: args[0].length, services: r.services.length, cands: r.rootCauses.length, window: `${r.window.from}` });
  return r;
};
await replayLines(lines());
rec.length = 0;
await replayLines(lines());
rec.sort((a, b) => b.ms - a.ms);
const total = rec.reduce((s, r) => s + r.ms, 0);
console.log('rankings', rec.length, 'total ms', total.toFixed(0));
let acc = 0;
for (const [i, r] of rec.entries()) { acc += r.ms; if (i < 25 || i % 100 === 0) console.log(i, r.ms.toFixed(2), r.alerts, r.services, r.cands, (acc / total).toFixed(2)); }
const byAlerts = new Map<number, [number, number]>();
for (const r of rec) { const k = Math.min(r.alerts, 20); const v = byAlerts.get(k) ?? [0, 0]; v[0]++; v[1] += r.ms; byAlerts.set(k, v); }
console.log([...byAlerts.entries()].sort((a, b) => a[0] - b[0]).map(([k, [n, ms]]) => `${k}:${n}x${(ms / n).toFixed(2)}`).join(' '));
