import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { SpanPairer } from '../../../src/traces/span-pairer.js';
import { TraceAggregates } from '../../../src/traces/trace-store.js';
import { otlpSource } from '../../../src/ingest/otlp.js';
import { decodeOtlpTraceProtobuf } from '../../../src/ingest/otlp-protobuf.js';
import { SpanKind, type SpanKindValue, type SpanRecord, type PeerKind } from '../../../src/model/span.js';
import { TRACE_BUCKET_MS, type TraceDelta } from '../../../src/model/trace-aggregate.js';

const T0 = 1_800_000_000_000; // a bucket boundary (multiple of 60 s)

function span(p: Partial<SpanRecord> & { spanId: string; service: string; kind: SpanKindValue }): SpanRecord {
  return { traceId: 'a'.repeat(32), parentSpanId: '', startMs: T0, durationMs: 10, isError: false, peer: '', peerKind: 'external', ...p };
}
const client = (spanId: string, service: string, parentSpanId: string, p: Partial<SpanRecord> = {}) =>
  span({ spanId, service, parentSpanId, kind: SpanKind.CLIENT, ...p });
const server = (spanId: string, service: string, parentSpanId: string, p: Partial<SpanRecord> = {}) =>
  span({ spanId, service, parentSpanId, kind: SpanKind.SERVER, ...p });

function edge(delta: TraceDelta, caller: string, callee: string) {
  return delta.edges.find((e) => e.caller === caller && e.callee === callee);
}
function service(delta: TraceDelta, name: string) {
  return delta.services.find((s) => s.service === name);
}

describe('SpanPairer pairing', () => {
  it('pairs a client that arrives before its server, across add calls', () => {
    const pairer = new SpanPairer();
    pairer.add([client('c1', 'frontend', 'r1', { durationMs: 30, startMs: T0 + 61_000 })], T0);
    expect(pairer.pendingCount).toBe(1);
    pairer.add([server('s1', 'checkout', 'c1', { durationMs: 20 })], T0 + 3_000);
    expect(pairer.pendingCount).toBe(0);
    const delta = pairer.flush(T0 + 3_000);
    expect(edge(delta, 'frontend', 'checkout')).toMatchObject({
      calls: 1,
      errors: 0,
      latencySumMs: 20, // the callee's own answer time ...
      clientLatencySumMs: 30, // ... and how long the caller waited for it (decision 011)
      bucket: T0 + TRACE_BUCKET_MS, // bucketed by the client's start
      calleeUninstrumented: false,
      calleeKind: 'service',
    });
    expect(pairer.paired).toBe(1);
  });

  it('pairs a server that arrives before its client, and counts an error on either side', () => {
    const pairer = new SpanPairer();
    pairer.add([server('s1', 'checkout', 'c1', { isError: true, durationMs: 12 })], T0);
    pairer.add([client('c1', 'frontend', 'r1', { durationMs: 250 })], T0 + 5_000);
    const delta = pairer.flush(T0 + 5_000);
    expect(edge(delta, 'frontend', 'checkout')).toMatchObject({ calls: 1, errors: 1, latencySumMs: 12 });
  });

  it("times a message by its producer's span only: nobody waits for its consumer's work", () => {
    for (const consumerFirst of [false, true]) {
      const pairer = new SpanPairer();
      const producer = span({ spanId: 'p1', service: 'orders', parentSpanId: 'r1', kind: SpanKind.PRODUCER, durationMs: 3 });
      const consumer = span({ spanId: 'k1', service: 'mailer', parentSpanId: 'p1', kind: SpanKind.CONSUMER, durationMs: 900 });
      pairer.add(consumerFirst ? [consumer] : [producer], T0);
      pairer.add(consumerFirst ? [producer] : [consumer], T0 + 1_000);
      expect(edge(pairer.flush(T0 + 1_000), 'orders', 'mailer')).toMatchObject({ calls: 1, latencySumMs: 3, clientLatencySumMs: 3 });
    }
  });

  it('makes no edge for a service calling itself', () => {
    const pairer = new SpanPairer();
    pairer.add([client('c1', 'checkout', 'r1'), server('s1', 'checkout', 'c1')], T0);
    expect(pairer.flush(T0).edges).toEqual([]);
    expect(pairer.paired).toBe(1);
  });

  it('returns each aggregate once: a flush clears what it returned', () => {
    const pairer = new SpanPairer();
    pairer.add([client('c1', 'a', 'r'), server('s1', 'b', 'c1'), client('c2', 'a', 'r'), server('s2', 'b', 'c2')], T0);
    const first = pairer.flush(T0);
    expect(first.edges).toHaveLength(1);
    expect(first.edges[0]!.calls).toBe(2); // one aggregate per (edge, bucket)
    expect(pairer.flush(T0 + 1)).toEqual({ edges: [], services: [] });
  });
});

