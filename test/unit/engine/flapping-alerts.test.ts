// An alert that fires again soon after it resolved continues its last episode (decision 032): one instance of the
// incident it joined, dated from its first start.
import { describe, it, expect } from 'vitest';
import { DEFAULT_ENGINE_OPTIONS, Engine, FLAP_GAP_MS } from '../../../src/engine/engine.js';
import { alert, MIN, T0 } from '../../support/alerts.js';
import { addCall, emptyCallStats, type TraceDelta } from '../../../src/model/trace-aggregate.js';

const FP = 'checkout-errors';
/** One firing of the alert, starting `start` minutes after T0; resolved at `end` when given. */
function firing(start: number, end?: number) {
  return alert('checkout', 'HighErrorRate', start, { fingerprint: FP, ...(end === undefined ? {} : { status: 'resolved' as const, endsAt: T0 + end * MIN }) });
}

describe('a flapping alert (decision 032)', () => {
  it('that fires again within the flap gap of its end stays in its incident, which opens again, dated from its first start', () => {
    expect(FLAP_GAP_MS).toBe(5 * MIN);
    const e = new Engine();
    e.applyAlerts([firing(0)], T0);
    const [first] = e.analyze(T0 + MIN);
    e.applyAlerts([firing(0, 3)], T0 + 3 * MIN);
    expect(e.analyze(T0 + 4 * MIN)[0]!.status).toBe('resolved');
    e.applyAlerts([firing(8)], T0 + 8 * MIN); // quiet for 5 minutes: at the gap
    const later = e.analyze(T0 + 9 * MIN);
    expect(later).toHaveLength(1);
    expect(later[0]).toMatchObject({ id: first!.id, status: 'open', alerts: [FP] });
    expect(e.alerts.get(FP)!.startsAt).toBe(T0);
    // Its sender's own dating of the episode is what the same state repeated is compared with.
    expect(e.holds(firing(8))).toBe(true);
    expect(e.holds(firing(0))).toBe(false);
    // And it resolves again with it.
    e.applyAlerts([firing(8, 10)], T0 + 10 * MIN);
    expect(e.analyze(T0 + 11 * MIN)[0]).toMatchObject({ id: first!.id, status: 'resolved' });
  });

  it('that fires again after a longer quiet is a new episode, opening a new incident', () => {
    const e = new Engine();
    e.applyAlerts([firing(0)], T0);
    const [first] = e.analyze(T0 + MIN);
    e.applyAlerts([firing(0, 3)], T0 + 3 * MIN);
    e.analyze(T0 + 4 * MIN);
    e.applyAlerts([firing(9)], T0 + 9 * MIN); // quiet for 6 minutes
    const later = e.analyze(T0 + 10 * MIN, { final: true });
    expect(later.map((i) => [i.id === first!.id, i.status])).toEqual([
      [false, 'open'],
      [true, 'resolved'],
    ]);
    expect(e.alerts.get(FP)!.startsAt).toBe(T0 + 9 * MIN);
  });

  it('continues only while the new firing starts within ten minutes (traceWindowMs) of its first start', () => {
    expect(DEFAULT_ENGINE_OPTIONS.traceWindowMs).toBe(10 * MIN);
    const e = new Engine();
    e.applyAlerts([firing(0)], T0);
    e.applyAlerts([firing(0, 2)], T0 + 2 * MIN);
    e.applyAlerts([firing(5)], T0 + 5 * MIN);
    e.applyAlerts([firing(5, 7)], T0 + 7 * MIN);
    e.applyAlerts([firing(10)], T0 + 10 * MIN); // ten minutes after the first start: the window's end
    expect(e.alerts.get(FP)!.startsAt).toBe(T0);
    e.applyAlerts([firing(10, 12)], T0 + 12 * MIN);
    e.applyAlerts([firing(14)], T0 + 14 * MIN); // past it: a flapping rule, read afresh
    expect(e.alerts.get(FP)!.startsAt).toBe(T0 + 14 * MIN);
  });

  it('reported firing again with a later start continues when the last report was at most the gap before it', () => {
    // Alertmanager saw it resolve and fire again between two notifications: both said firing.
    const soon = new Engine();
    soon.applyAlerts([firing(0)], T0 + MIN);
    soon.applyAlerts([firing(6)], T0 + 7 * MIN);
    expect(soon.alerts.get(FP)!.startsAt).toBe(T0);
    const late = new Engine();
    late.applyAlerts([firing(0)], T0 + MIN);
    late.applyAlerts([firing(7)], T0 + 8 * MIN);
    expect(late.alerts.get(FP)!.startsAt).toBe(T0 + 7 * MIN);
    // Without arrival times (a rebuild from stored state) nothing says how long it was quiet.
    const unknown = new Engine();
    unknown.applyAlerts([firing(0)]);
    unknown.applyAlerts([firing(1)]);
    expect(unknown.alerts.get(FP)!.startsAt).toBe(T0 + MIN);
  });

  it('keeps late and repeated reports of its episodes from moving it', () => {
    const e = new Engine();
    e.applyAlerts([firing(0)], T0);
    e.applyAlerts([firing(0, 2)], T0 + 2 * MIN);
    e.applyAlerts([firing(4)], T0 + 4 * MIN);
    // An HA peer resending the first episode's firing, or its resolve, is older than the episode that continues it.
    e.applyAlerts([firing(0), firing(0, 2)], T0 + 5 * MIN);
    expect(e.alerts.get(FP)).toMatchObject({ startsAt: T0, status: 'firing' });
    // The same firing repeated stays the same instance: one incident.
    e.applyAlerts([firing(4)], T0 + 6 * MIN);
    expect(e.analyze(T0 + 7 * MIN, { final: true })).toHaveLength(1);
  });

  it("reads the traces on to a while after its latest firing: what made it fire last may come after its first start's window", () => {
    /** checkout's calls to orders-db, one minute each from 40 minutes before T0: 80% fail from minute 11 on. */
    const traces = Array.from({ length: 56 }, (_, k): TraceDelta => {
      const minute = k - 40;
      const s = emptyCallStats();
      for (let i = 0; i < 50; i++) addCall(s, 20, minute >= 11 && i < 40);
      return { edges: [{ caller: 'checkout', callee: 'orders-db', bucket: T0 + minute * MIN, calleeUninstrumented: true, calleeKind: 'database', ...s }], services: [] };
    });
    const topRoot = (firings: ReadonlyArray<[ReturnType<typeof firing>, number]>): string | undefined => {
      const e = new Engine();
      for (const t of traces) e.applyTraceDelta(t);
      for (const [a, at] of firings) e.applyAlerts([a], at);
      return e.analyze(T0 + 16 * MIN, { final: true })[0]!.rootCauses[0]?.service;
    };
    // Only the first firing: its window (to minute 10) holds no failing call, and checkout is its own root.
    expect(topRoot([[firing(0), T0], [firing(0, 3), T0 + 3 * MIN]])).toBe('checkout');
    // It fired again at minute 8, as the same episode: the window runs on past minute 10 and sees orders-db fail.
    expect(topRoot([[firing(0), T0], [firing(0, 3), T0 + 3 * MIN], [firing(8), T0 + 8 * MIN]])).toBe('orders-db');
  });

  it('keeps, for a restart, when firing alerts whose episode a new firing can still continue were last reported', () => {
    const e = new Engine();
    const old = alert('cart', 'HighErrorRate', 0, { fingerprint: 'old' });
    e.applyAlerts([old], T0 + MIN);
    e.applyAlerts([firing(14)], T0 + 15 * MIN);
    e.applyAlerts([alert('cart', 'HighLatency', 13, { fingerprint: 'gone', status: 'resolved', endsAt: T0 + 14 * MIN })], T0 + 14 * MIN);
    // `old` began 16 minutes ago: more than the ten-minute limit plus the flap gap; `gone` is not firing.
    const now = T0 + 16 * MIN;
    expect(DEFAULT_ENGINE_OPTIONS.traceWindowMs + FLAP_GAP_MS).toBe(15 * MIN);
    expect(e.recentReports(now)).toEqual([[FP, T0 + 15 * MIN]]);

    // Restored after a restart, for alerts firing then and not reported since; what arrived since wins.
    const restarted = new Engine();
    restarted.applyAlerts([firing(14), alert('cart', 'HighLatency', 13, { fingerprint: 'gone', status: 'resolved', endsAt: T0 + 14 * MIN })]);
    restarted.restoreReports([[FP, T0 + 15 * MIN], ['gone', T0 + 14 * MIN], ['unknown', T0]]);
    expect(restarted.recentReports(now)).toEqual([[FP, T0 + 15 * MIN]]);
    // Reported firing again with a later start three minutes after that report: the same episode.
    restarted.applyAlerts([firing(17)], T0 + 18 * MIN);
    expect(restarted.alerts.get(FP)!.startsAt).toBe(T0 + 14 * MIN);
  });
});
