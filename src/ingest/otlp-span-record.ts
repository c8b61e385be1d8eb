// OTLP span → SpanRecord normalisation shared by the JSON and protobuf paths: attributes, service, the batch walk.
import type { IngestContext, InputIssue, ParseResult } from './source.js';
import { SpanKind, type SpanRecord } from '../model/span.js';
import { peerKindOf, peerName } from './otlp-peer.js';

/** Services without a service.name resource attribute (the SDK default is "unknown_service:<process>"). */
export const UNKNOWN_SERVICE = 'unknown_service';

/** More issues than this in one body are summarised: a 400 answer must stay readable. */
const MAX_ISSUES = 100;

/** A field that failed: its name under the span, and why. Thrown by span readers, caught once per span. */
export class SpanFieldError {
  constructor(
    readonly field: string,
    readonly message: string,
  ) {}
}

/** A string attribute value; the same property names in OTLP/JSON and in protobufjs' decoded AnyValue. */
function stringValueOf(value: unknown): string {
  if (value === null || typeof value !== 'object') return '';
  const s = (value as { stringValue?: unknown }).stringValue;
  return typeof s === 'string' ? s : '';
}

/** An integer attribute value: a decimal string (OTLP/JSON int64), a number, a protobufjs Long, or a stringValue. */
function intValueOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const v = value as { intValue?: unknown; stringValue?: unknown };
  const raw = v.intValue ?? v.stringValue;
  let n = 0;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string') n = Number(raw);
  else if (raw !== null && typeof raw === 'object') {
    const long = raw as { low?: unknown; high?: unknown };
    if (typeof long.low === 'number' && typeof long.high === 'number') n = long.high * 4294967296 + (long.low >>> 0);
  }
  return Number.isFinite(n) ? n : 0;
}

/** Who exported a resource's spans: its service.name and service.version, the resource attributes we use. */
export interface ResourceIdentity {
  service: string;
  /** '' when the resource names no version. */
  version: string;
}

export function resourceIdentityOf(attributes: ReadonlyArray<{ key: unknown; value: unknown }> | null | undefined): ResourceIdentity {
  let service = '';
  let version = '';
  if (attributes) {
    for (const a of attributes) {
      if (a.key === 'service.name') service = stringValueOf(a.value);
      else if (a.key === 'service.version') version = stringValueOf(a.value);
    }
  }
  return { service: service || UNKNOWN_SERVICE, version };
}

/**
 * Completes a SpanRecord from its span's attributes: the peer of a CLIENT/PRODUCER span (rules in otlp-peer.ts),
 * and a SERVER span's 5xx answer as an error (semantic conventions: a server-side error even if status was left
 * unset). Other kinds carry nothing we use, so their attributes are not read at all.
 */
export function applySpanAttributes(record: SpanRecord, attrs: readonly unknown[]): void {
  const kind = record.kind;
  const isCaller = kind === SpanKind.CLIENT || kind === SpanKind.PRODUCER;
  if (!isCaller && (kind !== SpanKind.SERVER || record.isError)) return;
  let peerService = '';
  let dbSystem = '';
  let host = '';
  let legacyHost = '';
  let messagingSystem = '';
  let destination = '';
  let httpStatus = 0;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs[i] as { key?: unknown; value?: unknown } | null;
    if (a === null || typeof a !== 'object') continue; // attributes we cannot read are not ours to reject
    switch (a.key) {
      // service.peer.name is the current semantic conventions' name for the deprecated peer.service.
      case 'peer.service': case 'service.peer.name': peerService = stringValueOf(a.value); break;
      case 'db.system': case 'db.system.name': dbSystem = stringValueOf(a.value); break;
      case 'server.address': host = stringValueOf(a.value); break;
      case 'net.peer.name': legacyHost = stringValueOf(a.value); break;
      case 'messaging.system': messagingSystem = stringValueOf(a.value); break;
      case 'messaging.destination.name': case 'messaging.destination': destination = stringValueOf(a.value); break;
      case 'http.response.status_code': case 'http.status_code': httpStatus = intValueOf(a.value); break;
    }
  }
  if (isCaller) {
    record.peer = peerName(peerService, dbSystem, host || legacyHost, messagingSystem, destination);
    record.peerKind = peerKindOf(peerService, dbSystem, messagingSystem);
  } else if (httpStatus >= 500) {
    record.isError = true;
  }
}

/** How a decoded request is walked: the same shape in OTLP/JSON and protobuf, read through these accessors. */
export interface SpanBatchReader<R, S> {
  resourceSpans: readonly R[];
  identityOf(resource: R): ResourceIdentity;
  /** The scope lists' name in paths: 'scopeSpans', or the pre-0.15 'instrumentationLibrarySpans'. */
  scopeKeyOf(resource: R): string;
  scopesOf(resource: R): readonly S[];
  spansOf(scope: S): readonly unknown[];
  /** One span, or a SpanFieldError thrown for its first bad field. */
  readSpan(raw: unknown, service: string, version: string): SpanRecord;
}

/** Normalises every span of a request; bad spans are reported by path (`resourceSpans.0.scopeSpans.0.spans.3.kind`). */
export function collectSpans<R, S>(reader: SpanBatchReader<R, S>, ctx: IngestContext): ParseResult {
  const spans: SpanRecord[] = [];
  const rejected: InputIssue[] = [];
  let rejectedCount = 0;
  const resources = reader.resourceSpans;
  for (let r = 0; r < resources.length; r++) {
    const rs = resources[r]!;
    const { service, version } = reader.identityOf(rs);
    const scopes = reader.scopesOf(rs);
    for (let c = 0; c < scopes.length; c++) {
      const list = reader.spansOf(scopes[c]!);
      for (let i = 0; i < list.length; i++) {
        try {
          spans.push(reader.readSpan(list[i], service, version));
        } catch (e) {
          if (!(e instanceof SpanFieldError)) throw e;
          if (rejectedCount++ < MAX_ISSUES) {
            const at = `resourceSpans.${r}.${reader.scopeKeyOf(rs)}.${c}.spans.${i}`;
            rejected.push({ path: e.field === '' ? at : `${at}.${e.field}`, message: e.message });
          }
        }
      }
    }
  }
  if (rejectedCount > MAX_ISSUES) {
    rejected.push({ path: '(root)', message: `${rejectedCount - MAX_ISSUES} more invalid spans not listed` });
  }
  if (spans.length === 0 && rejectedCount > 0) return { ok: false, issues: rejected };
  return { ok: true, event: { kind: 'spans', receivedAt: ctx.receivedAt, spans }, accepted: spans.length, rejected };
}