describe('SpanPairer window expiry', () => {
  it('turns an unpaired client naming a peer into a call to an uninstrumented peer once the window passes', () => {
    const pairer = new SpanPairer({ windowMs: 10_000 });
    pairer.add([client('c1', 'checkout', 'r1', { peer: 'orders-db', peerKind: 'database', isError: true, durationMs: 700 })], T0);
    expect(pairer.flush(T0 + 9_999).edges).toEqual([]); // still waiting for a server span
    const delta = pairer.flush(T0 + 10_000);
    expect(edge(delta, 'checkout', 'orders-db')).toMatchObject({
      calls: 1,
      errors: 1,
      latencySumMs: 700,
      clientLatencySumMs: 700, // the client span is the only timing
      calleeUninstrumented: true,
      calleeKind: 'database',
    });
    // The peer gets a service aggregate from its callers' side; all its failures are its own.
    expect(service(delta, 'orders-db')).toMatchObject({ calls: 1, errors: 1, originErrors: 1 });
    expect(pairer.expiredWithPeer).toBe(1);
    expect(pairer.pendingCount).toBe(0);
  });

  it('drops an unpaired client that names no peer, and a late server then makes no edge', () => {
    const pairer = new SpanPairer({ windowMs: 1_000 });
    pairer.add([client('c1', 'frontend', 'r1')], T0);
    pairer.add([server('s1', 'checkout', 'c1')], T0 + 1_000); // expiry runs first: c1 is gone
    const delta = pairer.flush(T0 + 5_000);
    expect(delta.edges).toEqual([]);
    expect(pairer.dropped).toBe(1);
    expect(pairer.paired).toBe(0);
    expect(service(delta, 'checkout')).toMatchObject({ calls: 1 });
  });
});

describe('SpanPairer bounds', () => {
  it('evicts the oldest pending spans beyond maxPending and still settles an evicted client with a peer', () => {
    const pairer = new SpanPairer({ maxPending: 3 });
    pairer.add([client('c1', 'a', 'r', { peer: 'db', peerKind: 'database' })], T0);
    pairer.add([client('c2', 'a', 'r'), server('s3', 'b', 'x3')], T0 + 1);
    pairer.add([client('c4', 'a', 'r'), server('s5', 'b', 'x5')], T0 + 2);
    expect(pairer.pendingCount).toBe(3);
    expect(pairer.evicted).toBe(2); // c1 then c2, the oldest
    expect(pairer.expiredWithPeer).toBe(1);
    expect(pairer.dropped).toBe(1);
    const delta = pairer.flush(T0 + 2);
    expect(edge(delta, 'a', 'db')).toMatchObject({ calls: 1, calleeUninstrumented: true });
    // The survivors still pair.
    pairer.add([server('s4', 'b', 'c4')], T0 + 3);
    expect(pairer.paired).toBe(1);
  });
});

describe('SpanPairer origin errors', () => {
  it('counts a failed server span whose own calls succeeded as an origin error, after the window', () => {
    const pairer = new SpanPairer({ windowMs: 10_000 });
    pairer.add([server('s1', 'checkout', 'c0', { isError: true }), client('c1', 'checkout', 's1', { peer: 'orders-db' })], T0);
    const early = pairer.flush(T0 + 1_000);
    expect(service(early, 'checkout')).toMatchObject({ calls: 1, errors: 1, originErrors: 0 }); // not settled yet
    const settled = pairer.flush(T0 + 10_000);
    expect(service(settled, 'checkout')).toMatchObject({ calls: 0, originErrors: 1, bucket: T0 });
  });

  it('counts a failed server span whose call failed as propagated, whichever arrives first', () => {
    for (const order of ['child first', 'parent first']) {
      const pairer = new SpanPairer({ windowMs: 10_000 });
      const parent = server('s1', 'checkout', 'c0', { isError: true });
      const child = client('c1', 'checkout', 's1', { peer: 'orders-db', peerKind: 'database', isError: true });
      pairer.add([order === 'child first' ? child : parent], T0);
      pairer.add([order === 'child first' ? parent : child], T0 + 9_000);
      const delta = pairer.flush(T0 + 30_000);
      expect(service(delta, 'checkout'), order).toMatchObject({ errors: 1, originErrors: 0 });
      expect(service(delta, 'orders-db'), order).toMatchObject({ errors: 1, originErrors: 1 });
    }
  });

  it('does not count a failed root CLIENT span as an origin error of its service', () => {
    const pairer = new SpanPairer();
    pairer.add([client('c1', 'cron', '', { isError: true })], T0);
    expect(service(pairer.flush(T0 + 60_000), 'cron')).toMatchObject({ calls: 1, errors: 1, originErrors: 0 });
  });
});

