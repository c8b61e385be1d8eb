// Benchmark of OTLP trace ingest: JSON.parse alone vs + otlpSource.parse vs + SpanPairer, and protobuf decode+parse.
// Run directly: `npx tsx bench/otlp.bench.ts` (330,000 spans in 666 bodies of up to 500 spans; best of 3 rounds each).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { otlpSource } from '../src/ingest/otlp.js';
import { decodeOtlpTraceProtobuf, parseOtlpTraceProtobuf } from '../src/ingest/otlp-protobuf.js';
import { SpanPairer } from '../src/traces/span-pairer.js';
import type { SpanRecord } from '../src/model/span.js';
import { seededRandom as prng } from '../src/model/seeded-random.js';

export interface OtlpBenchOptions {
  /** Spans to generate, at least (bodies are whole). */
  spans?: number;
  spansPerBody?: number;
  /** Timed rounds per measurement; the best is reported (the least disturbed by GC and other processes). */
  rounds?: number;
  seed?: number;
}


type Attr = { key: string; value: Record<string, unknown> };
const str = (key: string, v: string): Attr => ({ key, value: { stringValue: v } });
const int = (key: string, v: number): Attr => ({ key, value: { intValue: String(v) } });

const SERVICES = ['frontend', 'checkout', 'cart', 'payment', 'shipping', 'catalog', 'recommendation', 'currency', 'email', 'ads', 'quote', 'accounting'];
const DATABASES = [
  { system: 'postgresql', host: 'orders-db.prod.svc.cluster.local', statement: 'SELECT id, status, total FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20' },
  { system: 'redis', host: 'sessions-cache.prod.svc.cluster.local', statement: 'GET session:{id}' },
  { system: 'mysql', host: 'catalog-db.prod.svc.cluster.local', statement: 'SELECT * FROM products WHERE sku IN (?, ?, ?)' },
];

/**
 * Bodies as a BatchSpanProcessor sends them: one service's spans per request (500 by default), so a caller's
 * CLIENT span and its callee's SERVER span land in different requests. Each trace: a frontend root, 2–4 calls to
 * other services (paired CLIENT/SERVER), each callee making 0–2 database/cache calls (CLIENT only, uninstrumented).
 */
