// The generator's traffic simulation: which calls a fault touched, the input of the truth's attribution.
import { describe, expect, it } from 'vitest';
import { FaultPlan, type Fault } from '../../../bench/scenarios/fault-injector.js';
import { createRng } from '../../../bench/scenarios/rng.js';
import type { CallEdge, Topology, TopologyNode } from '../../../bench/scenarios/topology-generator.js';
import { simulateTraffic, type MinuteStats } from '../../../bench/scenarios/traffic-generator.js';

const START = Date.UTC(2026, 0, 1, 9, 0);
const MINUTE = 60_000;

function node(name: string, kind: TopologyNode['kind'], layer: number): TopologyNode {
  const instrumented = kind !== 'database';
  return { name, kind, instrumented, layer, system: instrumented ? null : 'postgresql', selfLatencyMs: 5, latencySigma: 0.2, baseErrorRate: 0, timeoutMs: 2000, parallelCalls: false, pods: [`${name}-0`], namespace: 'shop', language: 'go' };
}

/** web → orders → orders-db; orders swallows every failed database call (a fallback), web passes failures on. */
function topology(): Topology {
  const nodes = [node('web', 'frontend', 0), node('orders', 'service', 1), node('orders-db', 'database', 2)];
  const edge = (caller: string, callee: string, errorPropagation: number): CallEdge => ({ caller, callee, probability: 1, errorPropagation });
  return {
    nodes,
    byName: new Map(nodes.map((n) => [n.name, n])),
    callees: new Map([['web', [edge('web', 'orders', 1)]], ['orders', [edge('orders', 'orders-db', 0)]]]),
    callers: new Map([['orders', ['web']], ['orders-db', ['orders']]]),
    frontends: ['web'],
    reach: new Map([['web', 1], ['orders', 1], ['orders-db', 1]]),
    frontendShare: new Map([['web', 1]]),
  };
}

const failingDb: Fault = { id: 'A', root: 'orders-db', alsoAffects: [], kind: 'errors', startMs: START + 5 * MINUTE, rampMs: 0, errorRate: 1, extraLatencyMs: 0, errorMessage: 'connection refused', rootAlerting: 'none', category: 'dependency' };

function minutes(series: MinuteStats[] | undefined, from: number, to: number): MinuteStats[] {
  return (series ?? []).slice(from, to).filter((m): m is MinuteStats => m !== undefined);
}

describe('simulateTraffic', () => {
  const traffic = simulateTraffic(createRng(7), topology(), new FaultPlan([failingDb]), { startMs: START, endMs: START + 10 * MINUTE, requestsPerMinute: 120, sampleRatio: 0 });

  it('marks as touched every call a failing dependency reached below, even when the failure was swallowed', () => {
    for (const name of ['orders-db', 'orders', 'web']) {
      const during = minutes(traffic.stats.get(name), 5, 10);
      expect(during.length).toBe(5);
      for (const m of during) expect(m.byCause.get(0)?.calls).toBe(m.calls);
    }
    // orders absorbed the failures: it served every call, touched or not, without an error.
    for (const m of minutes(traffic.stats.get('orders'), 5, 10)) expect(m.errors).toBe(0);
    for (const m of minutes(traffic.stats.get('orders-db'), 5, 10)) expect(m.byCause.get(0)!.errors).toBe(m.calls);
  });

  it('touches nothing before the fault begins', () => {
    for (const name of ['orders-db', 'orders', 'web']) for (const m of minutes(traffic.stats.get(name), 0, 5)) expect(m.byCause.size).toBe(0);
  });
});

/** web calls a shared hub first, then orders-db; a failure of orders-db reaches web's callers as web's error. */
function hubThenDatabase(): Topology {
  const nodes = [node('web', 'frontend', 0), node('hub', 'service', 1), node('orders-db', 'database', 1)];
  const edge = (caller: string, callee: string): CallEdge => ({ caller, callee, probability: 1, errorPropagation: 1 });
  return {
    nodes,
    byName: new Map(nodes.map((n) => [n.name, n])),
    callees: new Map([['web', [edge('web', 'hub'), edge('web', 'orders-db')]]]),
    callers: new Map([['hub', ['web']], ['orders-db', ['web']]]),
    frontends: ['web'],
    reach: new Map([['web', 1], ['hub', 1], ['orders-db', 1]]),
    frontendShare: new Map([['web', 1]]),
  };
}

describe('simulateTraffic with two faults on one call path', () => {
  // A: orders-db fails every call; B: the hub, called first, gets a little slower (a background degradation).
  const slowHub: Fault = { ...failingDb, id: 'B', root: 'hub', kind: 'latency', errorRate: 0, extraLatencyMs: 20, errorMessage: '' };
  const run = (db: Fault) =>
    simulateTraffic(createRng(11), hubThenDatabase(), new FaultPlan([db, slowHub]), { startMs: START, endMs: START + 10 * MINUTE, requestsPerMinute: 120, sampleRatio: 0 });

  it("gives a failed call to the fault whose error it returns, not to the one it met first", () => {
    for (const m of minutes(run(failingDb).stats.get('web'), 5, 10)) {
      expect(m.errors).toBe(m.calls);
      expect(m.byCause.get(0)?.errors).toBe(m.calls);
      expect(m.byCause.has(1)).toBe(false);
    }
  });

  it('gives a slow call to the fault that added the most time', () => {
    const slowDb: Fault = { ...failingDb, kind: 'latency', errorRate: 0, extraLatencyMs: 400 };
    for (const m of minutes(run(slowDb).stats.get('web'), 5, 10)) {
      expect(m.errors).toBe(0);
      expect(m.byCause.get(0)?.calls).toBe(m.calls);
      expect(m.byCause.has(1)).toBe(false);
    }
    // The hub's own calls are still its fault's.
    for (const m of minutes(run(slowDb).stats.get('hub'), 5, 10)) expect(m.byCause.get(1)?.calls).toBe(m.calls);
  });
});
