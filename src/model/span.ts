// A span reduced to what dependency and anomaly analysis needs. Produced by ingest/otlp.ts.

/** OTLP SpanKind numbers. */
export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;
export type SpanKindValue = (typeof SpanKind)[keyof typeof SpanKind];

export interface SpanRecord {
  traceId: string; // lowercase hex
  spanId: string; // lowercase hex
  parentSpanId: string; // lowercase hex, '' for a root span
  service: string; // resource service.name
  /** Resource service.version ('' when not named). The parsers always set it; records built by hand may leave it out. */
  version?: string;
  kind: SpanKindValue;
  /** Span start, epoch milliseconds (may be fractional). */
  startMs: number;
  durationMs: number;
  isError: boolean;
  /**
   * For CLIENT/PRODUCER spans: the callee's name as callers see it — `peer.service`, else a name derived from
   * `db.system`/`messaging.system` and `server.address` (rules in ingest/otlp-peer.ts), else '' when unnamed.
   */
  peer: string;
  /** What kind of peer the attributes say it is. */
  peerKind: PeerKind;
}

export type PeerKind = 'service' | 'database' | 'cache' | 'queue' | 'external';