export function generateOtlpBodies(totalSpans: number, perBody: number, seed: number): object[] {
  const random = prng(seed);
  const hex = (digits: number) => {
    let s = '';
    while (s.length < digits) s += Math.floor(random() * 0x100000000).toString(16).padStart(8, '0');
    return s.slice(0, digits);
  };
  const pending = new Map<string, object[]>();
  const bodies: object[] = [];
  let made = 0;
  let clockNs = 1_795_480_734_000_000_000n;
  const emit = (service: string, span: object) => {
    let list = pending.get(service);
    if (list === undefined) pending.set(service, (list = []));
    list.push(span);
    made++;
    if (list.length >= perBody) bodies.push(bodyOf(service, pending.get(service)!.splice(0)));
  };
  const span = (traceId: string, spanId: string, parent: string, name: string, kind: number, startNs: bigint, durNs: bigint, error: boolean, attributes: Attr[]) => ({
    traceId, spanId, ...(parent ? { parentSpanId: parent } : {}), name, kind,
    startTimeUnixNano: String(startNs), endTimeUnixNano: String(startNs + durNs), attributes,
    droppedAttributesCount: 0, events: [], droppedEventsCount: 0,
    status: error ? { code: 2, message: 'upstream failure' } : { code: 0 }, links: [], droppedLinksCount: 0, flags: 257,
  });
  while (made < totalSpans) {
    clockNs += 1_000_000n;
    const traceId = hex(32);
    const rootId = hex(16);
    const rootDur = BigInt(Math.floor(random() * 200_000_000));
    const rootError = random() < 0.02;
    const calls = 2 + Math.floor(random() * 3);
    for (let c = 0; c < calls; c++) {
      const callee = SERVICES[1 + Math.floor(random() * (SERVICES.length - 1))]!;
      const clientId = hex(16);
      const serverId = hex(16);
      const start = clockNs + BigInt(Math.floor(random() * 1_000_000));
      const dur = BigInt(Math.floor(random() * 80_000_000));
      const err = random() < 0.03;
      emit('frontend', span(traceId, clientId, rootId, `POST ${callee}`, 3, start, dur + 500_000n, err, [
        str('http.request.method', 'POST'), str('url.full', `http://${callee}.prod.svc.cluster.local:8080/api/v1/${callee}`),
        str('server.address', `${callee}.prod.svc.cluster.local`), int('server.port', 8080), int('http.response.status_code', err ? 503 : 200),
        str('network.protocol.version', '1.1'),
      ]));
      emit(callee, span(traceId, serverId, clientId, `POST /api/v1/${callee}`, 2, start + 200_000n, dur, err, [
        str('http.request.method', 'POST'), str('http.route', `/api/v1/${callee}`), str('url.path', `/api/v1/${callee}`), str('url.scheme', 'http'),
        int('http.response.status_code', err ? 503 : 200), str('server.address', `${callee}.prod.svc.cluster.local`), int('server.port', 8080),
        str('client.address', '10.42.3.17'), str('user_agent.original', 'node-fetch/1.0'), str('network.protocol.version', '1.1'),
      ]));
      const dbCalls = Math.floor(random() * 3);
      for (let d = 0; d < dbCalls; d++) {
        const db = DATABASES[Math.floor(random() * DATABASES.length)]!;
        emit(callee, span(traceId, hex(16), serverId, db.statement.split(' ')[0]!, 3, start + 300_000n, BigInt(Math.floor(random() * 20_000_000)), err && d === 0, [
          str('db.system', db.system), str('db.namespace', 'prod'), str('db.query.text', db.statement),
          str('server.address', db.host), int('server.port', db.system === 'redis' ? 6379 : 5432),
        ]));
      }
    }
    emit('frontend', span(traceId, rootId, '', 'GET /checkout', 2, clockNs, rootDur, rootError, [
      str('http.request.method', 'GET'), str('http.route', '/checkout'), str('url.path', '/checkout'), int('http.response.status_code', rootError ? 500 : 200),
      str('server.address', 'shop.example.com'), str('user_agent.original', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36'),
    ]));
  }
  for (const [service, list] of pending) if (list.length > 0) bodies.push(bodyOf(service, list));
  return bodies;
}

function bodyOf(service: string, spans: object[]): object {
  return {
    resourceSpans: [{
      resource: {
        attributes: [
          str('service.name', service), str('service.version', '1.42.0'), str('service.instance.id', `${service}-7d9f8b6c5-x2x9k`),
          str('deployment.environment.name', 'prod'), str('telemetry.sdk.name', 'opentelemetry'), str('telemetry.sdk.language', 'nodejs'),
          str('telemetry.sdk.version', '2.12.1'), str('host.name', `${service}-7d9f8b6c5-x2x9k`), int('process.pid', 1),
          str('k8s.namespace.name', 'prod'), str('k8s.pod.name', `${service}-7d9f8b6c5-x2x9k`),
        ],
        droppedAttributesCount: 0,
      },
      scopeSpans: [{ scope: { name: '@opentelemetry/instrumentation-http', version: '0.203.0' }, spans }],
    }],
  };
}

interface PbCodec {
  fromObject(o: object): unknown;
  encode(m: unknown): { finish(): Uint8Array };
}
const ExportTraceServiceRequest = (createRequire(import.meta.url)('@opentelemetry/otlp-transformer/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: PbCodec } } } } };
}).opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

/** The same body as application/x-protobuf: protobufjs' fromObject reads bytes from base64, so ids are converted. */
export function encodeOtlpProtobuf(body: object): Uint8Array {
  const copy = JSON.parse(JSON.stringify(body), (key, value: unknown) =>
    (key === 'traceId' || key === 'spanId' || key === 'parentSpanId') && typeof value === 'string' ? Buffer.from(value, 'hex').toString('base64') : value,
  ) as object;
  return ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(copy)).finish();
}

/**
 * Best time (ms) of each phase over `rounds` rounds after a warm-up round. Phases alternate within a round, so a
 * burst of load from other processes hits them alike and their ratios stay meaningful on a shared machine.
 */
function bestOf<K extends string>(rounds: number, phases: Record<K, () => void>): Record<K, number> {
  const names = Object.keys(phases) as K[];
  const best = Object.fromEntries(names.map((n) => [n, Number.POSITIVE_INFINITY])) as Record<K, number>;
  for (let r = 0; r <= rounds; r++) {
    for (const name of names) {
      const t = performance.now();
      phases[name]();
      if (r > 0) best[name] = Math.min(best[name], performance.now() - t);
    }
  }
  return best;
}

