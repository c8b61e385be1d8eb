// A replay that also analyses while it reads (as the server does while events arrive) against one final analysis.
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { replayLines } from '../../../src/replay/replay.js';
import { HistoryFileSchema } from '../../../src/model/history.js';

const demo = 'fixtures/scenarios/checkout-db-outage';
const lines = readFileSync(`${demo}/events.ndjson`, 'utf8').split('\n');
const history = HistoryFileSchema.parse(JSON.parse(readFileSync(`${demo}/history.json`, 'utf8')));

describe('replaying live', () => {
  it('analyses every interval of stream time, and the demo outage comes out as one final analysis sees it', async () => {
    const final = await replayLines(lines, { history });
    const live = await replayLines(lines, { history, analyzeEveryMs: 30_000 });
    expect(final.analyses).toBe(1);
    // An analysis whenever the stream's clock has moved 30 s past the previous one (the first event starts the clock;
    // quiet stretches of the stream hold none), plus the final one.
    let expected = 1;
    let next: number | null = null;
    let clock = Number.NEGATIVE_INFINITY;
    for (const l of lines) {
      if (l.trim() === '') continue;
      clock = Math.max(clock, Date.parse((JSON.parse(l) as { receivedAt: string }).receivedAt));
      if (next === null || clock >= next) {
        if (next !== null) expected++;
        next = clock + 30_000;
      }
    }
    expect(expected).toBeGreaterThan(10);
    expect(live.analyses).toBe(expected);
    // The outage opened during the replay keeps its identity and alerts, and is ranked as the final analysis ranks it.
    const outage = (r: typeof final) => r.incidents.find((i) => i.rootCauses[0]?.service === 'orders-db')!;
    expect(outage(live).id).toBe(outage(final).id);
    expect([...outage(live).alerts].sort()).toEqual([...outage(final).alerts].sort());
    expect(outage(live).rootCauses.slice(0, 3)).toEqual(outage(final).rootCauses.slice(0, 3));
  });
});
