// Simulated request traffic: traces through the topology with latency noise, background errors,
// timeouts and fault effects, plus the per-minute statistics a metrics system would see.
import type { Rng } from './rng.js';
import type { Topology, TopologyNode, CallEdge } from './topology-generator.js';
import type { FaultEffect, FaultPlan } from './fault-injector.js';

export interface SimSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  /** The node whose SDK exported the span (resource service.name). */
  service: string;
  pod: string;
  kind: 2 | 3 | 4; // SERVER, CLIENT, PRODUCER
  startMs: number;
  durationMs: number;
  error: boolean;
  message: string;
  /** CLIENT/PRODUCER: the callee node. */
  peer: string;
  /** SERVER: the route handled. */
  route: string;
  statusCode: number;
}

/** Log-spaced latency histogram buckets (like a Prometheus histogram with many buckets): bucket i
 *  holds latencies up to LATENCY_BUCKET_BOUNDS[i] ms. */
export const LATENCY_BUCKET_BOUNDS: readonly number[] = Array.from({ length: 64 }, (_, i) => 0.1 * Math.pow(10, i / 10));

export function latencyBucket(ms: number): number {
  if (ms <= 0.1) return 0;
  return Math.min(LATENCY_BUCKET_BOUNDS.length - 1, Math.ceil(10 * Math.log10(ms / 0.1)));
}

/** Calls, errors and latency counts per LATENCY_BUCKET_BOUNDS bucket. */
export interface CallCounts {
  calls: number;
  errors: number;
  latencyHist: number[];
}

/** What monitoring sees of one node in one minute, and which of it each fault touched. */
export interface MinuteStats extends CallCounts {
  /** The calls touched by each fault (by fault index), so the truth can ask what the node would have
   *  shown without that fault (alert-emitter.ts attributes each firing that way). */
  byCause: Map<number, CallCounts>;
}

export function emptyCounts(): CallCounts {
  return { calls: 0, errors: 0, latencyHist: new Array<number>(LATENCY_BUCKET_BOUNDS.length).fill(0) };
}

export interface TrafficOptions {
  startMs: number;
  endMs: number;
  /** Entry requests per minute, all of which the metrics (and so the alert rules) see. */
  requestsPerMinute: number;
  /** Share of requests whose traces are kept and exported (head sampling, parent-based). */
  sampleRatio: number;
  /** Spans per trace above which the simulation stops descending (very wide traces are truncated). */
  maxSpansPerTrace?: number;
}

export interface TrafficResult {
  spans: SimSpan[];
  /** Per node, per minute since startMs. */
  stats: Map<string, MinuteStats[]>;
  minutes: number;
}

interface CallOutcome {
  durationMs: number;
  error: boolean;
  message: string;
  /** The fault that changed this call's outcome most (-1: none): the one whose error it returns, else the
   *  one that added the most time. The truth asks what a node would have shown without each fault's calls. */
  cause: number;
  /** How much `cause` changed the outcome: the time it added, or Infinity when it made the call fail. */
  causeWeight: number;
}

/** The fault behind an outcome and its weight (see CallOutcome). */
interface Cause {
  cause: number;
  causeWeight: number;
}

const NO_CAUSE: Cause = { cause: -1, causeWeight: 0 };

/** The heavier of two causes; on a tie the one already held. */
function heavier(held: Cause, candidate: Cause): Cause {
  return candidate.cause >= 0 && (held.cause < 0 || candidate.causeWeight > held.causeWeight) ? candidate : held;
}

const ROUTE_VERBS = ['GET', 'GET', 'GET', 'POST', 'PUT'] as const;

/** A few routes per service, so span names look like real HTTP handlers. */
function routesOf(node: TopologyNode): string[] {
  const stem = node.name.replace(/-(api|service|svc|worker|v2)$/, '');
  return [`/api/${stem}`, `/api/${stem}/{id}`, `/api/${stem}/search`];
}

class TrafficSimulator {
  readonly spans: SimSpan[] = [];
  readonly stats = new Map<string, MinuteStats[]>();
  private readonly routes = new Map<string, string[]>();
  private budget = 0;
  private sampled = false;

  constructor(
    private readonly rng: Rng,
    private readonly topology: Topology,
    private readonly faults: FaultPlan,
    private readonly options: Required<TrafficOptions>,
  ) {
    for (const n of topology.nodes) this.routes.set(n.name, routesOf(n));
  }

  private record(node: string, startMs: number, durationMs: number, error: boolean, cause: number): void {
    const minute = Math.floor((startMs - this.options.startMs) / 60_000);
    let series = this.stats.get(node);
    if (!series) this.stats.set(node, (series = []));
    let m = series[minute];
    if (!m) series[minute] = m = { ...emptyCounts(), byCause: new Map() };
    const bucket = latencyBucket(durationMs);
    m.calls++;
    if (error) m.errors++;
    m.latencyHist[bucket]!++;
    if (cause >= 0) {
      let c = m.byCause.get(cause);
      if (!c) m.byCause.set(cause, (c = emptyCounts()));
      c.calls++;
      if (error) c.errors++;
      c.latencyHist[bucket]!++;
    }
  }

