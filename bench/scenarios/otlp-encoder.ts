// OTLP/JSON export requests as the OpenTelemetry SDKs send them: one request per batch (a
// BatchSpanProcessor per pod flushing every few seconds), one resource per request, scopes per
// instrumentation, hex ids, nanosecond strings, CLIENT spans naming uninstrumented peers by peer.service.
import type { Rng } from './rng.js';
import type { Topology, TopologyNode } from './topology-generator.js';
import type { SimSpan } from './traffic-generator.js';
import type { TimedEvent } from './event-line.js';

type AnyValue = { stringValue: string } | { intValue: number } | { boolValue: boolean };
type KeyValue = { key: string; value: AnyValue };

function attr(key: string, value: string | number | boolean): KeyValue {
  return { key, value: typeof value === 'string' ? { stringValue: value } : typeof value === 'number' ? { intValue: value } : { boolValue: value } };
}

function nanos(ms: number): string {
  return (BigInt(Math.floor(ms)) * 1_000_000n + BigInt(Math.round((ms - Math.floor(ms)) * 1_000_000))).toString();
}

const SCOPES: Record<TopologyNode['language'], { http: string; client: string; db: string; cache: string; queue: string; version: string; sdk: string }> = {
  nodejs: { http: '@opentelemetry/instrumentation-http', client: '@opentelemetry/instrumentation-undici', db: '@opentelemetry/instrumentation-pg', cache: '@opentelemetry/instrumentation-ioredis', queue: '@opentelemetry/instrumentation-kafkajs', version: '0.57.1', sdk: '2.12.1' },
  java: { http: 'io.opentelemetry.tomcat-10.0', client: 'io.opentelemetry.java-http-client', db: 'io.opentelemetry.jdbc', cache: 'io.opentelemetry.lettuce-5.1', queue: 'io.opentelemetry.kafka-clients-2.6', version: '2.10.0-alpha', sdk: '1.44.1' },
  go: { http: 'go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp', client: 'go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp', db: 'github.com/XSAM/otelsql', cache: 'github.com/redis/go-redis/extra/redisotel', queue: 'github.com/IBM/sarama/otelsarama', version: '0.58.0', sdk: '1.33.0' },
  python: { http: 'opentelemetry.instrumentation.flask', client: 'opentelemetry.instrumentation.requests', db: 'opentelemetry.instrumentation.psycopg2', cache: 'opentelemetry.instrumentation.redis', queue: 'opentelemetry.instrumentation.confluent_kafka', version: '0.50b0', sdk: '1.29.0' },
};

const DB_PORTS: Record<string, number> = { postgresql: 5432, mysql: 3306, mongodb: 27017, redis: 6379, memcached: 11211, kafka: 9092, rabbitmq: 5672 };

export interface EncoderContext {
  topology: Topology;
  /** The version a service's pod runs at a time (changes with deploys; a canary's pod runs the canary's). */
  versionAt(service: string, at: number, pod: string): string;
  environment: string;
}

interface Encoded {
  scope: string;
  span: Record<string, unknown>;
}

function encodeSpan(rng: Rng, s: SimSpan, node: TopologyNode, ctx: EncoderContext, peerNames: Map<string, boolean>): Encoded {
  const scopes = SCOPES[node.language];
  const attributes: KeyValue[] = [];
  let name: string;
  let scope = scopes.http;
  if (s.kind === 2) {
    const [method, route] = s.route.split(' ') as [string, string];
    name = `${method} ${route}`;
    attributes.push(attr('http.request.method', method), attr('http.route', route), attr('url.path', route.replace('{id}', String(rng.int(1, 99999)))), attr('url.scheme', 'http'), attr('server.address', s.service), attr('server.port', 8080), attr('http.response.status_code', s.statusCode));
  } else {
    const peer = ctx.topology.byName.get(s.peer)!;
    const fqdn = `${peer.name}.${peer.namespace}.svc.cluster.local`;
    if (peer.kind === 'service' || peer.kind === 'frontend') {
      scope = scopes.client;
      const method = rng.pick(['GET', 'GET', 'POST']);
      name = method;
      const host = peerNames.get(s.service) ? fqdn : peer.name;
      attributes.push(attr('http.request.method', method), attr('server.address', host), attr('server.port', 8080));
      if (!s.message.startsWith('timeout')) attributes.push(attr('http.response.status_code', s.statusCode));
    } else {
      const system = peer.system ?? 'postgresql';
      const port = DB_PORTS[system] ?? 5432;
      attributes.push(attr('peer.service', peer.name), attr('server.address', fqdn), attr('server.port', port));
      if (peer.kind === 'queue') {
        scope = scopes.queue;
        const topic = `${s.service.replace(/-(api|service|svc|worker)$/, '')}.events`;
        name = `publish ${topic}`;
        attributes.push(attr('messaging.system', system), attr('messaging.operation.type', 'publish'), attr('messaging.destination.name', topic));
      } else if (peer.kind === 'cache') {
        scope = scopes.cache;
        name = rng.pick(['GET', 'GET', 'SET', 'HGETALL', 'MGET']);
        attributes.push(attr('db.system', system), attr('db.operation.name', name));
      } else {
        scope = scopes.db;
        const table = peer.name.replace(/-(db|postgres|mysql|mongo)$/, '').replace(/-/g, '_');
        const op = rng.pick(['SELECT', 'SELECT', 'SELECT', 'INSERT', 'UPDATE']);
        name = `${op} ${table}`;
        attributes.push(attr('db.system', system), attr('db.namespace', table), attr('db.operation.name', op), attr('db.collection.name', table));
      }
    }
  }
  const span: Record<string, unknown> = { traceId: s.traceId, spanId: s.spanId };
  if (s.parentSpanId) span.parentSpanId = s.parentSpanId;
  const events: unknown[] = [];
  if (s.error && rng.chance(0.5)) {
    events.push({ timeUnixNano: nanos(s.startMs + s.durationMs), name: 'exception', attributes: [attr('exception.type', 'Error'), attr('exception.message', s.message)], droppedAttributesCount: 0 });
  }
  Object.assign(span, {
    name,
    kind: s.kind,
    startTimeUnixNano: nanos(s.startMs),
    endTimeUnixNano: nanos(s.startMs + s.durationMs),
    attributes,
    droppedAttributesCount: 0,
    events,
    droppedEventsCount: 0,
    status: s.error ? (s.message ? { code: 2, message: s.message } : { code: 2 }) : { code: 0 },
    links: [],
    droppedLinksCount: 0,
    flags: 257,
  });
  return { scope, span };
}

