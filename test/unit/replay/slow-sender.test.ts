// A caller starved of CPU reads its dependencies' answers late; a service whose network delays its packets answers
// late. Either way a caller waits longer than the callee took, and only the two ends' other calls tell whose delay it
// is. Replayed end to end (OTLP spans exported by each service on its own, paired, aggregated, ranked; decision 011).
import { describe, it, expect } from 'vitest';
import { replayLines } from '../../../src/replay/replay.js';

const T0 = Date.parse('2026-10-14T09:00:00.000Z');
const MINUTE = 60_000;
/** The fault starts here; no alert on the faulty service's resources fires, only latency alerts. */
const FAULT_FROM = T0 + 20 * MINUTE;

let ids = 0;
const hexId = (digits: number): string => (++ids).toString(16).padStart(digits, '0');
const nanos = (ms: number): string => (BigInt(Math.round(ms)) * 1_000_000n).toString();

interface Span {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  kind: 2 | 3; // SERVER, CLIENT
  startMs: number;
  durationMs: number;
}

function otlpEvent(service: string, spans: readonly Span[], receivedAt: number): string {
  return JSON.stringify({
    type: 'otlp',
    receivedAt: new Date(receivedAt).toISOString(),
    payload: {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
          scopeSpans: [
            {
              scope: { name: 'test' },
              spans: spans.map((s) => ({
                traceId: s.traceId,
                spanId: s.spanId,
                ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
                name: s.kind === 2 ? 'GET /' : 'GET',
                kind: s.kind,
                startTimeUnixNano: nanos(s.startMs),
                endTimeUnixNano: nanos(s.startMs + s.durationMs),
                status: {},
              })),
            },
          ],
        },
      ],
    },
  });
}

/** A small system: who calls whom (in order), each service's own work, and what a fault adds. */
interface System {
  calls: Record<string, string[]>;
  selfMs: number;
  /** Added to every client span of a service starved of CPU: it reads its dependencies' answers late. */
  readsLateMs: Record<string, number>;
  /** Added to everything a service sends (its answers and its own requests): a network delay on its pod. */
  sendsLateMs: Record<string, number>;
}

/** One request entering at frontend, every span as its own service exports it; returns the server span's duration. */
function serve(system: System, service: string, traceId: string, parentSpanId: string | undefined, at: number, spans: Span[], faulty: boolean): number {
  const serverId = hexId(16);
  const extra = (table: Record<string, number>, name: string): number => (faulty ? (table[name] ?? 0) : 0);
  let cursor = at + 1;
  for (const callee of system.calls[service] ?? []) {
    const clientId = hexId(16);
    const sent = extra(system.sendsLateMs, service);
    const answer = serve(system, callee, traceId, clientId, cursor + sent, spans, faulty);
    const waited = sent + answer + extra(system.sendsLateMs, callee) + extra(system.readsLateMs, service) + 1;
    spans.push({ service, traceId, spanId: clientId, parentSpanId: serverId, kind: 3, startMs: cursor, durationMs: waited });
    cursor += waited;
  }
  const durationMs = cursor - at + system.selfMs;
  spans.push({ service, traceId, spanId: serverId, ...(parentSpanId ? { parentSpanId } : {}), kind: 2, startMs: at, durationMs });
  return durationMs;
}

function latencyAlert(service: string, at: number): string {
  return JSON.stringify({
    type: 'alert',
    receivedAt: new Date(at + 30_000).toISOString(),
    payload: { name: 'HighRequestLatency', service, severity: 'warning', startsAt: new Date(at).toISOString() },
  });
}

/** 30 minutes of traffic, the fault from minute 20, and latency alerts on `alerting` from minute 21 on. */
function events(system: System, alerting: readonly string[]): string[] {
  const services = [...new Set(Object.entries(system.calls).flatMap(([caller, callees]) => [caller, ...callees]))];
  const lines: string[] = [];
  for (let minute = 0; minute < 30; minute++) {
    const start = T0 + minute * MINUTE;
    const spans: Span[] = [];
    for (let i = 0; i < 20; i++) {
      const at = start + i * 2_500;
      serve(system, 'frontend', hexId(32), undefined, at, spans, at >= FAULT_FROM);
    }
    // Each service's SDK exports its own spans at the end of the minute.
    for (const service of services) lines.push(otlpEvent(service, spans.filter((s) => s.service === service), start + MINUTE));
    const alertNow = alerting[minute - 21];
    if (alertNow !== undefined) lines.push(latencyAlert(alertNow, FAULT_FROM + (minute - 20) * MINUTE));
  }
  return lines;
}

describe('a gap between how long a caller waited and how long its dependency took (decision 011)', () => {
  it('is the caller\'s own delay when the dependency answers its other callers on time: a starved caller is the root cause', async () => {
    // orders is starved of CPU: it reads inventory's 5 ms answers 300 ms late; catalog's calls to inventory stay fast.
    const system: System = { calls: { frontend: ['orders', 'catalog'], orders: ['inventory'], catalog: ['inventory'] }, selfMs: 5, readsLateMs: { orders: 300 }, sendsLateMs: {} };
    const { incidents } = await replayLines(events(system, ['orders', 'frontend']));
    expect(incidents).toHaveLength(1);
    const [incident] = incidents;
    expect(incident!.services).toEqual(['frontend', 'orders']);
    expect(incident!.rootCauses[0]!.service).toBe('orders');
    // inventory answered in 5 ms throughout: nothing in the traces points at it.
    const inventory = incident!.rootCauses.find((c) => c.service === 'inventory');
    expect(inventory === undefined || inventory.score < incident!.rootCauses[0]!.score - 0.2).toBe(true);
  });

  it('is the dependency\'s when every caller waits for it: a network delay on a leaf service is the root cause', async () => {
    // pricing's pod delays every packet it sends by 300 ms: its own spans do not change, both its callers wait.
    const system: System = { calls: { frontend: ['orders', 'catalog'], orders: ['pricing'], catalog: ['pricing'] }, selfMs: 5, readsLateMs: {}, sendsLateMs: { pricing: 300 } };
    const { incidents } = await replayLines(events(system, ['orders', 'catalog', 'frontend']));
    expect(incidents).toHaveLength(1);
    const [incident] = incidents;
    expect(incident!.services).toEqual(['catalog', 'frontend', 'orders']);
    expect(incident!.rootCauses[0]!.service).toBe('pricing');
    expect(incident!.rootCauses[0]!.score - incident!.rootCauses[1]!.score).toBeGreaterThan(0.1);
  });
});
