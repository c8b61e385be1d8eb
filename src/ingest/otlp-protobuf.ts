// OTLP/protobuf trace bodies → the OTLP/JSON form otlp.ts parses (hex ids, numeric kinds, int64 as decimal strings).
import { createRequire } from 'node:module';
import type { IngestContext, ParseResult } from './source.js';
import type { SpanKindValue, SpanRecord } from '../model/span.js';
import { applySpanAttributes, collectSpans, resourceIdentityOf, SpanFieldError } from './otlp-span-record.js';

/*
 * Decoding uses the protobufjs code generated into @opentelemetry/otlp-transformer@0.52.1 (current OTel packages
 * ship no decoder). Two ways out:
 * - decodeOtlpTraceProtobuf: the request in OTLP/JSON form, for otlpSource.parse and for recording a protobuf body
 *   in the event stream (CONTRACT §1) exactly like a JSON one;
 * - parseOtlpTraceProtobuf: straight to SpanRecords, the same result as otlpSource.parse(decodeOtlpTraceProtobuf(b))
 *   at about twice the speed (building the JSON form costs more than protobufjs' decode). Attributes and the batch
 *   walk are shared with the JSON path (otlp-span-record.ts); only ids and times are read differently.
 */

/** protobufjs int64: a Long when the `long` package is present, else a number. */
type Int64 = number | { low: number; high: number; unsigned?: boolean; toString(): string } | null;

interface PbAnyValue {
  stringValue: string | null;
  boolValue: boolean | null;
  intValue: Int64;
  doubleValue: number | null;
  arrayValue: { values: PbAnyValue[] } | null;
  kvlistValue: { values: PbKeyValue[] } | null;
  bytesValue: Uint8Array | null;
}
interface PbKeyValue {
  key: string | null;
  value: PbAnyValue | null;
}
interface PbEvent {
  timeUnixNano: Int64;
  name: string | null;
  attributes: PbKeyValue[];
}
interface PbLink {
  traceId: Uint8Array | null;
  spanId: Uint8Array | null;
  traceState: string | null;
  attributes: PbKeyValue[];
}
interface PbSpan {
  traceId: Uint8Array | null;
  spanId: Uint8Array | null;
  traceState: string | null;
  parentSpanId: Uint8Array | null;
  name: string | null;
  kind: number | null;
  startTimeUnixNano: Int64;
  endTimeUnixNano: Int64;
  attributes: PbKeyValue[];
  events: PbEvent[];
  links: PbLink[];
  status: { code: number | null; message: string | null } | null;
}
interface PbRequest {
  resourceSpans: Array<{
    resource: { attributes: PbKeyValue[] } | null;
    scopeSpans: Array<{ scope: { name: string | null; version: string | null } | null; spans: PbSpan[]; schemaUrl: string | null }>;
    schemaUrl: string | null;
  }>;
}

interface GeneratedRoot {
  opentelemetry: {
    proto: { collector: { trace: { v1: { ExportTraceServiceRequest: { decode(bytes: Uint8Array): PbRequest } } } } };
  };
}

// The generated module is CommonJS with `module.exports = $root` and untyped declarations: require it and type it here.
const generated = createRequire(import.meta.url)(
  '@opentelemetry/otlp-transformer/build/src/generated/root.js',
) as GeneratedRoot;
const ExportTraceServiceRequest = generated.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

/** Thrown for bodies that are not a valid ExportTraceServiceRequest; the HTTP layer answers 400 with its message. */
export class OtlpProtobufError extends Error {
  override readonly name = 'OtlpProtobufError';
}