export interface OtlpEncodingOptions {
  /** Flush interval of the batch processors (SDK default 5 s). */
  flushIntervalMs: number;
  maxBatchSize: number;
  endMs: number;
}

/** Groups spans into export requests per pod and flush tick, and stamps each with its arrival time. */
export function encodeOtlp(rng: Rng, spans: readonly SimSpan[], ctx: EncoderContext, options: OtlpEncodingOptions): TimedEvent[] {
  const phase = new Map<string, number>();
  const batches = new Map<string, SimSpan[]>();
  const flushOf = new Map<string, number>();
  const fqdnCallers = new Map<string, boolean>();
  for (const n of ctx.topology.nodes) fqdnCallers.set(n.name, rng.chance(0.4));
  for (const s of spans) {
    const end = s.startMs + s.durationMs;
    let p = phase.get(s.pod);
    if (p === undefined) phase.set(s.pod, (p = rng.next() * options.flushIntervalMs));
    const tick = Math.ceil((end - p) / options.flushIntervalMs) * options.flushIntervalMs + p;
    if (tick >= options.endMs) continue; // not yet exported when the recording stops
    const key = `${s.pod}|${tick}`;
    let b = batches.get(key);
    if (!b) {
      batches.set(key, (b = []));
      flushOf.set(key, tick);
    }
    b.push(s);
  }
  const out: TimedEvent[] = [];
  for (const [key, batch] of batches) {
    const tick = flushOf.get(key)!;
    batch.sort((a, b) => a.startMs + a.durationMs - (b.startMs + b.durationMs));
    for (let i = 0; i < batch.length; i += options.maxBatchSize) {
      const part = batch.slice(i, i + options.maxBatchSize);
      const first = part[0]!;
      const node = ctx.topology.byName.get(first.service)!;
      const byScope = new Map<string, unknown[]>();
      for (const s of part) {
        const { scope, span } = encodeSpan(rng, s, node, ctx, fqdnCallers);
        const list = byScope.get(scope) ?? [];
        list.push(span);
        byScope.set(scope, list);
      }
      const scopes = SCOPES[node.language];
      const payload = {
        resourceSpans: [
          {
            resource: {
              attributes: [
                attr('service.name', node.name),
                attr('service.version', ctx.versionAt(node.name, tick, first.pod)),
                attr('deployment.environment.name', ctx.environment),
                attr('k8s.namespace.name', node.namespace),
                attr('k8s.pod.name', first.pod),
                attr('telemetry.sdk.language', node.language),
                attr('telemetry.sdk.name', 'opentelemetry'),
                attr('telemetry.sdk.version', scopes.sdk),
              ],
              droppedAttributesCount: 0,
            },
            scopeSpans: [...byScope].map(([name, list]) => ({ scope: { name, version: scopes.version }, spans: list })),
          },
        ],
      };
      // Export latency: usually tens of milliseconds, sometimes a retry seconds later.
      const delay = rng.chance(0.05) ? rng.between(1000, 6000) : rng.between(10, 600);
      out.push({ at: tick + delay, type: 'otlp', payload });
    }
  }
  return out;
}
