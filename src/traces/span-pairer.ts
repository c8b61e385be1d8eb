// Pairs caller and callee spans that arrive separately into service-graph aggregates, like the OTel collector's
// servicegraph connector: pure (time is the `now` argument), bounded in time and memory.
import { SpanKind, type PeerKind, type SpanRecord } from '../model/span.js';
import {
  addCall,
  LATENCY_BUCKETS,
  TRACE_BUCKET_MS,
  type EdgeAggregate,
  type ServiceAggregate,
  addVersionTotals,
  type TraceDelta,
} from '../model/trace-aggregate.js';
import { strongerCalleeKind } from './callee-kind.js';

export interface SpanPairerOptions {
  /** How long a span waits for its counterpart (and a failed span for its children), in ms of `now`. */
  windowMs?: number;
  /** At most this many spans wait for pairing; beyond it the oldest are settled early and counted as evicted. */
  maxPending?: number;
}

export const DEFAULT_PAIRING_WINDOW_MS = 10_000;
export const DEFAULT_MAX_PENDING = 200_000;

/** What a call needs of its client span: copied out when the span waits, so its ids and the request can be freed. */
type CallerSide = Pick<SpanRecord, 'service' | 'startMs' | 'durationMs' | 'isError' | 'peer' | 'peerKind' | 'version'>;
/**
 * What a call needs of its server span: how long the callee took to answer, or null for a CONSUMER span, whose work
 * its producer never waits for (a message is sent, not answered: the producer's span is the call's only timing).
 */
type CalleeSide = Pick<SpanRecord, 'service' | 'isError'> & { answerMs: number | null };

function answerMs(span: SpanRecord): number | null {
  return span.kind === SpanKind.CONSUMER ? null : span.durationMs;
}

/** A client span waiting for its server span, with the `now` it arrived at. */
interface PendingClient extends CallerSide {
  at: number;
}
/** A server span waiting for its client span. */
interface PendingServer extends CalleeSide {
  at: number;
}

/** A failed span counted in its service's aggregate, waiting to learn whether a call it made failed first. */
interface UnsettledError {
  service: string;
  bucket: number;
  at: number;
  propagated: boolean;
}

/** Keys of failed calls: the parent span id and the caller's service (only a call of the parent's own service counts). */
function failedCallKey(parentSpanId: string, service: string): string {
  return `${parentSpanId}\u0000${service}`;
}

/** An empty latency histogram, as emptyCallStats() has it: aggregates are built inline, not spread from a second object. */
function emptyHistogram(): number[] {
  return new Array<number>(LATENCY_BUCKETS).fill(0);
}

/** Counts one call per the caller's version (decision 031), when its client span named one. */
function countCallerVersion(agg: EdgeAggregate, version: string | undefined, latencyMs: number, failed: boolean): void {
  if (version !== undefined && version !== '') addVersionTotals((agg.versions ??= []), version, 1, failed ? 1 : 0, latencyMs);
}

function bucketOf(ms: number): number {
  return Math.floor(ms / TRACE_BUCKET_MS) * TRACE_BUCKET_MS;
}

function isCaller(kind: number): boolean {
  return kind === SpanKind.CLIENT || kind === SpanKind.PRODUCER;
}

function isCallee(kind: number): boolean {
  return kind === SpanKind.SERVER || kind === SpanKind.CONSUMER;
}

/** A paired callee is a service unless the caller's attributes said what infrastructure it is. */
function pairedCalleeKind(peerKind: PeerKind): PeerKind {
  return peerKind === 'database' || peerKind === 'cache' || peerKind === 'queue' ? peerKind : 'service';
}

