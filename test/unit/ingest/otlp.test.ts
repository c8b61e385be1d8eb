import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it, expect } from 'vitest';
import { otlpSource, UNKNOWN_SERVICE } from '../../../src/ingest/otlp.js';
import { decodeOtlpTraceProtobuf, OtlpProtobufError, parseOtlpTraceProtobuf } from '../../../src/ingest/otlp-protobuf.js';
import { peerKindOf, peerName } from '../../../src/ingest/otlp-peer.js';
import type { ParseResult } from '../../../src/ingest/source.js';
import type { SpanRecord } from '../../../src/model/span.js';

const DIR = new URL('../../../fixtures/payloads/otlp/', import.meta.url);
const ctx = { serviceLabels: [], receivedAt: 1_795_480_740_000 };

function json(i: number): unknown {
  return JSON.parse(readFileSync(new URL(`traces-${i}.json`, DIR), 'utf8'));
}
function pb(i: number): Uint8Array {
  return readFileSync(new URL(`traces-${i}.pb`, DIR));
}
function spansOf(result: ParseResult): SpanRecord[] {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.issues)}`);
  if (result.event.kind !== 'spans') throw new Error('expected spans');
  return result.event.spans;
}

/** A minimal valid body around the given spans, for the invalid-field cases. */
function body(spans: unknown[], service = 'svc'): unknown {
  return {
    resourceSpans: [
      { resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ spans }] },
    ],
  };
}
const goodSpan = {
  traceId: '3ed2a6122bd31f84dddae191ad369cb6',
  spanId: 'fa97632e82d3c2a7',
  parentSpanId: '46334af22bccbf1c',
  kind: 2,
  startTimeUnixNano: '1795480734973000000',
  endTimeUnixNano: '1795480734975500000',
  status: { code: 0 },
};

describe('otlpSource on real SDK exports (JSON)', () => {
  it('normalises the CLIENT span to a database peer named by peer.service', () => {
    const result = otlpSource.parse(json(0), ctx);
    expect(result.ok && result.accepted).toBe(1);
    expect(spansOf(result)).toEqual([
      {
        traceId: '3ed2a6122bd31f84dddae191ad369cb6',
        spanId: 'fa97632e82d3c2a7',
        parentSpanId: '46334af22bccbf1c',
        service: 'checkout',
        version: '',
        kind: 3,
        startMs: 1795480734973,
        durationMs: 0.067822,
        isError: true,
        peer: 'orders-db',
        peerKind: 'database',
      },
    ]);
  });

  it('keeps nanosecond precision in durations and marks a root span with an empty parent', () => {
    const [root] = spansOf(otlpSource.parse(json(3), ctx));
    expect(root).toMatchObject({ service: 'frontend', kind: 2, parentSpanId: '', isError: false, durationMs: 1.351788 });
    const [server] = spansOf(otlpSource.parse(json(1), ctx));
    expect(server).toMatchObject({ service: 'checkout', kind: 2, parentSpanId: 'dcaa4358e3ee7524', isError: true, peer: '' });
  });

  it('names an HTTP peer known only by server.address as an external host', () => {
    const [client] = spansOf(otlpSource.parse(json(2), ctx));
    expect(client).toMatchObject({ service: 'frontend', kind: 3, peer: 'checkout', peerKind: 'external', isError: true });
  });

  it('carries receivedAt from the context into the event', () => {
    const result = otlpSource.parse(json(0), ctx);
    expect(result.ok && result.event.receivedAt).toBe(ctx.receivedAt);
    expect(otlpSource.type).toBe('otlp');
  });
});

describe('decodeOtlpTraceProtobuf', () => {
  it('decodes the protobuf twins to the same spans as the JSON exports (ids and times aside: separate exports)', () => {
    const shape = (s: SpanRecord) => ({ service: s.service, kind: s.kind, isError: s.isError, peer: s.peer, peerKind: s.peerKind, root: s.parentSpanId === '' });
    const fromJson = [0, 1, 2, 3].flatMap((i) => spansOf(otlpSource.parse(json(i), ctx)));
    const fromPb = [0, 1, 2, 3].flatMap((i) => spansOf(otlpSource.parse(decodeOtlpTraceProtobuf(pb(i)), ctx)));
    expect(fromPb.map(shape)).toEqual(fromJson.map(shape));
    // The same parent structure: each span's parent is the next file's span, in both encodings.
    for (const spans of [fromJson, fromPb]) {
      for (let i = 0; i < 3; i++) expect(spans[i]!.parentSpanId).toBe(spans[i + 1]!.spanId);
      expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    }
  });

  it('gives the OTLP/JSON form: hex ids, numeric kind and status, exact nanosecond strings', () => {
    const decoded = decodeOtlpTraceProtobuf(pb(0)) as {
      resourceSpans: Array<{ resource: unknown; scopeSpans: Array<{ scope: unknown; spans: unknown[] }> }>;
    };
    const rs = decoded.resourceSpans[0]!;
    expect(rs.resource).toEqual({
      attributes: [
        { key: 'service.name', value: { stringValue: 'checkout' } },
        { key: 'deployment.environment.name', value: { stringValue: 'prod' } },
      ],
    });
    expect(rs.scopeSpans[0]!.scope).toEqual({ name: 'demo' });
    expect(rs.scopeSpans[0]!.spans[0]).toEqual({
      traceId: '2292584ec4b55c15c296aa490027d00c',
      spanId: 'd3eab88b142e43d6',
      parentSpanId: 'bae1537b2ca1f881',
      name: 'SELECT orders',
      kind: 3,
      startTimeUnixNano: '1795480734988000000',
      endTimeUnixNano: '1795480734988008693',
      attributes: [
        { key: 'peer.service', value: { stringValue: 'orders-db' } },
        { key: 'db.system', value: { stringValue: 'postgresql' } },
        { key: 'server.address', value: { stringValue: 'orders-db.prod.svc' } },
      ],
      status: { code: 2, message: 'connection refused' },
    });
  });

  it('decodes an empty body as an empty request', () => {
    expect(decodeOtlpTraceProtobuf(new Uint8Array(0))).toEqual({ resourceSpans: [] });
  });

  it('throws an OtlpProtobufError naming the problem for bytes that are not a request', () => {
    expect(() => decodeOtlpTraceProtobuf(Buffer.from('{"resourceSpans":[]}'))).toThrow(OtlpProtobufError);
    expect(() => decodeOtlpTraceProtobuf(Buffer.from('{"resourceSpans":[]}'))).toThrow(/invalid OTLP protobuf ExportTraceServiceRequest: /);
    // A truncated real body: the length prefix promises more bytes than there are.
    expect(() => decodeOtlpTraceProtobuf(pb(0).subarray(0, 40))).toThrow(OtlpProtobufError);
  });
});

/** Encodes an OTLP/JSON-shaped request with the generated protobufjs code (its fromObject reads bytes as base64). */
function encode(request: unknown): Uint8Array {
  const codec = (createRequire(import.meta.url)('@opentelemetry/otlp-transformer/build/src/generated/root.js') as {
    opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: { fromObject(o: unknown): unknown; encode(m: unknown): { finish(): Uint8Array } } } } } } };
  }).opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
  const withBase64Ids = JSON.parse(JSON.stringify(request), (key, value: unknown) =>
    ['traceId', 'spanId', 'parentSpanId'].includes(key) && typeof value === 'string' ? Buffer.from(value, 'hex').toString('base64') : value,
  ) as unknown;
  return codec.encode(codec.fromObject(withBase64Ids)).finish();
}

describe('parseOtlpTraceProtobuf (decoding straight to spans)', () => {
  it('gives the same result as decoding to OTLP/JSON and parsing that, on the real exports', () => {
    for (let i = 0; i < 4; i++) {
      expect(parseOtlpTraceProtobuf(pb(i), ctx)).toEqual(otlpSource.parse(decodeOtlpTraceProtobuf(pb(i)), ctx));
    }
  });

  it('gives the same result on a batch with several services, attributes of every type and a bad span', () => {
    const spans = [
      { ...goodSpan, kind: 3, attributes: [{ key: 'db.system', value: { stringValue: 'postgresql' } }, { key: 'server.address', value: { stringValue: '10.1.2.3' } }, { key: 'db.rows', value: { intValue: '-12' } }, { key: 'ok', value: { boolValue: true } }, { key: 'ratio', value: { doubleValue: 0.5 } }, { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }] } } }] },
      { ...goodSpan, spanId: 'fa97632e82' }, // 5 bytes: not a span id
      { ...goodSpan, spanId: 'fa97632e82d3c2a9', attributes: [{ key: 'http.response.status_code', value: { intValue: '502' } }], events: [{ timeUnixNano: '1795480734974000000', name: 'exception', attributes: [] }] },
    ];
    const request = { resourceSpans: [(body(spans, 'orders') as { resourceSpans: unknown[] }).resourceSpans[0], (body([{ ...goodSpan, spanId: 'fa97632e82d3c2aa', parentSpanId: '' }], 'web') as { resourceSpans: unknown[] }).resourceSpans[0]] };
    const bytes = encode(request);
    const direct = parseOtlpTraceProtobuf(bytes, ctx);
    const viaJson = otlpSource.parse(decodeOtlpTraceProtobuf(bytes), ctx);
    expect(spansOf(direct)).toEqual(spansOf(viaJson));
    // The same bad field; the message speaks of what each encoding carries (bytes vs hex text).
    expect(direct.ok && direct.rejected).toEqual([{ path: 'resourceSpans.0.scopeSpans.0.spans.1.spanId', message: 'expected 8 bytes' }]);
    expect(viaJson.ok && viaJson.rejected.map((i) => i.path)).toEqual(['resourceSpans.0.scopeSpans.0.spans.1.spanId']);
    const records = spansOf(direct);
    expect(records.map((s) => [s.service, s.peer, s.isError])).toEqual([
      ['orders', 'postgresql 10.1.2.3', false],
      ['orders', '', true], // 502 on a SERVER span
      ['web', '', false],
    ]);
  });

  it('throws OtlpProtobufError for bytes that are not a request', () => {
    expect(() => parseOtlpTraceProtobuf(pb(1).subarray(0, 30), ctx)).toThrow(OtlpProtobufError);
  });
});

describe('otlpSource field handling', () => {
  it('accepts base64 ids, numeric times, enum names and uppercase hex as protobuf JSON mappings send them', () => {
    const span = {
      traceId: Buffer.from('3ed2a6122bd31f84dddae191ad369cb6', 'hex').toString('base64'),
      spanId: 'FA97632E82D3C2A7',
      parentSpanId: Buffer.from('46334af22bccbf1c', 'hex').toString('base64'),
      kind: 'SPAN_KIND_CLIENT',
      startTimeUnixNano: 1_795_480_734_973_000_000,
      endTimeUnixNano: 1_795_480_734_983_000_000,
      status: { code: 'STATUS_CODE_ERROR' },
      attributes: [{ key: 'db.system', value: { stringValue: 'redis' } }, { key: 'server.address', value: { stringValue: 'sessions-cache.prod.svc.cluster.local' } }],
    };
    const [s] = spansOf(otlpSource.parse(body([span]), ctx));
    expect(s).toMatchObject({
      traceId: '3ed2a6122bd31f84dddae191ad369cb6',
      spanId: 'fa97632e82d3c2a7',
      parentSpanId: '46334af22bccbf1c',
      kind: 3,
      isError: true,
      peer: 'sessions-cache',
      peerKind: 'cache',
    });
    expect(s!.durationMs).toBeCloseTo(10, 3);
  });

  it('names a peer by service.peer.name, the current name of peer.service, over its database host', () => {
    const attributes = [
      { key: 'db.system.name', value: { stringValue: 'postgresql' } },
      { key: 'server.address', value: { stringValue: 'pg-primary.prod.svc.cluster.local' } },
      { key: 'service.peer.name', value: { stringValue: 'payments-db' } },
    ];
    const client = { ...goodSpan, kind: 3, attributes };
    const [s] = spansOf(otlpSource.parse(body([client]), ctx));
    expect(s).toMatchObject({ peer: 'payments-db', peerKind: 'database' });
    const withoutIt = { ...client, attributes: attributes.slice(0, 2) };
    expect(spansOf(otlpSource.parse(body([withoutIt]), ctx))[0]!.peer).toBe('pg-primary');
  });

  it('reads service.version from the resource, in JSON and in protobuf, and leaves it empty when absent', () => {
    const resource = (version: string | null) => ({
      attributes: [
        { key: 'service.version', value: { stringValue: version } },
        { key: 'service.name', value: { stringValue: 'checkout' } },
      ].filter((a) => a.value.stringValue !== null),
    });
    const request = {
      resourceSpans: [
        { resource: resource('v2.14.1'), scopeSpans: [{ spans: [goodSpan] }] },
        { resource: resource(null), scopeSpans: [{ spans: [{ ...goodSpan, spanId: 'fa97632e82d3c2a9' }] }] },
      ],
    };
    for (const spans of [spansOf(otlpSource.parse(request, ctx)), spansOf(parseOtlpTraceProtobuf(encode(request), ctx))]) {
      expect(spans.map((s) => [s.service, s.version])).toEqual([
        ['checkout', 'v2.14.1'],
        ['checkout', ''],
      ]);
    }
  });

  it('falls back to unknown_service without service.name, and accepts an empty request', () => {
    const noName = { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [goodSpan] }] }] };
    expect(spansOf(otlpSource.parse(noName, ctx))[0]!.service).toBe(UNKNOWN_SERVICE);
    const empty = otlpSource.parse({}, ctx);
    expect(empty.ok && empty.accepted).toBe(0);
  });

  it('treats a 5xx answer on a SERVER span as an error even when status was left unset', () => {
    const span = { ...goodSpan, attributes: [{ key: 'http.response.status_code', value: { intValue: '503' } }] };
    expect(spansOf(otlpSource.parse(body([span]), ctx))[0]!.isError).toBe(true);
    const ok = { ...goodSpan, attributes: [{ key: 'http.response.status_code', value: { intValue: '404' } }] };
    expect(spansOf(otlpSource.parse(body([ok]), ctx))[0]!.isError).toBe(false);
  });

  it.each([
    ['traceId', { traceId: 'xyz' }, 'traceId'],
    ['all-zero traceId', { traceId: '0'.repeat(32) }, 'traceId'],
    ['missing spanId', { spanId: undefined }, 'spanId'],
    ['short parentSpanId', { parentSpanId: 'abc' }, 'parentSpanId'],
    ['kind out of range', { kind: 9 }, 'kind'],
    ['time not a number', { startTimeUnixNano: '2026-01-01T00:00:00Z' }, 'startTimeUnixNano'],
    ['negative time', { endTimeUnixNano: -5 }, 'endTimeUnixNano'],
    ['end before start', { endTimeUnixNano: '1795480734972000000' }, 'endTimeUnixNano'],
    ['bad status code', { status: { code: 7 } }, 'status.code'],
    ['attributes not an array', { attributes: { 'peer.service': 'x' } }, 'attributes'],
  ])('rejects a span with %s, naming the field by path', (_name, patch, field) => {
    const result = otlpSource.parse(body([{ ...goodSpan, ...patch }]), ctx);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues).toEqual([
      { path: `resourceSpans.0.scopeSpans.0.spans.0.${field}`, message: expect.any(String) as string },
    ]);
  });

  it('keeps the valid spans of a batch with one bad span and reports the bad one', () => {
    const spans = [0, 1, 2, 3, 4].map((i) => ({ ...goodSpan, spanId: `fa97632e82d3c2a${i}` }));
    spans[3] = { ...spans[3]!, startTimeUnixNano: 'soon' };
    const result = otlpSource.parse(body(spans), ctx);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.accepted).toBe(4);
    expect(spansOf(result).map((s) => s.spanId)).toEqual(['fa97632e82d3c2a0', 'fa97632e82d3c2a1', 'fa97632e82d3c2a2', 'fa97632e82d3c2a4']);
    expect(result.rejected).toEqual([
      { path: 'resourceSpans.0.scopeSpans.0.spans.3.startTimeUnixNano', message: expect.stringContaining('nanoseconds') as string },
    ]);
  });

  it('rejects a body whose envelope is malformed, with the zod path', () => {
    const result = otlpSource.parse({ resourceSpans: [{ scopeSpans: { spans: [] } }] }, ctx);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues.map((i) => i.path)).toEqual(['resourceSpans.0.scopeSpans']);
    const notObject = otlpSource.parse('resourceSpans', ctx);
    expect(!notObject.ok && notObject.issues[0]!.path).toBe('(root)');
  });

  it('reads the pre-0.15 instrumentationLibrarySpans and names it in paths', () => {
    const old = { resourceSpans: [{ resource: { attributes: [] }, instrumentationLibrarySpans: [{ spans: [goodSpan, { ...goodSpan, kind: -1 }] }] }] };
    const result = otlpSource.parse(old, ctx);
    expect(result.ok && result.accepted).toBe(1);
    expect(result.ok && result.rejected.map((i) => i.path)).toEqual(['resourceSpans.0.instrumentationLibrarySpans.0.spans.1.kind']);
  });

  it('reports a non-object span at its index and caps the list of issues', () => {
    const result = otlpSource.parse(body(new Array(150).fill(42)), ctx);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]).toEqual({ path: 'resourceSpans.0.scopeSpans.0.spans.0', message: 'expected a span object' });
    expect(result.issues).toHaveLength(101);
    expect(result.issues[100]!.message).toBe('50 more invalid spans not listed');
  });
});

describe('peer naming', () => {
  it('prefers peer.service verbatim', () => {
    expect(peerName('orders-db', 'postgresql', 'pg-primary.prod.svc', '', '')).toBe('orders-db');
    expect(peerKindOf('orders-db', '', '')).toBe('service');
  });

  it('names a database by the first DNS label of its host when that label means something', () => {
    expect(peerName('', 'postgresql', 'orders-db.prod.svc.cluster.local', '', '')).toBe('orders-db');
    expect(peerName('', 'mysql', 'orders.c9akciq32.eu-west-1.rds.amazonaws.com', '', '')).toBe('orders');
    expect(peerName('', 'postgresql', '10.0.3.7', '', '')).toBe('postgresql 10.0.3.7');
    expect(peerName('', 'postgresql', 'primary.orders.svc', '', '')).toBe('postgresql primary.orders.svc');
    expect(peerName('', 'redis', '', '', '')).toBe('redis');
    expect(peerKindOf('', 'postgresql', '')).toBe('database');
    expect(peerKindOf('', 'memcached', '')).toBe('cache');
  });

  it('names a queue by system and destination', () => {
    expect(peerName('', '', 'kafka-0.kafka.svc', 'kafka', 'orders')).toBe('kafka orders');
    expect(peerKindOf('', '', 'kafka')).toBe('queue');
  });

  it('keeps external hosts whole but shortens in-cluster ones', () => {
    expect(peerName('', '', 'api.stripe.com', '', '')).toBe('api.stripe.com');
    expect(peerName('', '', 'checkout.prod.svc.cluster.local', '', '')).toBe('checkout');
    expect(peerName('', '', 'checkout', '', '')).toBe('checkout');
    expect(peerName('', '', '', '', '')).toBe('');
    expect(peerKindOf('', '', '')).toBe('external');
  });
});