  /** A call as the callee handles it; `parentSpanId` is the caller's client span (or '' at the entry). */
  private serve(node: TopologyNode, traceId: string, parentSpanId: string, startMs: number, timeoutMs: number, forced: FaultEffect | null = null): CallOutcome {
    const rng = this.rng;
    // A canary serves part of the node's requests from its own pod; only those meet its fault (at the node itself,
    // or at the callee it breaks). `forced`: this call comes from a canary that breaks this node.
    const canary = this.faults.canaryAt(node.name, startMs);
    const onCanary = canary !== null && rng.chance(canary.canary.share);
    const breaks = onCanary ? canary.canary.breaks : null;
    const canaryPod = onCanary ? canary.canary.pod : null;
    const breakEffect = onCanary && breaks !== null ? canary.effect : null;
    const effect = forced ?? (canary ? (onCanary && breaks === null ? canary.effect : null) : this.faults.effectAt(node.name, startMs));
    let error = false;
    let message = '';
    const self = rng.logNormal(node.selfLatencyMs, node.latencySigma) * (rng.chance(0.01) ? rng.between(3, 10) : 1);
    const extra = effect && effect.extraLatencyMs > 0 ? effect.extraLatencyMs * rng.between(0.6, 1.4) : 0;
    let cause: Cause = extra > 0 ? { cause: effect!.faultIndex, causeWeight: extra } : NO_CAUSE;

    if (!node.instrumented) {
      // A datastore: no spans of its own; its outcome is what the caller's client span records.
      let durationMs = self + extra;
      if (effect && rng.chance(effect.errorRate)) {
        error = true;
        message = effect.message;
        cause = { cause: effect.faultIndex, causeWeight: Infinity };
        if (effect.kind === 'down' && rng.chance(0.35)) durationMs = timeoutMs;
        else durationMs = Math.min(durationMs, rng.between(0.3, 3) + (effect.kind === 'down' ? 0 : self));
      } else if (rng.chance(node.baseErrorRate * 0.3)) {
        error = true;
        message = 'connection reset by peer';
      }
      this.record(node.name, startMs, durationMs, error, cause.cause);
      return { durationMs, error, message, ...cause };
    }

    const spanId = this.sampled ? rng.hex(16) : '';
    const pre = self * 0.6;
    let cursor = startMs + pre;
    const ownFailure = effect !== null && effect.errorRate > 0 && rng.chance(effect.errorRate);
    // A crashing handler fails early and skips most downstream work; otherwise the callees are called.
    const edges = this.topology.callees.get(node.name) ?? [];
    if (!(ownFailure && rng.chance(0.8))) {
      let parallelEnd = cursor;
      for (const edge of edges) {
        if (this.budget <= 0 || !rng.chance(edge.probability)) continue;
        const child = this.call(node, edge, traceId, spanId, cursor, canaryPod, breaks === edge.callee ? breakEffect : null);
        if (node.parallelCalls) parallelEnd = Math.max(parallelEnd, cursor + child.durationMs);
        else cursor += child.durationMs + rng.between(0.05, 0.5);
        if (child.error && rng.chance(edge.errorPropagation) && !error) {
          error = true;
          message = `${edge.callee}: ${child.message}`;
          // The error returned here is the child's, and so is its cause.
          if (child.cause >= 0) cause = { cause: child.cause, causeWeight: Infinity };
        }
        // Otherwise a fault below weighs by the time it could have added here (a swallowed error: the call's time).
        if (cause.causeWeight !== Infinity) cause = heavier(cause, { cause: child.cause, causeWeight: Math.min(child.causeWeight, child.durationMs) });
      }
      if (node.parallelCalls) cursor = parallelEnd;
    }
    if (ownFailure) {
      error = true;
      message = effect!.message;
      cause = { cause: effect!.faultIndex, causeWeight: Infinity };
    } else if (!error && rng.chance(node.baseErrorRate)) {
      error = true;
      message = rng.pick(['internal error', 'upstream connect error', 'context deadline exceeded', 'validation failed']);
    }
    const durationMs = cursor - startMs + self * 0.4 + extra;
    const routes = this.routes.get(node.name)!;
    if (this.sampled) this.spans.push({
      traceId,
      spanId,
      parentSpanId,
      service: node.name,
      pod: canaryPod ?? rng.pick(node.pods),
      kind: 2,
      startMs,
      durationMs,
      error,
      message,
      peer: '',
      route: `${rng.pick(ROUTE_VERBS)} ${rng.pick(routes)}`,
      statusCode: error ? rng.pick([500, 500, 502, 503, 504]) : 200,
    });
    this.budget--;
    this.record(node.name, startMs, durationMs, error, cause.cause);
    return { durationMs, error, message, ...cause };
  }

