// OTLP/JSON traces (ExportTraceServiceRequest) → SpanRecord[]: zod for the envelope, a lean hand walk per span.
import { z } from 'zod';
import type { IngestContext, IngestSource, ParseResult } from './source.js';
import { toInputIssues } from './source.js';
import { SpanKind, type SpanKindValue, type SpanRecord } from '../model/span.js';
import { applySpanAttributes, collectSpans, resourceIdentityOf, SpanFieldError } from './otlp-span-record.js';

export { UNKNOWN_SERVICE } from './otlp-span-record.js';

/*
 * Why not zod per span: a body carries hundreds of spans with a dozen attributes each, and zod would copy every one
 * of them. The envelope (few objects per body) is zod's to judge (a hand check passes the well-formed ones without
 * copying them); spans are walked by hand, reading only the fields we use, validating those, and naming the first
 * bad field of a bad span by its path. A bad span costs only itself.
 */

const KeyValueSchema = z.object({ key: z.string(), value: z.unknown() });

const ScopeSpansSchema = z.object({ spans: z.array(z.unknown()).nullish() });

export const OtlpEnvelopeSchema = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.object({ attributes: z.array(KeyValueSchema).nullish() }).nullish(),
        scopeSpans: z.array(ScopeSpansSchema).nullish(),
        /** The name of scopeSpans before OTLP 0.15; some older senders still use it. */
        instrumentationLibrarySpans: z.array(ScopeSpansSchema).nullish(),
      }),
    )
    .nullish(),
});
export type OtlpEnvelope = z.infer<typeof OtlpEnvelopeSchema>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scopesAreWellFormed(list: unknown): boolean {
  if (list === undefined || list === null) return true;
  if (!Array.isArray(list)) return false;
  for (const scope of list) {
    if (!isRecord(scope)) return false;
    const spans = scope.spans;
    if (spans !== undefined && spans !== null && !Array.isArray(spans)) return false;
  }
  return true;
}

/**
 * A hand check of the envelope that accepts only bodies OtlpEnvelopeSchema accepts (a test holds it to that), so
 * that such a body — nearly every one — is read as it is: zod would copy every span array just to check that it
 * is an array. A body it declines goes through zod, for zod's verdict and issues.
 */
export function isWellFormedEnvelope(body: unknown): body is OtlpEnvelope {
  if (!isRecord(body)) return false;
  const resourceSpans = body.resourceSpans;
  if (resourceSpans === undefined || resourceSpans === null) return true;
  if (!Array.isArray(resourceSpans)) return false;
  for (const rs of resourceSpans) {
    if (!isRecord(rs)) return false;
    const resource = rs.resource;
    if (resource !== undefined && resource !== null) {
      if (!isRecord(resource)) return false;
      const attributes = resource.attributes;
      if (attributes !== undefined && attributes !== null) {
        if (!Array.isArray(attributes)) return false;
        for (const a of attributes) if (!isRecord(a) || typeof a.key !== 'string' || a.value === undefined) return false;
      }
    }
    if (!scopesAreWellFormed(rs.scopeSpans) || !scopesAreWellFormed(rs.instrumentationLibrarySpans)) return false;
  }
  return true;
}

const KIND_NAMES: Readonly<Record<string, SpanKindValue>> = {
  SPAN_KIND_UNSPECIFIED: SpanKind.UNSPECIFIED,
  SPAN_KIND_INTERNAL: SpanKind.INTERNAL,
  SPAN_KIND_SERVER: SpanKind.SERVER,
  SPAN_KIND_CLIENT: SpanKind.CLIENT,
  SPAN_KIND_PRODUCER: SpanKind.PRODUCER,
  SPAN_KIND_CONSUMER: SpanKind.CONSUMER,
};
const STATUS_NAMES: Readonly<Record<string, number>> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };
const STATUS_ERROR = 2;

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** 1 for the lowercase hex digits' char codes: ids are checked a character at a time against it. */
const LOWER_HEX = new Uint8Array(128);
for (const c of '0123456789abcdef') LOWER_HEX[c.charCodeAt(0)] = 1;

function isLowerHex(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || LOWER_HEX[c] !== 1) return false;
  }
  return true;
}

/** A trace/span id as lowercase hex: OTLP/JSON sends hex; the generic protobuf JSON mapping sends base64. */
function readId(v: unknown, bytes: number, field: string): string {
  if (typeof v !== 'string') throw new SpanFieldError(field, `expected a ${bytes * 2}-digit hex string`);
  if (v.length === bytes * 2) {
    if (isLowerHex(v)) return v;
    const lower = v.toLowerCase();
    if (isLowerHex(lower)) return lower;
  } else if (v.length >= Math.ceil((bytes * 4) / 3) && v.length <= Math.ceil(bytes / 3) * 4 && BASE64.test(v)) {
    const decoded = Buffer.from(v, v.includes('-') || v.includes('_') ? 'base64url' : 'base64');
    if (decoded.length === bytes) return decoded.toString('hex');
  }
  throw new SpanFieldError(field, `expected a ${bytes * 2}-digit hex string (or base64 of ${bytes} bytes)`);
}

// The last time read, split at the millisecond: whole ms and the ns within it. Module scratch rather than a
// returned object so the per-span walk allocates nothing; durations subtract the parts, keeping ns precision that
// a 1.8e12 ms double (resolution ~0.24 µs) would blur.
let readWholeMs = 0;
let readSubNs = 0;

