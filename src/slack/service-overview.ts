// `/rca service <name>`: a service's callers and callees with error rate and latency now (against a baseline),
// its open alerts, recent deploys and the incidents that involve it. Pure: engine state and `now` in.
import type { Alert, Severity } from '../model/alert.js';
import type { Change } from '../model/change.js';
import type { IncidentReport } from '../model/incident.js';
import { emptyCallStats, latencyQuantileMs, mergeCallStats, type CallStats } from '../model/trace-aggregate.js';
import type { Engine } from '../engine/engine.js';
import type { EdgeSummary } from '../traces/trace-store.js';

const MINUTE = 60_000;
/** "Now" is the last 5 minutes of trace buckets; the baseline the 30 minutes before. */
export const OVERVIEW_WINDOW_MS = 5 * MINUTE;
export const OVERVIEW_BASELINE_MS = 30 * MINUTE;
/** Deploys this recent are listed. */
const RECENT_DEPLOY_MS = 6 * 60 * MINUTE;
/** Neighbours kept per direction (worst first); the total is kept as a count. */
const MAX_NEIGHBOURS = 25;
const MAX_ALERTS = 25;
const MAX_DEPLOYS = 10;

export interface CallSummary {
  service: string;
  callsPerMin: number;
  errorRate: number;
  meanLatencyMs: number;
  p95LatencyMs: number;
  baselineErrorRate: number | null;
  baselineMeanLatencyMs: number | null;
}

export interface ServiceOverview {
  service: string;
  callers: CallSummary[];
  callersTotal: number;
  callees: CallSummary[];
  calleesTotal: number;
  openAlerts: Array<{ name: string; severity: Severity; startsAt: number; summary: string }>;
  openAlertsTotal: number;
  /** `failed` when the rollout was reported failed (model/change.ts). */
  recentDeploys: Array<{ version: string; previousVersion: string | null; at: number; author: string | null; failed?: boolean }>;
  /** Incidents that list the service among their services or suspects; `suspectRank` is 1-based. */
  incidents: Array<{ id: string; title: string; status: 'open' | 'resolved'; suspectRank: number | null; score: number | null }>;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function summarize(service: string, now: CallStats, base: CallStats | undefined, windowMs: number): CallSummary {
  return {
    service,
    callsPerMin: round(now.calls / (windowMs / MINUTE), 1),
    errorRate: now.calls > 0 ? round(now.errors / now.calls, 3) : 0,
    meanLatencyMs: now.calls > 0 ? Math.round(now.latencySumMs / now.calls) : 0,
    p95LatencyMs: latencyQuantileMs(now, 0.95),
    baselineErrorRate: base && base.calls > 0 ? round(base.errors / base.calls, 3) : null,
    baselineMeanLatencyMs: base && base.calls > 0 ? Math.round(base.latencySumMs / base.calls) : null,
  };
}

/** Worst first: errors, then latency, then traffic; name last so the order is stable. */
function byTrouble(a: CallSummary, b: CallSummary): number {
  return b.errorRate - a.errorRate || b.meanLatencyMs - a.meanLatencyMs || b.callsPerMin - a.callsPerMin || a.service.localeCompare(b.service);
}

/** Precomputed edge windows so many services can be described from one pass over the trace aggregates. */
export class ServiceIndex {
  private readonly outgoing = new Map<string, EdgeSummary[]>();
  private readonly incoming = new Map<string, EdgeSummary[]>();
  private readonly baseline = new Map<string, CallStats>();
  private readonly names = new Set<string>();
  private readonly alertsBy = new Map<string, Alert[]>();
  private readonly changesBy = new Map<string, Change[]>();

  constructor(
    private readonly engine: Engine,
    private readonly reports: readonly IncidentReport[],
    private readonly now: number,
  ) {
    // Buckets starting in (now - window, now]: exactly window/bucket buckets, the current one included.
    const from = now - OVERVIEW_WINDOW_MS + 1;
    for (const e of engine.traces.edges(from, now + 1)) {
      push(this.outgoing, e.caller, e);
      push(this.incoming, e.callee, e);
    }
    for (const e of engine.traces.edges(from - OVERVIEW_BASELINE_MS, from)) {
      const stats = emptyCallStats();
      mergeCallStats(stats, e.stats);
      this.baseline.set(edgeKey(e.caller, e.callee), stats);
    }
    for (const s of engine.traces.allServices()) this.names.add(s);
    // Indexed once: describing 1,000 services must not scan every alert and change 1,000 times.
    for (const a of engine.alerts.values()) if (a.service !== '') push(this.alertsBy, a.service, a);
    for (const c of engine.changes.values()) push(this.changesBy, c.service, c);
    for (const s of this.alertsBy.keys()) this.names.add(s);
    for (const s of this.changesBy.keys()) this.names.add(s);
    for (const r of reports) {
      for (const s of r.services) this.names.add(s);
      for (const c of r.rootCauses) this.names.add(c.service);
    }
  }

  /** Every service the engine knows of, sorted. */
  serviceNames(): string[] {
    return [...this.names].sort();
  }

  describe(name: string): ServiceOverview | null {
    if (!this.names.has(name)) return null;
    const { now } = this;
    const callers = (this.incoming.get(name) ?? []).map((e) => summarize(e.caller, e.stats, this.baseline.get(edgeKey(e.caller, name)), OVERVIEW_WINDOW_MS)).sort(byTrouble);
    const callees = (this.outgoing.get(name) ?? []).map((e) => summarize(e.callee, e.stats, this.baseline.get(edgeKey(name, e.callee)), OVERVIEW_WINDOW_MS)).sort(byTrouble);
    const open = (this.alertsBy.get(name) ?? [])
      .filter((a) => a.status === 'firing' && a.startsAt <= now)
      .sort((a, b) => b.startsAt - a.startsAt || a.fingerprint.localeCompare(b.fingerprint));
    const deploys = (this.changesBy.get(name) ?? [])
      .filter((c) => c.at <= now && c.at >= now - RECENT_DEPLOY_MS)
      .sort((a, b) => b.at - a.at || a.id.localeCompare(b.id));
    const incidents = this.reports
      .filter((r) => r.services.includes(name) || r.rootCauses.some((c) => c.service === name))
      .map((r) => {
        const i = r.rootCauses.findIndex((c) => c.service === name);
        return { id: r.id, title: r.title, status: r.status, suspectRank: i >= 0 ? i + 1 : null, score: i >= 0 ? r.rootCauses[i]!.score : null };
      });
    return {
      service: name,
      callers: callers.slice(0, MAX_NEIGHBOURS),
      callersTotal: callers.length,
      callees: callees.slice(0, MAX_NEIGHBOURS),
      calleesTotal: callees.length,
      openAlerts: open.slice(0, MAX_ALERTS).map((a) => ({ name: a.name, severity: a.severity, startsAt: a.startsAt, summary: a.summary })),
      openAlertsTotal: open.length,
      recentDeploys: deploys
        .slice(0, MAX_DEPLOYS)
        .map((c) => ({ version: c.version, previousVersion: c.previousVersion, at: c.at, author: c.author, ...(c.failed ? { failed: true } : {}) })),
      incidents,
    };
  }
}

function edgeKey(caller: string, callee: string): string {
  return `${caller}\u0000${callee}`;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** One service's overview, or null when the engine has never heard of it. */
export function describeService(engine: Engine, name: string, now: number, reports: readonly IncidentReport[] = []): ServiceOverview | null {
  return new ServiceIndex(engine, reports, now).describe(name);
}