function hexOf(bytes: Uint8Array | null): string {
  if (bytes === null || bytes.length === 0) return '';
  return Buffer.isBuffer(bytes) ? bytes.toString('hex') : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

/**
 * An unsigned fixed64 as an exact decimal string without BigInt: high·2³² + low is split at 10⁶ so that both
 * parts stay below 2⁵³ (high·2³² = high·4294·10⁶ + high·967296).
 */
function uint64ToDecimal(v: Int64): string {
  if (v === null) return '0';
  if (typeof v === 'number') return String(v);
  const low = v.low >>> 0;
  const high = v.high >>> 0;
  if (high === 0) return String(low);
  const rest = high * 967296 + low;
  const ms = high * 4294 + Math.floor(rest / 1e6);
  const ns = rest % 1e6;
  return ms === 0 ? String(ns) : `${ms}${String(ns).padStart(6, '0')}`;
}

function anyValueToJson(v: PbAnyValue | null): Record<string, unknown> {
  if (v === null) return {};
  if (v.stringValue !== null) return { stringValue: v.stringValue };
  if (v.intValue !== null) return { intValue: typeof v.intValue === 'number' ? String(v.intValue) : v.intValue.toString() };
  if (v.boolValue !== null) return { boolValue: v.boolValue };
  if (v.doubleValue !== null) return { doubleValue: v.doubleValue };
  if (v.arrayValue !== null) return { arrayValue: { values: (v.arrayValue.values ?? []).map(anyValueToJson) } };
  if (v.kvlistValue !== null) return { kvlistValue: { values: attributesToJson(v.kvlistValue.values ?? []) } };
  if (v.bytesValue !== null) return { bytesValue: Buffer.from(v.bytesValue).toString('base64') };
  return {};
}

function attributesToJson(attrs: PbKeyValue[]): Array<{ key: string; value: Record<string, unknown> }> {
  const out = new Array<{ key: string; value: Record<string, unknown> }>(attrs.length);
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs[i]!;
    out[i] = { key: a.key ?? '', value: anyValueToJson(a.value) };
  }
  return out;
}

function spanToJson(s: PbSpan): Record<string, unknown> {
  const json: Record<string, unknown> = {
    traceId: hexOf(s.traceId),
    spanId: hexOf(s.spanId),
    name: s.name ?? '',
    kind: s.kind ?? 0,
    startTimeUnixNano: uint64ToDecimal(s.startTimeUnixNano),
    endTimeUnixNano: uint64ToDecimal(s.endTimeUnixNano),
    attributes: attributesToJson(s.attributes),
  };
  const parent = hexOf(s.parentSpanId);
  if (parent !== '') json.parentSpanId = parent;
  if (s.traceState) json.traceState = s.traceState;
  if (s.status !== null) json.status = s.status.message ? { code: s.status.code ?? 0, message: s.status.message } : { code: s.status.code ?? 0 };
  if (s.events.length > 0) {
    json.events = s.events.map((e) => ({ timeUnixNano: uint64ToDecimal(e.timeUnixNano), name: e.name ?? '', attributes: attributesToJson(e.attributes) }));
  }
  if (s.links.length > 0) {
    json.links = s.links.map((l) => ({ traceId: hexOf(l.traceId), spanId: hexOf(l.spanId), attributes: attributesToJson(l.attributes) }));
  }
  return json;
}

function decodeRequest(bytes: Uint8Array): PbRequest {
  try {
    return ExportTraceServiceRequest.decode(bytes);
  } catch (e) {
    throw new OtlpProtobufError(`invalid OTLP protobuf ExportTraceServiceRequest: ${(e as Error).message}`);
  }
}

/** Decodes an `application/x-protobuf` ExportTraceServiceRequest into OTLP/JSON form for `otlpSource.parse`. */
export function decodeOtlpTraceProtobuf(bytes: Uint8Array): unknown {
  const request = decodeRequest(bytes);
  return {
    resourceSpans: request.resourceSpans.map((rs) => ({
      resource: { attributes: attributesToJson(rs.resource?.attributes ?? []) },
      scopeSpans: rs.scopeSpans.map((ss) => {
        const scope = ss.scope === null ? {} : { name: ss.scope.name ?? '', ...(ss.scope.version ? { version: ss.scope.version } : {}) };
        return { scope, spans: ss.spans.map(spanToJson) };
      }),
    })),
  };
}

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

