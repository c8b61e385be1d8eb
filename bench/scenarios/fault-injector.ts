// Faults: what goes wrong, where and when, and how it changes a call to the faulty node at a given time.
import type { Rng } from './rng.js';
import type { Topology } from './topology-generator.js';

export type FaultKind = 'errors' | 'latency' | 'down';

/** How the root's own alerting behaves: fires as configured, fires minutes late, or not at all. */
export type RootAlerting = 'normal' | 'late' | 'none';

export interface Fault {
  /** Incident id in the truth ("A", "B", ...). */
  id: string;
  root: string;
  /** Other nodes that suffer the same effect at the same time (the indistinguishable twin). */
  alsoAffects: string[];
  kind: FaultKind;
  startMs: number;
  /** Time from onset to full effect (a slow leak ramps, a crash does not). */
  rampMs: number;
  /** Share of calls that fail at full effect (errors/down). */
  errorRate: number;
  /** Added latency at full effect (latency). */
  extraLatencyMs: number;
  errorMessage: string;
  rootAlerting: RootAlerting;
  category: 'deploy' | 'resource' | 'dependency' | 'config' | 'other';
  /** A minor, unrelated degradation (a slow node, a trickle of errors): not an incident of the truth;
   *  alerts it causes count as noise. */
  background?: boolean;
  /** The root runs out of its own resources (CPU, memory): its outgoing calls look slow from its side too
   *  (a starved process measures its client calls late), and it may raise a saturation alert. */
  saturation?: { alertname: string; alerts: boolean; delayMs: number; clientSlowdown: number };
  /** The root's network interface delays every packet it sends (a fault-injection study's network delay on one pod):
   *  its answers reach its callers late and its own calls reach its dependencies late, while its handlers and its
   *  dependencies' handlers run as fast as ever. */
  network?: { delayMs: number };
  /**
   * A canary release: from startMs the root's new version serves `share` of its requests from its own pod, and only
   * those requests meet the fault. `breaks`: the callee that fails on what the new version sends it (a malformed
   * request), instead of the root's own handler failing or slowing.
   */
  canary?: { version: string; pod: string; share: number; breaks: string | null };
}

export interface FaultEffect {
  faultIndex: number;
  errorRate: number;
  extraLatencyMs: number;
  kind: FaultKind;
  message: string;
  /** 0..1: how far along its ramp the fault is. */
  scale: number;
}

const SERVICE_ERRORS = ['NullPointerException in OrderMapper', 'upstream returned 500', 'panic: runtime error: index out of range', 'TypeError: Cannot read properties of undefined', 'invalid configuration: missing key', 'OOMKilled: container restarted'];
const STORE_ERRORS: Record<string, string[]> = {
  database: ['connection refused', 'too many connections', 'deadlock detected', 'could not obtain connection from pool within 3000ms'],
  cache: ['READONLY You can\'t write against a read only replica', 'connection reset by peer', 'OOM command not allowed when used memory > maxmemory'],
  queue: ['NOT_ENOUGH_REPLICAS', 'broker not available', 'connection refused'],
};

export function pickErrorMessage(rng: Rng, topology: Topology, node: string): string {
  const kind = topology.byName.get(node)?.kind ?? 'service';
  const pool = STORE_ERRORS[kind] ?? SERVICE_ERRORS;
  return rng.pick(pool);
}

/** Index from node to the faults that hit it, so the traffic simulation asks cheaply. */
export class FaultPlan {
  private readonly byNode = new Map<string, number[]>();

  /** Canary faults by their root: they touch only the requests their canary pod serves (canaryAt). */
  private readonly canaries = new Map<string, number>();

  constructor(readonly faults: readonly Fault[]) {
    faults.forEach((f, i) => {
      if (f.canary) this.canaries.set(f.root, i);
      else for (const n of [f.root, ...f.alsoAffects]) this.byNode.set(n, [...(this.byNode.get(n) ?? []), i]);
    });
  }

  /** The canary serving part of `node`'s requests at `t`, with its effect on the requests it serves; null when none. */
  canaryAt(node: string, t: number): { canary: NonNullable<Fault['canary']>; effect: FaultEffect } | null {
    const i = this.canaries.get(node);
    if (i === undefined) return null;
    const effect = this.effectOf(i, t);
    return effect === null ? null : { canary: this.faults[i]!.canary!, effect };
  }

  /** Fault `i`'s effect at `t`, scaled by its ramp; null before it starts. */
  private effectOf(i: number, t: number): FaultEffect | null {
    const f = this.faults[i]!;
    if (t < f.startMs) return null;
    const scale = f.rampMs > 0 ? Math.min(1, (t - f.startMs) / f.rampMs) : 1;
    return { faultIndex: i, errorRate: f.errorRate * scale, extraLatencyMs: f.extraLatencyMs * scale, kind: f.kind, message: f.errorMessage, scale };
  }

  /** The strongest active fault on `node` at `t`, scaled by its ramp; null when healthy. */
  effectAt(node: string, t: number): FaultEffect | null {
    const idx = this.byNode.get(node);
    if (!idx) return null;
    let best: FaultEffect | null = null;
    for (const i of idx) {
      const eff = this.effectOf(i, t);
      if (eff === null) continue;
      if (!best || eff.errorRate + eff.extraLatencyMs / 1000 > best.errorRate + best.extraLatencyMs / 1000) best = eff;
    }
    return best;
  }

  isFaulty(node: string): boolean {
    return this.byNode.has(node) || this.canaries.has(node);
  }
}