describe('SpanPairer service versions', () => {
  it("counts a service's own spans per service.version, and none for spans that name no version", () => {
    const pairer = new SpanPairer();
    pairer.add(
      [
        server('s1', 'checkout', 'c1', { version: 'v2.14.0', durationMs: 20 }),
        server('s2', 'checkout', 'c2', { version: 'v2.14.1', durationMs: 200, isError: true }),
        server('s3', 'checkout', 'c3', { version: 'v2.14.0', durationMs: 30 }),
        server('s4', 'cart', 'c4'),
      ],
      T0,
    );
    const delta = pairer.flush(T0 + 60_000);
    expect(service(delta, 'checkout')?.versions).toEqual([
      { version: 'v2.14.0', calls: 2, errors: 0, latencySumMs: 50 },
      { version: 'v2.14.1', calls: 1, errors: 1, latencySumMs: 200 },
    ]);
    expect(service(delta, 'checkout')?.calls).toBe(3);
    expect(service(delta, 'cart')?.versions).toBeUndefined();
  });

  it("counts an edge's calls per version of the caller, paired in either order or settled to a peer (decision 031)", () => {
    const pairer = new SpanPairer({ windowMs: 10_000 });
    pairer.add(
      [
        client('c1', 'checkout', 'r1', { version: 'v2.14.0', durationMs: 25 }),
        server('s2', 'payments', 'c2', { durationMs: 40, isError: true }),
        client('c3', 'checkout', 'r3', { version: 'v2.14.0', durationMs: 35, peer: 'orders-db', peerKind: 'database' }),
        client('c4', 'cart', 'r4', { durationMs: 5 }),
      ],
      T0,
    );
    pairer.add(
      [
        server('s1', 'payments', 'c1', { durationMs: 20 }),
        client('c2', 'checkout', 'r2', { version: 'v2.14.1', durationMs: 45 }),
        server('s4', 'payments', 'c4', { durationMs: 4 }),
      ],
      T0 + 1_000,
    );
    const delta = pairer.flush(T0 + 60_000);
    // Timed as the edge's own latency is (the callee's answer); a failure on either side fails the version's call.
    expect(edge(delta, 'checkout', 'payments')?.versions).toEqual([
      { version: 'v2.14.0', calls: 1, errors: 0, latencySumMs: 20 },
      { version: 'v2.14.1', calls: 1, errors: 1, latencySumMs: 40 },
    ]);
    expect(edge(delta, 'checkout', 'orders-db')?.versions).toEqual([{ version: 'v2.14.0', calls: 1, errors: 0, latencySumMs: 35 }]);
    expect(edge(delta, 'cart', 'payments')?.versions).toBeUndefined();
  });
});

describe('SpanPairer on the real SDK exports (frontend → checkout → orders-db)', () => {
  const dir = new URL('../../../fixtures/payloads/otlp/', import.meta.url);
  const ctx = { serviceLabels: [], receivedAt: 0 };
  const spansOf = (body: unknown): SpanRecord[] => {
    const r = otlpSource.parse(body, ctx);
    if (!r.ok || r.event.kind !== 'spans') throw new Error('unparseable fixture');
    return r.event.spans;
  };
  const sources = {
    json: (i: number) => spansOf(JSON.parse(readFileSync(new URL(`traces-${i}.json`, dir), 'utf8'))),
    protobuf: (i: number) => spansOf(decodeOtlpTraceProtobuf(readFileSync(new URL(`traces-${i}.pb`, dir)))),
  };

  for (const [encoding, load] of Object.entries(sources)) {
    it(`yields frontend→checkout and checkout→orders-db with their error counts (${encoding}, one request per span)`, () => {
      const pairer = new SpanPairer();
      // Requests arrive one per span, children first, seconds apart (SimpleSpanProcessor).
      for (let i = 0; i < 4; i++) pairer.add(load(i), T0 + i * 2_000);
      const store = new TraceAggregates();
      store.apply(pairer.flush(T0 + 8_000));
      store.apply(pairer.flush(T0 + 60_000));
      const edges = store.edges(0, Number.MAX_SAFE_INTEGER);
      expect(edges.map((e) => [e.caller, e.callee, e.stats.calls, e.stats.errors, e.calleeUninstrumented, e.calleeKind])).toEqual([
        ['checkout', 'orders-db', 1, 1, true, 'database'],
        ['frontend', 'checkout', 1, 1, false, 'service'],
      ]);
      const services = store.services(0, Number.MAX_SAFE_INTEGER);
      expect(services.get('orders-db')).toMatchObject({ calls: 1, errors: 1, originErrors: 1 });
      expect(services.get('checkout')).toMatchObject({ calls: 1, errors: 1, originErrors: 0 }); // propagated from orders-db
      expect(services.get('frontend')).toMatchObject({ calls: 1, errors: 0, originErrors: 0 }); // root span status unset
      expect(pairer.paired).toBe(1);
      expect(pairer.expiredWithPeer).toBe(1);
    });
  }
});

