// A large synthetic event stream for performance work: a layered service graph, OTLP/JSON client+server span
// pairs, Alertmanager webhooks with cascading alerts. Seeded; realistic in volume, not in subtlety
// (bench/scenarios/ is the realistic generator for accuracy).
import { seededRandom as mulberry32 } from '../../src/model/seeded-random.js';

export interface StreamShape {
  services: number;
  alerts: number;
  spans: number;
  spansPerRequest: number;
  alertsPerWebhook: number;
  seed: number;
}

export const REPLAY_SHAPE: StreamShape = { services: 1000, alerts: 3500, spans: 300_000, spansPerRequest: 250, alertsPerWebhook: 50, seed: 7 };

const T0 = Date.parse('2026-10-14T08:00:00Z');
const MIN = 60_000;

function hex(rng: () => number, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++) s += Math.floor(rng() * 256).toString(16).padStart(2, '0');
  return s;
}

/** Caller → callee edges of a layered graph: each service calls 1–4 services of deeper layers; a few databases. */
export function layeredEdges(services: number, rng: () => number): Array<[string, string]> {
  const layers = 6;
  const name = (i: number) => `svc-${i}`;
  const layerOf = (i: number) => Math.floor((i / services) * layers);
  const edges: Array<[string, string]> = [];
  for (let i = 0; i < services; i++) {
    const layer = layerOf(i);
    if (layer === layers - 1) continue;
    const fanout = 1 + Math.floor(rng() * 4);
    for (let f = 0; f < fanout; f++) {
      const lo = Math.floor(((layer + 1) / layers) * services);
      const hi = Math.floor(((layer + 2) / layers) * services);
      const j = lo + Math.floor(rng() * Math.max(1, hi - lo));
      if (j < services && j !== i) edges.push([name(i), name(j)]);
    }
  }
  return edges;
}

/** The stream as NDJSON lines (CONTRACT §1), in arrival order. */
export function* syntheticStream(shape: StreamShape): Generator<string> {
  const rng = mulberry32(shape.seed);
  const edges = layeredEdges(shape.services, rng);
  const minutes = 60;
  const pairsPerMinute = Math.ceil(shape.spans / 2 / minutes);
  const alertsPerMinute = Math.ceil(shape.alerts / 30); // alerts in the last 30 minutes
  let alertSeq = 0;
  for (let m = 0; m < minutes; m++) {
    const at = T0 + m * MIN;
    // Traces: client span in the caller and server span in the callee, sent by each side separately.
    let batch: Record<string, unknown[]> = {};
    let inBatch = 0;
    const flush = function* (): Generator<string> {
      const resourceSpans = Object.entries(batch).map(([service, spans]) => ({
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ scope: { name: 'synthetic' }, spans }],
      }));
      yield JSON.stringify({ type: 'otlp', receivedAt: new Date(at + 30_000).toISOString(), payload: { resourceSpans } });
      batch = {};
      inBatch = 0;
    };
    for (let p = 0; p < pairsPerMinute; p++) {
      const [caller, callee] = edges[Math.floor(rng() * edges.length)]!;
      const traceId = hex(rng, 16);
      const clientId = hex(rng, 8);
      const start = BigInt(at + Math.floor(rng() * MIN)) * 1_000_000n;
      const failing = m >= 30 && callee === 'svc-900' ? rng() < 0.5 : rng() < 0.01;
      const dur = BigInt(Math.floor((failing ? 400 : 20) * 1e6 * (0.5 + rng())));
      const span = (id: string, parent: string, kind: number) => ({
        traceId, spanId: id, parentSpanId: parent, name: `${caller}->${callee}`, kind,
        startTimeUnixNano: String(start), endTimeUnixNano: String(start + dur),
        attributes: kind === 3 ? [{ key: 'peer.service', value: { stringValue: callee } }] : [],
        status: { code: failing ? 2 : 0 },
      });
      (batch[caller] ??= []).push(span(clientId, hex(rng, 8), 3));
      (batch[callee] ??= []).push(span(hex(rng, 8), clientId, 2));
      inBatch += 2;
      if (inBatch >= shape.spansPerRequest) yield* flush();
    }
    if (inBatch > 0) yield* flush();
    // Alerts: in the second half hour, webhooks of firing alerts spread over the graph.
    if (m >= 30) {
      for (let sent = 0; sent < alertsPerMinute && alertSeq < shape.alerts; ) {
        const alerts = [];
        for (let k = 0; k < shape.alertsPerWebhook && sent < alertsPerMinute && alertSeq < shape.alerts; k++, sent++, alertSeq++) {
          const service = `svc-${Math.floor(rng() * shape.services)}`;
          alerts.push({
            status: 'firing',
            labels: { alertname: rng() < 0.5 ? 'HighErrorRate' : 'HighLatencyP99', service, severity: 'critical', instance: `i-${alertSeq}` },
            annotations: { summary: `on ${service}` },
            startsAt: new Date(at + Math.floor(rng() * MIN)).toISOString(),
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: '',
            fingerprint: hex(rng, 8),
          });
        }
        yield JSON.stringify({ type: 'alertmanager', receivedAt: new Date(at + 59_000).toISOString(), payload: { version: '4', status: 'firing', receiver: 'rcabot', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: '', alerts } });
      }
    }
  }
}
