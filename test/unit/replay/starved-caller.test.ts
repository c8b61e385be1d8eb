// A caller starved of CPU reads its dependencies' answers late: its client spans grow while the dependency answers as
// fast as ever. Replayed end to end (OTLP spans exported by each service on its own, paired, aggregated, ranked), the
// starved caller is the root cause, not the dependency it merely waits on (decision 011).
import { describe, it, expect } from 'vitest';
import { replayLines } from '../../../src/replay/replay.js';

const T0 = Date.parse('2026-10-14T09:00:00.000Z');
const MINUTE = 60_000;
/** orders is starved from here on; no CPU alert fires, only latency alerts on it and on its caller. */
const STARVED_FROM = T0 + 20 * MINUTE;

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

/** One request frontend → orders → inventory: every span as its own service exports it. */
function request(at: number, starved: boolean): Span[] {
  const traceId = hexId(32);
  const inventoryMs = 5;
  // Starved, orders takes 300 ms to read inventory's 5 ms answer and 400 ms to answer its own caller.
  const ordersToInventoryMs = starved ? 300 : 6;
  const ordersMs = starved ? 400 : 20;
  const spans: Span[] = [];
  const feServer = hexId(16);
  const feClient = hexId(16);
  const ordersServer = hexId(16);
  const ordersClient = hexId(16);
  spans.push({ service: 'frontend', traceId, spanId: feServer, kind: 2, startMs: at, durationMs: ordersMs + 5 });
  spans.push({ service: 'frontend', traceId, spanId: feClient, parentSpanId: feServer, kind: 3, startMs: at + 1, durationMs: ordersMs + 1 });
  spans.push({ service: 'orders', traceId, spanId: ordersServer, parentSpanId: feClient, kind: 2, startMs: at + 1, durationMs: ordersMs });
  spans.push({ service: 'orders', traceId, spanId: ordersClient, parentSpanId: ordersServer, kind: 3, startMs: at + 2, durationMs: ordersToInventoryMs });
  spans.push({ service: 'inventory', traceId, spanId: hexId(16), parentSpanId: ordersClient, kind: 2, startMs: at + 3, durationMs: inventoryMs });
  return spans;
}

function latencyAlert(service: string, at: number): string {
  return JSON.stringify({
    type: 'alert',
    receivedAt: new Date(at + 30_000).toISOString(),
    payload: { name: 'HighRequestLatency', service, severity: 'warning', startsAt: new Date(at).toISOString() },
  });
}

function events(): string[] {
  const lines: string[] = [];
  for (let minute = 0; minute < 30; minute++) {
    const start = T0 + minute * MINUTE;
    const spans: Span[] = [];
    for (let i = 0; i < 20; i++) {
      const at = start + i * 2_500;
      spans.push(...request(at, at >= STARVED_FROM));
    }
    // Each service's SDK exports its own spans at the end of the minute.
    for (const service of ['inventory', 'orders', 'frontend']) lines.push(otlpEvent(service, spans.filter((s) => s.service === service), start + MINUTE));
    if (minute === 21) lines.push(latencyAlert('orders', STARVED_FROM + MINUTE));
    if (minute === 22) lines.push(latencyAlert('frontend', STARVED_FROM + 2 * MINUTE));
  }
  return lines;
}

describe('a caller starved of CPU', () => {
  it('is the root cause, not the dependency whose answers it reads late', async () => {
    const { incidents } = await replayLines(events());
    expect(incidents).toHaveLength(1);
    const [incident] = incidents;
    expect(incident!.services).toEqual(['frontend', 'orders']);
    const ranked = incident!.rootCauses.map((c) => c.service);
    expect(ranked[0]).toBe('orders');
    // inventory answered in 5 ms throughout: nothing in the traces points at it.
    const inventory = incident!.rootCauses.find((c) => c.service === 'inventory');
    expect(inventory === undefined || inventory.score < incident!.rootCauses[0]!.score - 0.2).toBe(true);
  });
});
