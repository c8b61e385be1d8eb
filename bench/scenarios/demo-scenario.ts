// The bundled demo incident (fixtures/scenarios/checkout-db-outage): a small shop whose orders database
// (uninstrumented, no alert of its own) starts refusing connections, a distractor deploy of payments,
// an unrelated certificate-expiry alert, and a history with one similar past outage.
// Run `npx tsx bench/scenarios/demo-scenario.ts` to rewrite the fixture.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HistoricalIncident } from '../../src/model/history.js';
import { createRng, type Rng } from './rng.js';
import { addNode, computeReach, connect, emptyTopology, makeNode, type Topology } from './topology-generator.js';
import { makeFault, type ScenarioPlan } from './families.js';
import { planDeploy } from './change-emitter.js';
import { playScenario, type Scenario } from './scenario-generator.js';

const MINUTE = 60_000;
/** Seed chosen (by searching from 1) for a run where every caller on the failing path alerts and the only noise is the certificate. */
export const DEMO_SEED = 189;

function shopTopology(rng: Rng): Topology {
  const t = emptyTopology();
  const svc = (name: string, kind: 'frontend' | 'service' = 'service'): void => void addNode(t, makeNode(rng, name, kind, kind === 'frontend' ? 0 : 1, 'shop'));
  svc('frontend', 'frontend');
  for (const n of ['checkout', 'cart', 'recommendations', 'catalog', 'payments', 'orders', 'shipping', 'email', 'currency']) svc(n);
  addNode(t, makeNode(rng, 'orders-db', 'database', 3, 'shop', 'postgresql'));
  addNode(t, makeNode(rng, 'redis-cache', 'cache', 3, 'shop', 'redis'));
  const call = (caller: string, callee: string, probability: number, errorPropagation = 0.95): void => connect(t, { caller, callee, probability, errorPropagation });
  call('frontend', 'catalog', 0.8, 0.6);
  call('frontend', 'recommendations', 0.5, 0.1);
  call('frontend', 'cart', 0.4, 0.8);
  call('frontend', 'checkout', 0.3);
  call('checkout', 'cart', 1);
  call('checkout', 'payments', 1);
  call('checkout', 'orders', 1);
  call('checkout', 'shipping', 0.9, 0.5);
  call('checkout', 'email', 0.9, 0.05);
  call('payments', 'currency', 0.7);
  call('recommendations', 'catalog', 1, 0.3);
  call('catalog', 'redis-cache', 0.9, 0.2);
  call('cart', 'redis-cache', 1);
  call('orders', 'orders-db', 1, 1);
  t.frontendShare.set('frontend', 1);
  computeReach(t);
  return t;
}

export function demoPlan(rng: Rng): ScenarioPlan {
  const topology = shopTopology(rng.fork('topology'));
  const startMs = Date.parse('2026-10-14T08:48:00.000Z');
  const t0 = Date.parse('2026-10-14T09:00:12.000Z');
  const fault = makeFault(rng, topology, 'A', 'orders-db', 'down', t0, 'none', 'resource');
  fault.rampMs = 40_000;
  fault.errorRate = 0.85;
  fault.errorMessage = 'FATAL: remaining connection slots are reserved for non-replication superuser connections';
  const distractor = { ...planDeploy(rng, 'payments', t0 - 7 * MINUTE - 24_000), via: 'deploy' as const };
  return {
    topology,
    faults: [fault],
    deploys: [distractor],
    naming: 'service',
    noiseAlerts: 1,
    startMs,
    baselineMinutes: 12,
    endMs: t0 + 11 * MINUTE,
    tracesPerMinute: 3,
    requestsPerMinute: 240,
    randomHistory: 0,
    twins: null,
  };
}

const iso = (s: string): string => new Date(s).toISOString();

/** Six past incidents; INC-1042 is the similar one (same alerts, root cause orders-db). */
export const DEMO_HISTORY: HistoricalIncident[] = [
  { id: 'INC-1017', title: 'Payments 5xx after release 3.8.0', openedAt: iso('2026-06-03T14:12:00Z'), resolvedAt: iso('2026-06-03T14:51:00Z'), rootCause: { service: 'payments', category: 'deploy' }, alerts: [ { service: 'payments', alertname: 'HighErrorRate' }, { service: 'checkout', alertname: 'HighErrorRate' } ], remediation: { runbook: 'rollback-deployment', target: 'payments' } },
  { id: 'INC-1023', title: 'Cart latency: redis-cache evicting under memory pressure', openedAt: iso('2026-06-21T19:40:00Z'), resolvedAt: iso('2026-06-21T20:35:00Z'), rootCause: { service: 'redis-cache', category: 'resource' }, alerts: [ { service: 'cart', alertname: 'HighLatencyP95' }, { service: 'frontend', alertname: 'HighLatencyP95' } ], remediation: { runbook: 'restart-cache', target: 'redis-cache' } },
  { id: 'INC-1031', title: 'Catalog serving stale prices after config rollout', openedAt: iso('2026-07-09T08:05:00Z'), resolvedAt: iso('2026-07-09T09:20:00Z'), rootCause: { service: 'catalog', category: 'config' }, alerts: [ { service: 'catalog', alertname: 'HighErrorRate' } ] },
  { id: 'INC-1042', title: 'Checkout failing: orders-db out of connections', openedAt: iso('2026-08-02T11:17:00Z'), resolvedAt: iso('2026-08-02T12:02:00Z'), rootCause: { service: 'orders-db', category: 'resource' }, alerts: [ { service: 'orders', alertname: 'HighErrorRate' }, { service: 'checkout', alertname: 'HighErrorRate' }, { service: 'frontend', alertname: 'HighErrorRate' } ], remediation: { runbook: 'failover-database', target: 'orders-db' } },
  { id: 'INC-1055', title: 'Shipping quotes slow: carrier API degraded', openedAt: iso('2026-08-28T16:30:00Z'), resolvedAt: iso('2026-08-28T17:45:00Z'), rootCause: { service: 'shipping', category: 'dependency' }, alerts: [ { service: 'shipping', alertname: 'HighLatencyP95' }, { service: 'checkout', alertname: 'HighLatencyP95' } ] },
  { id: 'INC-1061', title: 'Frontend TLS certificate expired', openedAt: iso('2026-09-15T00:02:00Z'), resolvedAt: iso('2026-09-15T00:40:00Z'), rootCause: { service: 'frontend', category: 'config' }, alerts: [ { service: 'frontend', alertname: 'CertificateExpiringSoon' } ] },
];

export function demoScenario(seed = DEMO_SEED): Scenario {
  const rng = createRng(seed);
  const scenario = playScenario(demoPlan(rng.fork('plan')), rng);
  scenario.history = DEMO_HISTORY;
  return scenario;
}

function main(): void {
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/scenarios/checkout-db-outage');
  const s = demoScenario();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'events.ndjson'), s.events.join('\n') + '\n');
  writeFileSync(join(dir, 'history.json'), JSON.stringify(s.history, null, 2) + '\n');
  writeFileSync(join(dir, 'truth.json'), JSON.stringify(s.truth, null, 2) + '\n');
  process.stderr.write(`wrote ${s.events.length} events to ${dir}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