/** Random traces: a tree of services where each call is a CLIENT/SERVER pair or a client to an uninstrumented peer. */
const SERVICES = ['web', 'api', 'cart', 'pay', 'stock'];
// 'cart' is also an instrumented service: a callee seen both ways must merge the same in any order.
const PEERS: Array<[string, PeerKind]> = [['pg', 'database'], ['redis', 'cache'], ['', 'external'], ['cart', 'external']];

const arbTraces = fc
  .array(
    fc.record({
      calls: fc.array(
        fc.record({
          from: fc.nat(SERVICES.length - 1),
          to: fc.nat(SERVICES.length - 1),
          instrumented: fc.boolean(),
          peer: fc.nat(PEERS.length - 1),
          clientError: fc.boolean(),
          serverError: fc.boolean(),
          durationMs: fc.integer({ min: 0, max: 3_000 }),
          startOffset: fc.integer({ min: 0, max: 180_000 }),
        }),
        { maxLength: 5 },
      ),
      rootError: fc.boolean(),
    }),
    { minLength: 1, maxLength: 8 },
  )
  .map((traces) => {
    const spans: SpanRecord[] = [];
    traces.forEach((t, ti) => {
      const rootId = `r${ti}`;
      const rootService = SERVICES[t.calls[0]?.from ?? 0]!;
      spans.push(server(rootId, rootService, '', { isError: t.rootError }));
      t.calls.forEach((c, ci) => {
        const from = SERVICES[c.from]!;
        const [peer, peerKind] = PEERS[c.peer]!;
        const cid = `c${ti}-${ci}`;
        // Calls hang off the root (same service) or off the previous call's server span.
        const parent = ci === 0 || !t.calls[ci - 1]!.instrumented ? rootId : `s${ti}-${ci - 1}`;
        const common = { startMs: T0 + c.startOffset, durationMs: c.durationMs };
        spans.push(client(cid, from, parent, { ...common, isError: c.clientError, peer: c.instrumented ? SERVICES[c.to]! : peer, peerKind: c.instrumented ? 'service' : peerKind }));
        if (c.instrumented) spans.push(server(`s${ti}-${ci}`, SERVICES[c.to]!, cid, { ...common, isError: c.serverError }));
      });
    });
    return spans;
  });

function aggregate(batches: SpanRecord[][], flushAfter: boolean[]): unknown {
  const pairer = new SpanPairer({ windowMs: 10_000 });
  const store = new TraceAggregates();
  batches.forEach((batch, i) => {
    pairer.add(batch, T0 + i * 100); // all within one window
    if (flushAfter[i]) store.apply(pairer.flush(T0 + i * 100));
  });
  store.apply(pairer.flush(T0 + 60_000));
  return {
    edges: store.edges(0, Number.MAX_SAFE_INTEGER),
    services: [...store.services(0, Number.MAX_SAFE_INTEGER)],
    counters: [pairer.paired, pairer.expiredWithPeer, pairer.dropped, pairer.evicted],
  };
}

describe('SpanPairer property', () => {
  it('gives the same aggregates for any order of arrival, batching and flushing of the same spans', () => {
    fc.assert(
      fc.property(
        arbTraces.chain((spans) =>
          fc.record({
            spans: fc.constant(spans),
            order: fc.shuffledSubarray(spans, { minLength: spans.length, maxLength: spans.length }),
            cuts: fc.array(fc.nat(spans.length), { maxLength: 6 }),
            flushes: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
          }),
        ),
        ({ spans, order, cuts, flushes }) => {
          const bounds = [0, ...[...new Set(cuts)].sort((a, b) => a - b), order.length];
          const batches = bounds.slice(1).map((end, i) => order.slice(bounds[i], end));
          expect(aggregate(batches, flushes)).toEqual(aggregate([spans], [false]));
        },
      ),
      { numRuns: 300 },
    );
  });
});