/** Reads nanoseconds since the epoch (a decimal string, as OTLP/JSON sends int64, or a number) into the scratch. */
function readNanos(v: unknown, field: string): void {
  if (typeof v === 'string') {
    const n = v.length;
    if (n > 0 && n <= 20) {
      // Digits split at the ms boundary so both halves stay exact integers (a 19-digit number is not a safe double).
      let ms = 0;
      let ns = 0;
      let i = 0;
      for (; i < n - 6; i++) {
        const d = v.charCodeAt(i) - 48;
        if (d < 0 || d > 9) break;
        ms = ms * 10 + d;
      }
      for (; i < n; i++) {
        const d = v.charCodeAt(i) - 48;
        if (d < 0 || d > 9) break;
        ns = ns * 10 + d;
      }
      if (i === n) {
        readWholeMs = ms;
        readSubNs = ns;
        return;
      }
    }
  } else if (typeof v === 'number' && Number.isFinite(v) && v >= 0) {
    readWholeMs = Math.floor(v / 1e6);
    readSubNs = v - readWholeMs * 1e6;
    return;
  }
  throw new SpanFieldError(field, 'expected nanoseconds since the epoch as a decimal string or number');
}

function readKind(v: unknown): SpanKindValue {
  if (v === undefined || v === null) return SpanKind.UNSPECIFIED; // proto3 JSON omits default values
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 5) return v as SpanKindValue;
  if (typeof v === 'string') {
    const k = KIND_NAMES[v];
    if (k !== undefined) return k;
  }
  throw new SpanFieldError('kind', 'expected a SpanKind number 0..5 or name');
}

function readStatusIsError(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'object') throw new SpanFieldError('status', 'expected an object');
  const code = (v as { code?: unknown }).code;
  if (code === undefined || code === null) return false;
  if (typeof code === 'number' && (code === 0 || code === 1 || code === 2)) return code === STATUS_ERROR;
  if (typeof code === 'string') {
    const c = STATUS_NAMES[code];
    if (c !== undefined) return c === STATUS_ERROR;
  }
  throw new SpanFieldError('status.code', 'expected a StatusCode 0..2 or name');
}

/** One span to a SpanRecord, or a SpanFieldError thrown for its first bad field. */
function readJsonSpan(raw: unknown, service: string, version: string): SpanRecord {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SpanFieldError('', 'expected a span object');
  const s = raw as Record<string, unknown>;
  const traceId = readId(s.traceId, 16, 'traceId');
  if (traceId === ZERO_TRACE_ID) throw new SpanFieldError('traceId', 'an all-zero trace id is invalid');
  const spanId = readId(s.spanId, 8, 'spanId');
  if (spanId === ZERO_SPAN_ID) throw new SpanFieldError('spanId', 'an all-zero span id is invalid');
  const p = s.parentSpanId;
  const parentSpanId = p === undefined || p === null || p === '' ? '' : readId(p, 8, 'parentSpanId');
  const kind = readKind(s.kind);
  readNanos(s.startTimeUnixNano, 'startTimeUnixNano');
  const startWholeMs = readWholeMs;
  const startSubNs = readSubNs;
  readNanos(s.endTimeUnixNano, 'endTimeUnixNano');
  const durationMs = readWholeMs - startWholeMs + (readSubNs - startSubNs) / 1e6;
  if (durationMs < 0) throw new SpanFieldError('endTimeUnixNano', 'ends before startTimeUnixNano');
  const isError = readStatusIsError(s.status);

  const startMs = startWholeMs + startSubNs / 1e6;
  const record: SpanRecord = { traceId, spanId, parentSpanId, service, version, kind, startMs, durationMs, isError, peer: '', peerKind: 'external' };
  const attrs = s.attributes;
  if (attrs !== undefined && attrs !== null) {
    if (!Array.isArray(attrs)) throw new SpanFieldError('attributes', 'expected an array of {key, value}');
    applySpanAttributes(record, attrs);
  }
  return record;
}

type JsonResourceSpans = NonNullable<OtlpEnvelope['resourceSpans']>[number];
type JsonScopeSpans = NonNullable<JsonResourceSpans['scopeSpans']>[number];

const EMPTY: never[] = [];

/** Validates an OTLP/JSON body and normalises its valid spans; bad spans are reported by path and skipped. */
export function parseOtlpTraces(body: unknown, ctx: IngestContext): ParseResult {
  let data: OtlpEnvelope;
  if (isWellFormedEnvelope(body)) {
    data = body;
  } else {
    const envelope = OtlpEnvelopeSchema.safeParse(body);
    if (!envelope.success) return { ok: false, issues: toInputIssues(envelope.error.issues) };
    data = envelope.data;
  }
  return collectSpans<JsonResourceSpans, JsonScopeSpans>(
    {
      resourceSpans: data.resourceSpans ?? EMPTY,
      identityOf: (rs) => resourceIdentityOf(rs.resource?.attributes),
      scopeKeyOf: (rs) => (rs.scopeSpans ? 'scopeSpans' : 'instrumentationLibrarySpans'),
      scopesOf: (rs) => rs.scopeSpans ?? rs.instrumentationLibrarySpans ?? EMPTY,
      spansOf: (ss) => ss.spans ?? EMPTY,
      readSpan: readJsonSpan,
    },
    ctx,
  );
}

export const otlpSource: IngestSource = { type: 'otlp', parse: parseOtlpTraces };