/**
 * Pairing: a CLIENT/PRODUCER span (service A, id S) and a SERVER/CONSUMER span (service B, parent S), A ≠ B, make
 * one call on edge A→B — latency of the client span, failed if either failed, bucketed by the client's start.
 * Whichever arrives first waits (keyed by span id; 64-bit random ids make cross-trace collisions negligible).
 * A client that waits out the window unpaired but names a peer makes a call to that uninstrumented peer (how
 * databases, caches and queues appear); one naming no peer is dropped.
 *
 * Service aggregates come from SERVER/CONSUMER spans and root spans of any kind. A failed one is an *origin* error
 * unless one of its own calls (CLIENT/PRODUCER children in the same service) failed — then it only propagated a
 * failure from downstream. Children may arrive on either side of their parent, so the verdict is given once the
 * failed span has waited the window. A root CLIENT/PRODUCER span's failure is a failed call, attributed through
 * its edge, never an origin error of the caller. Uninstrumented peers get aggregates from their callers' side,
 * every failure an origin error (nothing is known below them).
 *
 * `now` should not go backwards; if it does, the latest `now` seen is used, so the window never shrinks.
 */
export class SpanPairer {
  private readonly windowMs: number;
  private readonly maxPending: number;
  /** Callers waiting for their callee's span, by the caller's span id. */
  private readonly clients = new Map<string, PendingClient>();
  /** Callees waiting for their caller's span, by their parent span id. */
  private readonly servers = new Map<string, PendingServer>();
  private readonly unsettledErrors = new Map<string, UnsettledError>();
  /** Arrival times of failed calls whose parent span has not arrived yet (children usually finish, and export, first). */
  private readonly failedCalls = new Map<string, number>();
  /** Aggregates since the last flush: caller → callee → bucket, so lookups build no key strings. */
  private edgeAggregates = new Map<string, Map<string, Map<number, EdgeAggregate>>>();
  private serviceAggregates = new Map<string, Map<number, ServiceAggregate>>();
  private lastNow = Number.NEGATIVE_INFINITY;
  private pairedCount = 0;
  private expiredWithPeerCount = 0;
  private droppedCount = 0;
  private evictedCount = 0;

  constructor(options: SpanPairerOptions = {}) {
    this.windowMs = options.windowMs ?? DEFAULT_PAIRING_WINDOW_MS;
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    if (!(this.windowMs >= 0)) throw new RangeError('windowMs must be a non-negative number');
    if (!(this.maxPending >= 1)) throw new RangeError('maxPending must be at least 1');
  }

  /** Client/server pairs made into calls (self-calls included, though they make no edge). */
  get paired(): number {
    return this.pairedCount;
  }
  /** Unpaired clients that became calls to an uninstrumented peer. */
  get expiredWithPeer(): number {
    return this.expiredWithPeerCount;
  }
  /** Unpaired clients that named no peer and were dropped. */
  get dropped(): number {
    return this.droppedCount;
  }
  /** Spans forced out of the pending maps by `maxPending` (an evicted client is still settled like an expired one). */
  get evicted(): number {
    return this.evictedCount;
  }
  /** Spans waiting for their counterpart. */
  get pendingCount(): number {
    return this.clients.size + this.servers.size;
  }

  add(spans: readonly SpanRecord[], now: number): void {
    const t = this.advance(now);
    this.expire(t);
    for (let i = 0; i < spans.length; i++) this.addOne(spans[i]!, t);
  }

  /** Settles what has waited the window, then returns and forgets the aggregates accumulated since the last flush. */
  flush(now: number): TraceDelta {
    this.expire(this.advance(now));
    const edges: EdgeAggregate[] = [];
    for (const byCallee of this.edgeAggregates.values()) {
      for (const byBucket of byCallee.values()) for (const agg of byBucket.values()) edges.push(agg);
    }
    const services: ServiceAggregate[] = [];
    for (const byBucket of this.serviceAggregates.values()) for (const agg of byBucket.values()) services.push(agg);
    this.edgeAggregates = new Map();
    this.serviceAggregates = new Map();
    return { edges, services };
  }

  private advance(now: number): number {
    if (now > this.lastNow) this.lastNow = now;
    return this.lastNow;
  }

