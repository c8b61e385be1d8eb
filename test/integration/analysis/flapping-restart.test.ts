// A flapping alert across an analyzer restart (decision 032): the stored alerts keep only each alert's latest state,
// so the analyzer saves which firings continue an earlier episode, and a restarted analyzer keeps the incident.
import { afterAll, describe, expect, it } from 'vitest';
import { Analyzer, analyzerKeys } from '../../../src/analysis/analyzer.js';
import { AlertStore } from '../../../src/store/alert-store.js';
import type { Alert } from '../../../src/model/alert.js';
import { deleteKeys, newTestRedis, uniquePrefix } from '../../support/redis.js';
import { T0, alert, resolved } from '../store/alert-fixtures.js';
import { silentLogger } from '../queue/queue-harness.js';

const MIN = 60_000;
const redis = newTestRedis();
const prefixes: string[] = [];

afterAll(async () => {
  for (const p of prefixes) await deleteKeys(redis, p);
  await redis.quit();
});

/** A fresh key prefix, its alert store, and analyzers on it that read `clock.now`. */
function analyzerSetup(name: string) {
  const prefix = uniquePrefix(name);
  prefixes.push(prefix);
  const clock = { now: T0 };
  const analyzer = () => new Analyzer({ redis, prefix, logger: silentLogger, now: () => clock.now, minIntervalMs: 3_600_000, engine: { settleMs: 0 } });
  return { prefix, store: new AlertStore(redis, prefix), clock, analyzer };
}

/** Drops one field from the analyzer's saved snapshot, as a snapshot written before it existed. */
async function dropFromSnapshot(prefix: string, field: string): Promise<void> {
  const key = analyzerKeys(prefix).tracker;
  const saved = JSON.parse((await redis.get(key))!) as Record<string, unknown>;
  delete saved[field];
  await redis.set(key, JSON.stringify(saved));
}

/** Runs the alert's life through an analyzer (each state stored as the ingest workers store it), then restarts it. */
async function restartAfterFlapping(dropSavedContinuations: boolean) {
  const { prefix, store, clock, analyzer } = analyzerSetup('flapping-restart');
  const first = analyzer();
  const firstEpisode = alert({ fingerprint: 'flappy' });
  const step = async (a: Alert, at: number) => {
    clock.now = at;
    await store.applyAlerts([a]);
    first.apply({ alerts: [a], changes: [], traces: [] });
    return first.analyzeNow();
  };
  try {
    const [opened] = await step(firstEpisode, T0 + MIN);
    await step(resolved(firstEpisode, T0 + 3 * MIN), T0 + 3 * MIN);
    const beforeRestart = await step(alert({ fingerprint: 'flappy', startsAt: T0 + 6 * MIN }), T0 + 6 * MIN);
    expect(beforeRestart.map((r) => [r.id, r.status])).toEqual([[opened!.id, 'open']]);
  } finally {
    await first.close();
  }
  if (dropSavedContinuations) await dropFromSnapshot(prefix, 'flapping');
  const restarted = analyzer();
  try {
    await restarted.rebuild();
    clock.now = T0 + 7 * MIN;
    return { reports: await restarted.analyzeNow(), engine: restarted.state };
  } finally {
    await restarted.close();
  }
}

describe('a flapping alert across a restart (decision 032)', () => {
  it('stays the one instance of its incident, which stays open', async () => {
    const { reports, engine } = await restartAfterFlapping(false);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ status: 'open', alerts: ['flappy'] });
    expect(engine.alerts.get('flappy')!.startsAt).toBe(T0);
    expect(engine.holds(alert({ fingerprint: 'flappy', startsAt: T0 + 6 * MIN }))).toBe(true);
  });

  it('without the saved continuations, would have resolved its incident and opened another', async () => {
    const { reports } = await restartAfterFlapping(true);
    expect(reports.map((r) => r.status).sort()).toEqual(['open', 'resolved']);
  });
});

/**
 * An alert that resolved and fired again between two of its sender's notifications: the sender reports firing, then
 * firing with a later start. Whether that continues the episode depends on when the first report arrived, which the
 * stored alerts do not keep: the analyzer saves it, and a restart in between keeps the episode.
 */
async function refireAcrossRestart(dropSavedReports: boolean) {
  const { prefix, store, clock, analyzer } = analyzerSetup('refire-restart');
  const first = analyzer();
  const firstEpisode = alert({ fingerprint: 'refiring' });
  let opened: string | undefined;
  try {
    clock.now = T0 + MIN;
    await store.applyAlerts([firstEpisode]);
    first.apply({ alerts: [firstEpisode], changes: [], traces: [] });
    opened = (await first.analyzeNow())[0]?.id;
    expect(opened).toBeDefined();
  } finally {
    await first.close();
  }
  if (dropSavedReports) await dropFromSnapshot(prefix, 'reported');
  const restarted = analyzer();
  try {
    clock.now = T0 + 2 * MIN;
    await restarted.rebuild();
    await restarted.analyzeNow(); // as a restarted analyzer does at once (and then waits minIntervalMs: no timer races)
    // Three minutes after the first report, firing again since T0 + 4 min: a gap of at most three minutes.
    const again = alert({ fingerprint: 'refiring', startsAt: T0 + 4 * MIN });
    clock.now = T0 + 4 * MIN + 30_000;
    await store.applyAlerts([again]);
    restarted.apply({ alerts: [again], changes: [], traces: [] });
    return { opened, reports: await restarted.analyzeNow(), engine: restarted.state };
  } finally {
    await restarted.close();
  }
}

describe('an alert reported firing again with a later start, across a restart (decision 032)', () => {
  it('continues its episode: one instance, dated from the first start, of the incident it opened, which stays open', async () => {
    const { opened, reports, engine } = await refireAcrossRestart(false);
    expect(reports.map((r) => [r.id, r.status])).toEqual([[opened, 'open']]);
    expect(engine.alerts.get('refiring')!.startsAt).toBe(T0);
    expect(engine.holds(alert({ fingerprint: 'refiring', startsAt: T0 + 4 * MIN }))).toBe(true);
  });

  it('without the saved report times, would begin a new episode, dated from the new start', async () => {
    const { engine } = await refireAcrossRestart(true);
    expect(engine.alerts.get('refiring')!.startsAt).toBe(T0 + 4 * MIN);
    expect(engine.holds(alert({ fingerprint: 'refiring', startsAt: T0 + 4 * MIN }))).toBe(true);
  });
});