function spansIn(result: ReturnType<typeof otlpSource.parse>): SpanRecord[] {
  if (!result.ok || result.event.kind !== 'spans') throw new Error('bench body failed to parse');
  return result.event.spans;
}

export async function runOtlpBench(options: OtlpBenchOptions = {}): Promise<Record<string, number>> {
  const perBody = options.spansPerBody ?? 500;
  const rounds = options.rounds ?? 3;
  const bodies = generateOtlpBodies(options.spans ?? 330_000, perBody, options.seed ?? 7);
  const texts = bodies.map((b) => JSON.stringify(b));
  const protobufs = bodies.map(encodeOtlpProtobuf);
  const ctx = { serviceLabels: [], receivedAt: 0 };
  let spans = 0;
  for (const t of texts) spans += spansIn(otlpSource.parse(JSON.parse(t), ctx)).length;
  let sink = 0; // consumed results, so no phase can be optimised away

  const parsed = texts.map((t) => spansIn(otlpSource.parse(JSON.parse(t), ctx)));
  // The pairer as the ingest worker would drive it: one add per request, a flush every 50 requests, 1 ms per request.
  let pairer = new SpanPairer();
  const pairAll = (batches: (i: number) => SpanRecord[]) => {
    pairer = new SpanPairer();
    let now = 0;
    for (let i = 0; i < texts.length; i++) {
      pairer.add(batches(i), now++);
      if (i % 50 === 49) sink += pairer.flush(now).edges.length;
    }
    sink += pairer.flush(now + 60_000).edges.length;
  };
  const ms = bestOf(rounds, {
    json: () => {
      for (const t of texts) sink += (JSON.parse(t) as { resourceSpans: unknown[] }).resourceSpans.length;
    },
    parse: () => {
      for (const t of texts) sink += spansIn(otlpSource.parse(JSON.parse(t), ctx)).length;
    },
    pairerOnly: () => pairAll((i) => parsed[i]!),
    pipeline: () => pairAll((i) => spansIn(otlpSource.parse(JSON.parse(texts[i]!), ctx))),
    pbToJsonForm: () => {
      for (const b of protobufs) sink += (decodeOtlpTraceProtobuf(b) as { resourceSpans: unknown[] }).resourceSpans.length;
    },
    pbViaJsonForm: () => {
      for (const b of protobufs) sink += spansIn(otlpSource.parse(decodeOtlpTraceProtobuf(b), ctx)).length;
    },
    pbDirect: () => {
      for (const b of protobufs) sink += spansIn(parseOtlpTraceProtobuf(b, ctx)).length;
    },
  });
  if (sink < 0) console.log(sink);

  const perSec = (ms: number) => Math.round((spans / ms) * 1000);
  return {
    spans,
    bodies: bodies.length,
    jsonMegabytes: Math.round(texts.reduce((n, t) => n + t.length, 0) / 1e5) / 10,
    protobufMegabytes: Math.round(protobufs.reduce((n, b) => n + b.length, 0) / 1e5) / 10,
    jsonParseSpansPerSec: perSec(ms.json),
    jsonAndOtlpParseSpansPerSec: perSec(ms.parse),
    otlpParseOnlySpansPerSec: perSec(ms.parse - ms.json),
    parseToJsonParseRatio: Math.round((ms.parse / ms.json) * 100) / 100,
    pipelineSpansPerSec: perSec(ms.pipeline),
    pipelineToJsonParseRatio: Math.round((ms.pipeline / ms.json) * 100) / 100,
    pairerOnlySpansPerSec: perSec(ms.pairerOnly),
    protobufToJsonFormSpansPerSec: perSec(ms.pbToJsonForm),
    protobufViaJsonFormParseSpansPerSec: perSec(ms.pbViaJsonForm),
    protobufDirectParseSpansPerSec: perSec(ms.pbDirect),
    pairedCalls: pairer.paired,
    uninstrumentedPeerCalls: pairer.expiredWithPeer,
    evicted: pairer.evicted,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await runOtlpBench();
  console.table(Object.entries(results).map(([measure, value]) => ({ measure, value })));
}
