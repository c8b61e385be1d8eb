// A flapping alert, replayed end to end from a generated stream (decision 032): frontend's latency alert fires with the
// first alert of a canary's failure, resolves and fires again every few minutes, and its last firing begins ten
// minutes after that first alert. Its firings are one episode, so it stays with the failure it belongs to.
import { describe, it, expect } from 'vitest';
import { replayLines } from '../../../src/replay/replay.js';
import { generateScenario } from '../../../bench/scenarios/scenario-generator.js';

const scenario = generateScenario('canary-release', 33, {});
const truth = scenario.truth.incidents[0]!;
const FLAPPING = '89b47313d963f659';

interface AlertEvent {
  type: string;
  payload: { alerts?: Array<{ fingerprint: string; status: string; startsAt: string }> };
}

/** The starts of the alert's firings, in the order they were reported. */
function firingsOf(lines: readonly string[], fingerprint: string): string[] {
  const starts: string[] = [];
  for (const line of lines) {
    const event = JSON.parse(line) as AlertEvent;
    for (const a of event.payload.alerts ?? []) if (a.fingerprint === fingerprint && a.status === 'firing' && !starts.includes(a.startsAt)) starts.push(a.startsAt);
  }
  return starts;
}

/** The stream without the alert's reports before its last firing: an alert that first fired late. */
function onlyLastFiring(lines: readonly string[], fingerprint: string): string[] {
  const last = firingsOf(lines, fingerprint).at(-1)!;
  return lines.flatMap((line) => {
    const event = JSON.parse(line) as AlertEvent;
    if (event.type !== 'alertmanager') return [line];
    const alerts = event.payload.alerts!.filter((a) => a.fingerprint !== fingerprint || a.startsAt === last);
    return alerts.length === 0 ? [] : [JSON.stringify({ ...event, payload: { ...event.payload, alerts } })];
  });
}

async function incidentsHolding(lines: readonly string[]) {
  const { incidents } = await replayLines(lines);
  return truth.alerts.map((fp) => incidents.find((i) => i.alerts.includes(fp))!);
}

describe('a flapping alert replayed (decision 032)', () => {
  it('is the scenario it claims to be: the alert fired four times, its last firing ten minutes after the failure began', () => {
    expect(truth.rootCause).toBe('merchants-reader');
    expect(truth.alerts).toContain(FLAPPING);
    const starts = firingsOf(scenario.events, FLAPPING).map((s) => Date.parse(s));
    expect(starts).toHaveLength(4);
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThan(8 * 60_000);
  });

  it('keeps its firings one episode: both alerts of the failure in one incident, which blames the canary', async () => {
    const [a, b] = await incidentsHolding(scenario.events);
    expect(a!.id).toBe(b!.id);
    expect(a!.rootCauses[0]!.service).toBe('merchants-reader');
  }, 30_000);

  // Without its earlier firings the alert is no episode of the failure's: it clustered alone and stayed apart, until its
  // calls into the failing canary were read since the canary's incident began (decision 041), against the calls before
  // it. Decision 032's own effect is tested in test/unit/engine/flapping-alerts.test.ts.
  it('joins an alert that first fired ten minutes late to the failure by its calls since the failure began (decision 041)', async () => {
    const [a, b] = await incidentsHolding(onlyLastFiring(scenario.events, FLAPPING));
    expect(a!.id).toBe(b!.id);
    expect(a!.rootCauses[0]!.service).toBe('merchants-reader');
  }, 30_000);
});