function readIdBytes(bytes: Uint8Array | null, length: number, field: string): string {
  if (bytes === null || bytes.length !== length) throw new SpanFieldError(field, `expected ${length} bytes`);
  return hexOf(bytes);
}

/** A fixed64 of nanoseconds split into whole ms and ns within it (see uint64ToDecimal for the arithmetic). */
let readWholeMs = 0;
let readSubNs = 0;
function readNanos(v: Int64): void {
  if (v === null) {
    readWholeMs = 0;
    readSubNs = 0;
  } else if (typeof v === 'number') {
    readWholeMs = Math.floor(v / 1e6);
    readSubNs = v - readWholeMs * 1e6;
  } else {
    const high = v.high >>> 0;
    const rest = high * 967296 + (v.low >>> 0);
    readWholeMs = high * 4294 + Math.floor(rest / 1e6);
    readSubNs = rest % 1e6;
  }
}

function readPbSpan(raw: unknown, service: string, version: string): SpanRecord {
  const s = raw as PbSpan;
  const traceId = readIdBytes(s.traceId, 16, 'traceId');
  if (traceId === ZERO_TRACE_ID) throw new SpanFieldError('traceId', 'an all-zero trace id is invalid');
  const spanId = readIdBytes(s.spanId, 8, 'spanId');
  if (spanId === ZERO_SPAN_ID) throw new SpanFieldError('spanId', 'an all-zero span id is invalid');
  const parentSpanId = s.parentSpanId === null || s.parentSpanId.length === 0 ? '' : readIdBytes(s.parentSpanId, 8, 'parentSpanId');
  const kind = s.kind ?? 0;
  if (kind < 0 || kind > 5) throw new SpanFieldError('kind', 'expected a SpanKind number 0..5 or name');
  if (s.startTimeUnixNano === null) throw new SpanFieldError('startTimeUnixNano', 'missing');
  readNanos(s.startTimeUnixNano);
  const startWholeMs = readWholeMs;
  const startSubNs = readSubNs;
  readNanos(s.endTimeUnixNano);
  const durationMs = readWholeMs - startWholeMs + (readSubNs - startSubNs) / 1e6;
  if (durationMs < 0) throw new SpanFieldError('endTimeUnixNano', 'ends before startTimeUnixNano');
  const code = s.status?.code ?? 0;
  if (code < 0 || code > 2) throw new SpanFieldError('status.code', 'expected a StatusCode 0..2 or name');
  const record: SpanRecord = {
    traceId,
    spanId,
    parentSpanId,
    service,
    version,
    kind: kind as SpanKindValue,
    startMs: startWholeMs + startSubNs / 1e6,
    durationMs,
    isError: code === 2,
    peer: '',
    peerKind: 'external',
  };
  applySpanAttributes(record, s.attributes);
  return record;
}

type PbResourceSpans = PbRequest['resourceSpans'][number];
type PbScopeSpans = PbResourceSpans['scopeSpans'][number];

/**
 * Decodes and normalises an `application/x-protobuf` body in one pass: the ParseResult otlpSource.parse gives for
 * the decoded request. Throws OtlpProtobufError when the bytes are not a request.
 */
export function parseOtlpTraceProtobuf(bytes: Uint8Array, ctx: IngestContext): ParseResult {
  const request = decodeRequest(bytes);
  return collectSpans<PbResourceSpans, PbScopeSpans>(
    {
      resourceSpans: request.resourceSpans,
      identityOf: (rs) => resourceIdentityOf(rs.resource?.attributes),
      scopeKeyOf: () => 'scopeSpans',
      scopesOf: (rs) => rs.scopeSpans,
      spansOf: (ss) => ss.spans,
      readSpan: readPbSpan,
    },
    ctx,
  );
}
