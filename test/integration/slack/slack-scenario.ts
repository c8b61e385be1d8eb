// A small outage for Slack tests: web → checkout → payments → payments-db, payments-db failing after a deploy
// of payments, alerts on web, checkout and payments. Built through the engine API, analysed at NOW.
import { Engine } from '../../../src/engine/engine.js';
import type { Alert } from '../../../src/model/alert.js';
import type { EdgeAggregate, ServiceAggregate } from '../../../src/model/trace-aggregate.js';
import { emptyCallStats, addCall, TRACE_BUCKET_MS } from '../../../src/model/trace-aggregate.js';
import { alert, deploy, MIN, T0 } from '../../support/alerts.js';

export const NOW = T0 + 6 * MIN;

function edgeBucket(caller: string, callee: string, bucket: number, calls: number, errors: number, latencyMs: number, db = false): EdgeAggregate {
  const s = emptyCallStats();
  for (let i = 0; i < calls; i++) addCall(s, latencyMs, i < errors);
  return { caller, callee, bucket, ...s, calleeUninstrumented: db, calleeKind: db ? 'database' : 'service' };
}

function serviceBucket(service: string, bucket: number, calls: number, errors: number, originErrors: number): ServiceAggregate {
  const s = emptyCallStats();
  for (let i = 0; i < calls; i++) addCall(s, 20, i < errors);
  return { service, bucket, ...s, originErrors };
}

export function scenarioAlerts(): Alert[] {
  return [
    alert('checkout', 'HighErrorRate', 0, { summary: 'checkout 5xx above 5%' }),
    alert('payments', 'HighErrorRate', 0.5, { severity: 'critical' }),
    alert('web', 'HighLatency', 1, { severity: 'warning' }),
  ];
}

/** Engine with the outage; `extraAlerts` join it (e.g. 500 alerts on many services). */
export function buildScenarioEngine(extraAlerts: Alert[] = []): Engine {
  const engine = new Engine();
  const edges: EdgeAggregate[] = [];
  const services: ServiceAggregate[] = [];
  for (let b = T0 - 40 * MIN; b <= NOW; b += TRACE_BUCKET_MS) {
    const bad = b >= T0 - MIN;
    edges.push(edgeBucket('web', 'checkout', b, 100, bad ? 30 : 0, bad ? 400 : 40));
    edges.push(edgeBucket('checkout', 'payments', b, 80, bad ? 40 : 0, bad ? 300 : 30));
    edges.push(edgeBucket('payments', 'payments-db', b, 80, bad ? 60 : 0, bad ? 900 : 5, true));
    edges.push(edgeBucket('checkout', 'inventory', b, 50, 0, 10));
    services.push(serviceBucket('payments', b, 80, bad ? 40 : 0, 0));
  }
  engine.applyTraceDelta({ edges, services });
  engine.applyChanges([deploy('payments', -4, 'v2.4.1')]);
  engine.applyAlerts([...scenarioAlerts(), ...extraAlerts]);
  return engine;
}

/** 500 alerts over 100 services, all firing, joining the outage over ten minutes. */
export function manyAlerts(n = 500): Alert[] {
  const out: Alert[] = [];
  for (let i = 0; i < n; i++) {
    out.push(alert(`svc-${String(i % 100).padStart(3, '0')}-${'x'.repeat(30)}`, `Alert${i % 37}WithAVeryLongNameForTesting`, (i % 10) / 2, { fingerprint: `fp-${i}`, severity: i % 3 === 0 ? 'critical' : 'warning' }));
  }
  return out;
}