  /** Extra time a caller starved of CPU adds to its own client spans (it reads the response late). */
  private starvation(caller: string, at: number): number {
    const effect = this.faults.effectAt(caller, at);
    const saturation = effect ? this.faults.faults[effect.faultIndex]!.saturation : undefined;
    return saturation ? effect!.extraLatencyMs * saturation.clientSlowdown * this.rng.between(0.6, 1.4) : 0;
  }

  /** Time a node's slow network interface adds to a call it takes part in (either end sends packets), and its fault. */
  private networkDelay(node: string, at: number): { ms: number; cause: number } {
    const effect = this.faults.effectAt(node, at);
    const network = effect ? this.faults.faults[effect.faultIndex]!.network : undefined;
    return network ? { ms: network.delayMs * effect!.scale * this.rng.between(0.8, 1.2), cause: effect!.faultIndex } : { ms: 0, cause: -1 };
  }

  /** The caller's side of one call: a CLIENT (or PRODUCER) span around the callee's handling, cut at the timeout. */
  private call(caller: TopologyNode, edge: CallEdge, traceId: string, parentSpanId: string, startMs: number, callerPod: string | null = null, breakCallee: FaultEffect | null = null): CallOutcome {
    const rng = this.rng;
    const callee = this.topology.byName.get(edge.callee)!;
    const spanId = this.sampled ? rng.hex(16) : '';
    this.budget--;
    // The request leaves a slow caller late, the answer leaves a slow callee late: both add to the caller's wait only.
    const sending = this.networkDelay(caller.name, startMs);
    const inner = this.serve(callee, traceId, spanId, startMs + rng.between(0.05, 0.4) + sending.ms, caller.timeoutMs, breakCallee);
    const answering = this.networkDelay(callee.name, startMs);
    let durationMs = inner.durationMs + rng.between(0.2, 1.2) + this.starvation(caller.name, startMs) + sending.ms + answering.ms;
    let { error, message } = inner;
    let cause = heavier(heavier({ cause: inner.cause, causeWeight: inner.causeWeight }, { cause: answering.cause, causeWeight: answering.ms }), { cause: sending.cause, causeWeight: sending.ms });
    if (durationMs > caller.timeoutMs) {
      durationMs = caller.timeoutMs;
      error = true;
      message = `timeout after ${caller.timeoutMs}ms`;
      // The timeout is the error of whichever fault made the call slow.
      if (cause.cause >= 0) cause = { cause: cause.cause, causeWeight: Infinity };
    }
    if (this.sampled) this.spans.push({
      traceId,
      spanId,
      parentSpanId,
      service: caller.name,
      pod: callerPod ?? rng.pick(caller.pods),
      kind: callee.kind === 'queue' ? 4 : 3,
      startMs,
      durationMs,
      error,
      message,
      peer: callee.name,
      route: '',
      statusCode: callee.instrumented ? (error ? 503 : 200) : 0,
    });
    return { durationMs, error, message, ...cause };
  }

  run(): void {
    const { startMs, endMs, requestsPerMinute, sampleRatio, maxSpansPerTrace } = this.options;
    const frontends = this.topology.frontends.map((f) => this.topology.byName.get(f)!);
    const shares = this.topology.frontends.map((f) => this.topology.frontendShare.get(f) ?? 0);
    for (let minuteStart = startMs; minuteStart < endMs; minuteStart += 60_000) {
      // Traffic wobbles minute to minute (Poisson-like noise plus a slow swell).
      const swell = 1 + 0.15 * Math.sin((minuteStart - startMs) / 3_600_000 * Math.PI);
      const mean = requestsPerMinute * swell;
      const count = Math.max(1, Math.round(mean + this.rng.normal() * Math.sqrt(mean)));
      for (let i = 0; i < count; i++) {
        const at = minuteStart + this.rng.next() * 60_000;
        if (at >= endMs) continue;
        let u = this.rng.next();
        let entry = frontends[0]!;
        for (let k = 0; k < frontends.length; k++) {
          u -= shares[k]!;
          if (u <= 0) {
            entry = frontends[k]!;
            break;
          }
        }
        this.budget = maxSpansPerTrace;
        this.sampled = this.rng.chance(sampleRatio);
        this.serve(entry, this.sampled ? this.rng.hex(32) : '', '', at, 30_000);
      }
    }
  }
}

export function simulateTraffic(rng: Rng, topology: Topology, faults: FaultPlan, options: TrafficOptions): TrafficResult {
  const sim = new TrafficSimulator(rng, topology, faults, { maxSpansPerTrace: 80, ...options });
  sim.run();
  return { spans: sim.spans, stats: sim.stats, minutes: Math.ceil((options.endMs - options.startMs) / 60_000) };
}