  private addOne(span: SpanRecord, now: number): void {
    const kind = span.kind;
    const caller = isCaller(kind);
    if (isCallee(kind) || span.parentSpanId === '') this.countServiceSpan(span, caller, now);
    if (caller) {
      if (span.isError && span.parentSpanId !== '') this.noteFailedCall(span, now);
      const server = this.servers.get(span.spanId);
      if (server === undefined) {
        const { service, startMs, durationMs, isError, peer, peerKind, version } = span;
        this.park(this.clients, span.spanId, { service, startMs, durationMs, isError, peer, peerKind, version, at: now });
      } else {
        this.servers.delete(span.spanId);
        this.pair(span, server.service, server.isError, server.answerMs);
      }
    } else if (isCallee(kind) && span.parentSpanId !== '') {
      const client = this.clients.get(span.parentSpanId);
      if (client === undefined) this.park(this.servers, span.parentSpanId, { service: span.service, isError: span.isError, answerMs: answerMs(span), at: now });
      else {
        this.clients.delete(span.parentSpanId);
        this.pair(client, span.service, span.isError, answerMs(span));
      }
    }
  }

  private countServiceSpan(span: SpanRecord, caller: boolean, now: number): void {
    const bucket = bucketOf(span.startMs);
    const agg = this.serviceAggregate(span.service, bucket);
    addCall(agg, span.durationMs, span.isError);
    const version = span.version;
    if (version !== undefined && version !== '') addVersionTotals((agg.versions ??= []), version, 1, span.isError ? 1 : 0, span.durationMs);
    if (!span.isError || caller) return;
    // Only failed spans build this key, so the string costs nothing on the common path.
    const propagated = this.failedCalls.delete(failedCallKey(span.spanId, span.service));
    this.unsettledErrors.set(span.spanId, { service: span.service, bucket, at: now, propagated });
    if (this.unsettledErrors.size > this.maxPending) this.settleOldestError();
  }

  private noteFailedCall(span: SpanRecord, now: number): void {
    const parent = this.unsettledErrors.get(span.parentSpanId);
    if (parent !== undefined) {
      if (parent.service === span.service) parent.propagated = true;
      return;
    }
    const key = failedCallKey(span.parentSpanId, span.service);
    this.failedCalls.delete(key); // keep arrival order for expiry
    this.failedCalls.set(key, now);
    if (this.failedCalls.size > this.maxPending) {
      const oldest = this.failedCalls.keys().next();
      if (!oldest.done) this.failedCalls.delete(oldest.value);
    }
  }

  private park<P extends { at: number }>(map: Map<string, P>, key: string, pending: P): void {
    // Delete first so a re-sent span moves to the end: maps stay in arrival order, which expiry relies on.
    map.delete(key);
    if (this.clients.size + this.servers.size >= this.maxPending) this.evictOldest();
    map.set(key, pending);
  }

  private evictOldest(): void {
    const client = this.clients.entries().next();
    const server = this.servers.entries().next();
    this.evictedCount++;
    if (!client.done && (server.done || client.value[1].at <= server.value[1].at)) {
      this.clients.delete(client.value[0]);
      this.settleUnpairedClient(client.value[1]);
    } else if (!server.done) {
      this.servers.delete(server.value[0]);
    }
  }

  /** Counts one call from the caller's span and the callee's side (its fields passed apart: no object per call). */
  private pair(client: CallerSide, callee: string, calleeFailed: boolean, answeredMs: number | null): void {
    this.pairedCount++;
    if (client.service === callee) return; // a service calling itself is no dependency
    const agg = this.edgeAggregate(client.service, callee, bucketOf(client.startMs), false, pairedCalleeKind(client.peerKind));
    // Both timings of the call (decision 011): how long the callee took, and how long the caller waited. A starved
    // caller reads answers late; a callee whose network delays its packets answers late; the analysis tells which by
    // both ends' other calls (TraceAggregates.edgeStats). A message has only its producer's timing.
    const latencyMs = answeredMs ?? client.durationMs;
    const failed = client.isError || calleeFailed;
    addCall(agg, latencyMs, failed);
    agg.clientLatencySumMs = (agg.clientLatencySumMs ?? 0) + client.durationMs;
    countCallerVersion(agg, client.version, latencyMs, failed);
  }

