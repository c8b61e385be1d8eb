// The server's analyzer: keeps the engine warm in memory, fed by what the ingest workers of every replica
// commit (store/state-deltas.ts), rebuilt from Redis at start; re-analyses when something changed and writes
// the incidents for /api and Slack.
// One per deployment (LeaderLock); any number of HTTP replicas and ingest workers around it.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Alert } from '../model/alert.js';
import type { Change } from '../model/change.js';
import type { IncidentReport } from '../model/incident.js';
import type { TraceDelta } from '../model/trace-aggregate.js';
import type { HistoricalIncident } from '../model/history.js';
import { Engine, type EngineOptions } from '../engine/engine.js';
import type { TrackerSnapshot } from '../engine/incident-tracker.js';
import type { AnalysisMetrics } from '../telemetry/metrics.js';
import { AlertStore } from '../store/alert-store.js';
import { ChangeStore } from '../store/change-store.js';
import { TraceAggregateStore } from '../store/trace-aggregate-store.js';
import { IncidentStore } from '../store/incident-store.js';
import { HistoryStore } from '../store/history-store.js';
import { normalizePrefix } from '../store/keys.js';

export interface AnalyzerOptions {
  redis: Redis;
  prefix: string;
  logger: Logger;
  engine?: Partial<EngineOptions>;
  /** The wall clock, injected so tests control time. */
  now?: () => number;
  /** Shortest time between two analyses while changes keep arriving. */
  minIntervalMs?: number;
  /** How much past state is loaded at start. */
  lookbackMs?: number;
  /** Called after each analysis with the reports written (the Slack notifier listens here). */
  onAnalysis?: (reports: IncidentReport[]) => void;
  /** Where each analysis's duration and outcome are recorded (the server's /metrics). */
  metrics?: AnalysisMetrics;
}

export interface StateDelta {
  alerts: readonly Alert[];
  changes: readonly Change[];
  traces: readonly TraceDelta[];
}

/**
 * What the analyzer saves after each analysis: incident identities, the alerts whose firings continue an earlier
 * episode (decision 032), and when firing alerts a new firing can still continue were last reported, which the stored
 * alerts, latest state only, do not tell. Older snapshots have no `flapping` or `reported`.
 */
interface AnalyzerSnapshot extends TrackerSnapshot {
  flapping?: unknown;
  reported?: unknown;
}

const ContinuedEpisodesSchema = z.array(z.object({ fingerprint: z.string(), startsAt: z.number(), episodeStartsAt: z.number() }));
const RecentReportsSchema = z.array(z.tuple([z.string(), z.number()]));

export function analyzerKeys(prefix: string): { tracker: string; lock: string } {
  const p = normalizePrefix(prefix);
  return { tracker: `${p}{analyzer}:tracker`, lock: `${p}{analyzer}:lock` };
}

export class Analyzer {
  private engine: Engine;
  private readonly incidents: IncidentStore;
  private readonly now: () => number;
  private dirty = false;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastRun = 0;

  constructor(private readonly o: AnalyzerOptions) {
    this.engine = new Engine(o.engine);
    this.incidents = new IncidentStore(o.redis, o.prefix);
    this.now = o.now ?? Date.now;
  }

  /** Rebuilds the engine from Redis: alerts, changes, trace aggregates, history and incident identities. */
  async rebuild(): Promise<void> {
    const { redis, prefix } = this.o;
    const since = this.now() - (this.o.lookbackMs ?? 6 * 60 * 60_000);
    const [alerts, changes, traces, history, snapshot] = await Promise.all([
      new AlertStore(redis, prefix).openAndRecent(since),
      new ChangeStore(redis, prefix).since(since),
      new TraceAggregateStore(redis, prefix).load(since),
      new HistoryStore(redis, prefix).all(),
      redis.get(analyzerKeys(prefix).tracker),
    ]);
    const engine = new Engine(this.o.engine);
    // Known before this start: they have settled already.
    engine.applyAlerts(alerts.sort((a, b) => a.startsAt - b.startsAt));
    engine.applyChanges(changes);
    engine.applyTraceDelta(traces);
    engine.setHistory(history);
    if (snapshot) {
      const saved = JSON.parse(snapshot) as AnalyzerSnapshot;
      engine.restoreContinuedEpisodes(ContinuedEpisodesSchema.catch([]).parse(saved.flapping));
      engine.restoreReports(RecentReportsSchema.catch([]).parse(saved.reported));
      engine.tracker.restore(saved);
    }
    this.engine = engine;
    this.o.logger.info({ alerts: alerts.length, changes: changes.length, history: history.length }, 'analyzer state rebuilt from Redis');
    this.markDirty();
  }

  /**
   * Folds in what the ingest workers of every replica committed (read back by StateDeltaReader) and schedules
   * an analysis. Alerts are idempotent (the engine keeps the newest state per alert, and one it already holds
   * is skipped); trace deltas add up, so each must be applied once.
   */
  apply(delta: StateDelta): void {
    const fresh = delta.alerts.filter((a) => !this.engine.holds(a));
    if (fresh.length > 0) this.engine.applyAlerts(fresh.sort((a, b) => a.startsAt - b.startsAt), this.now());
    if (delta.changes.length > 0) this.engine.applyChanges(delta.changes);
    for (const t of delta.traces) this.engine.applyTraceDelta(t);
    if (fresh.length > 0 || delta.changes.length > 0 || delta.traces.length > 0) this.markDirty();
  }

  /** Adds one historical incident (a confirmed, resolved incident) to the similarity index. */
  addHistory(incident: HistoricalIncident): void {
    this.engine.addHistory(incident);
    this.markDirty();
  }

  /** Analyses now and writes the incidents (and the identity snapshot) to Redis. */
  async analyzeNow(): Promise<IncidentReport[]> {
    const now = this.now();
    this.dirty = false;
    this.lastRun = now;
    this.engine.prune(now);
    const started = performance.now();
    const reports = this.engine.analyze(now);
    this.record(reports, (performance.now() - started) / 1000);
    await this.incidents.save(reports);
    const saved: AnalyzerSnapshot = { ...this.engine.tracker.snapshot(), flapping: this.engine.continuedEpisodes(), reported: this.engine.recentReports(now) };
    await this.o.redis.set(analyzerKeys(this.o.prefix).tracker, JSON.stringify(saved));
    this.o.onAnalysis?.(reports);
    // Clusters waiting to settle open, and deferred re-ranks run, without any new event: look again shortly.
    if ((this.engine.held > 0 || this.engine.deferredReranks > 0) && !this.timer) this.timer = setTimeout(() => {
      this.timer = null;
      this.markDirty();
    }, 1_000);
    return reports;
  }

  private record(reports: readonly IncidentReport[], seconds: number): void {
    const m = this.o.metrics;
    if (!m) return;
    m.duration.observe(seconds);
    m.openIncidents.set(reports.filter((r) => r.status === 'open').length);
    m.heldClusters.set(this.engine.held);
    m.deferredReranks.set(this.engine.deferredReranks);
  }

  /** Read access for queries that need more than the stored reports (service overviews in Slack). */
  get state(): Engine {
    return this.engine;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private markDirty(): void {
    this.dirty = true;
    if (this.timer || this.running) return;
    const wait = Math.max(0, this.lastRun + (this.o.minIntervalMs ?? 500) - this.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.analyzeNow()
        .then(() => undefined)
        .catch((err: unknown) => this.o.logger.error({ err }, 'analysis failed'))
        .finally(() => {
          this.running = null;
          if (this.dirty) this.markDirty();
        });
    }, wait);
  }
}