  private settleUnpairedClient(span: CallerSide): void {
    if (span.peer === '' || span.peer === span.service) {
      this.droppedCount++;
      return;
    }
    this.expiredWithPeerCount++;
    const bucket = bucketOf(span.startMs);
    const edge = this.edgeAggregate(span.service, span.peer, bucket, true, span.peerKind);
    addCall(edge, span.durationMs, span.isError);
    edge.clientLatencySumMs = (edge.clientLatencySumMs ?? 0) + span.durationMs;
    countCallerVersion(edge, span.version, span.durationMs, span.isError);
    const peer = this.serviceAggregate(span.peer, bucket);
    addCall(peer, span.durationMs, span.isError);
    if (span.isError) peer.originErrors++;
  }

  private settleError(e: UnsettledError): void {
    if (!e.propagated) this.serviceAggregate(e.service, e.bucket).originErrors++;
  }

  private settleOldestError(): void {
    const oldest = this.unsettledErrors.entries().next();
    if (oldest.done) return;
    this.unsettledErrors.delete(oldest.value[0]);
    this.settleError(oldest.value[1]);
  }

  /** Settles everything that has waited at least the window. Maps are in arrival order: stop at the first young one. */
  private expire(now: number): void {
    const cutoff = now - this.windowMs;
    for (const [key, p] of this.clients) {
      if (p.at > cutoff) break;
      this.clients.delete(key);
      this.settleUnpairedClient(p);
    }
    for (const [key, p] of this.servers) {
      if (p.at > cutoff) break;
      this.servers.delete(key); // its service aggregate was counted on arrival; its caller is uninstrumented
    }
    for (const [key, at] of this.failedCalls) {
      if (at > cutoff) break;
      this.failedCalls.delete(key);
    }
    for (const [key, e] of this.unsettledErrors) {
      if (e.at > cutoff) break;
      this.unsettledErrors.delete(key);
      this.settleError(e);
    }
  }

  private edgeAggregate(caller: string, callee: string, bucket: number, uninstrumented: boolean, kind: PeerKind): EdgeAggregate {
    let byCallee = this.edgeAggregates.get(caller);
    if (byCallee === undefined) this.edgeAggregates.set(caller, (byCallee = new Map()));
    let byBucket = byCallee.get(callee);
    if (byBucket === undefined) byCallee.set(callee, (byBucket = new Map()));
    let agg = byBucket.get(bucket);
    if (agg === undefined) {
      // `versions` from the start, so aggregates with and without versions share one shape.
      agg = { caller, callee, bucket, calleeUninstrumented: uninstrumented, calleeKind: kind, calls: 0, errors: 0, latencySumMs: 0, clientLatencySumMs: 0, latencyHist: emptyHistogram(), versions: undefined };
      byBucket.set(bucket, agg);
    } else {
      agg.calleeUninstrumented = agg.calleeUninstrumented && uninstrumented;
      agg.calleeKind = strongerCalleeKind(agg.calleeKind, kind);
    }
    return agg;
  }

  private serviceAggregate(service: string, bucket: number): ServiceAggregate {
    let byBucket = this.serviceAggregates.get(service);
    if (byBucket === undefined) this.serviceAggregates.set(service, (byBucket = new Map()));
    let agg = byBucket.get(bucket);
    if (agg === undefined) {
      // `versions` from the start, so aggregates with and without versions share one shape.
      agg = { service, bucket, originErrors: 0, calls: 0, errors: 0, latencySumMs: 0, latencyHist: emptyHistogram(), versions: undefined };
      byBucket.set(bucket, agg);
    }
    return agg;
  }
}
