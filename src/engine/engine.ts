// The analysis engine: a deterministic fold over normalised events (alerts, changes, trace aggregates) that
// answers "which incidents are open, and what caused them?". Pure: no I/O and no clock — `now` is a parameter.
import type { Alert } from '../model/alert.js';
import { alertSignal, isSaturation, type AlertSignal } from '../model/alert-signal.js';
import type { Change } from '../model/change.js';
import type { IncidentReport, RemediationSuggestion, RootCause } from '../model/incident.js';
import { TRACE_BUCKET_MS, type CallTotals, type TraceDelta } from '../model/trace-aggregate.js';
import type { HistoricalIncident } from '../model/history.js';
import { TraceAggregates } from '../traces/trace-store.js';
import { HistoryIndex } from '../history/similarity-index.js';
import type { IncidentSignature } from '../history/incident-signature.js';
import { buildDependencyGraph, downstreamOf, type DeclaredDependency, type DependencyGraph } from '../topology/dependency-graph.js';
import { clusterAlerts, DEFAULT_CLUSTER_OPTIONS, type ClusterOptions, type RelationMemo } from '../correlate/incident-clusters.js';
import { rateCouplingFor, traceCouplingFor } from '../correlate/trace-coupling.js';
import { rankRootCauses } from '../rank/root-cause-ranking.js';
import { DEFAULT_RANKING_OPTIONS, type HistoryMatch, type RankingOptions } from '../rank/ranking-input.js';
import { deployStrengthNear } from '../rank/deploy-strength.js';
import { callAnomaly, lazyTraceSignals, type TraceSignalLookup, type TraceWindowSource } from '../rank/trace-signals.js';
import { IncidentTracker, instanceKey, type SameFailure, type TrackedIncident } from './incident-tracker.js';
import { addOpenIncident, decisiveRoot, failingThroughCalls, firstSuspect, isAnotherFailure, undecidedPair, victimOf, type OpenIncident } from './same-failure.js';
import { TraceChangeLog } from './trace-change-log.js';

const MINUTE = 60_000;

/**
 * Trace signals per ranking window, for one analysis (its graph), and the edges' baselines those windows share (by the
 * baseline's range, then caller, then callee).
 */
interface WindowSignals {
  graph: DependencyGraph;
  byWindow: Map<string, TraceSignalLookup>;
  baselines: Map<string, Map<string, Map<string, CallTotals | null>>>;
}

function newWindowSignals(graph: DependencyGraph): WindowSignals {
  return { graph, byWindow: new Map(), baselines: new Map() };
}

/**
 * An alert that fires again this soon after its last episode ended continues that episode (applyAlerts): Alertmanager's
 * default group_interval, so that at most one round of notifications saw it resolved.
 */
export const FLAP_GAP_MS = 5 * MINUTE;

export interface EngineOptions {
  cluster: ClusterOptions;
  ranking: RankingOptions;
  /** A resolved alert still takes part in clustering this long after it resolved. */
  resolvedActiveMs: number;
  /** Resolved alerts, changes and trace buckets older than this are forgotten. */
  retentionMs: number;
  /** Resolved incidents are still reported this long after they resolved. */
  reportResolvedMs: number;
  /** Call-graph edges unseen for this long leave the dependency graph. */
  edgeMaxAgeMs: number;
  /** Trace baseline: this long before the incident window. */
  traceBaselineMs: number;
  /** The incident window starts this long before the first alert (anomalies precede alerts). */
  traceLeadMs: number;
  /**
   * …and ends this long after it: a cause shows around the onset, so anomalies that start later (another
   * incident's, in a storm) must not explain this one.
   */
  traceWindowMs: number;
  /**
   * When no calls were seen since before a ranking's window (the traces show the call graph only, or none), failure
   * alerts of the whole analysis this close to the incident's onset show its silent dependencies failing (decision 020).
   */
  nearbyFailureMs: number;
  declaredTopology: readonly DeclaredDependency[];
  /**
   * A brand-new incident opens only once its first alert has been known this long, so that the traces and the
   * rest of the alert group that explain it have arrived (spans pair over a window of seconds; Alertmanager's
   * own group_wait is 30 s). Alerts that join an existing incident join at once. A final analysis holds nothing.
   */
  settleMs: number;
  /**
   * An incident whose alerts did not change is re-ranked at most this often when only traces, deploys or history
   * moved (they move all the time); an incident whose alerts changed is re-ranked at once.
   */
  rerankIntervalMs: number;
  /**
   * At most this many of those periodic re-ranks per analysis, the incidents first opened first; the others keep
   * their ranking until a following analysis (`deferredReranks` says how many wait). After a trace flush every
   * incident whose trace window is still open is due at once, and re-ranking them all would delay the analysis that
   * carries a new alert. Incidents whose alerts changed are always re-ranked; a final analysis re-ranks every due one.
   */
  maxPeriodicReranks: number;
  /**
   * Reuse work across analyses: the dependency graph while its edges are unchanged, and every relation weight while
   * nothing relations read has changed (see Engine.relationMemo). Off, every analysis rebuilds the graph and
   * recomputes every relation whose trace window is still open — the reference the reuse is tested against.
   */
  reuseAcrossAnalyses: boolean;
  /** Suggests runbooks for an incident (the runbook matcher); none when absent. */
  suggestRemediations?: (incident: RemediationContext) => RemediationSuggestion[];
}

/** What a runbook matcher gets to decide on an incident. */
export interface RemediationContext {
  id: string;
  services: string[];
  alertNames: string[];
  rootCauses: RootCause[];
  /** Changes from the ranking's lookback before the onset up to now. */
  recentDeploys: Change[];
  /** What the top root cause is: an instrumented service, or a dependency seen only as a trace peer. */
  rootCauseKind: 'service' | 'database' | 'cache' | 'queue' | 'external';
  /** What the incident's alerts say: something fails now, traffic shifted, or a future problem (alert-signal.ts). */
  alertSignals: AlertSignal[];
  /** Runbooks that fixed similar past incidents with the same top root cause, the most similar first. */
  fixedBefore: string[];
}

/** An alert whose latest firing (dated episodeStartsAt by its sender) continues an episode that began at startsAt. */
export interface ContinuedEpisode {
  fingerprint: string;
  startsAt: number;
  episodeStartsAt: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  cluster: DEFAULT_CLUSTER_OPTIONS,
  ranking: DEFAULT_RANKING_OPTIONS,
  resolvedActiveMs: 15 * MINUTE,
  retentionMs: 6 * 60 * MINUTE,
  reportResolvedMs: 60 * MINUTE,
  edgeMaxAgeMs: 6 * 60 * MINUTE,
  traceBaselineMs: 30 * MINUTE,
  traceLeadMs: 2 * MINUTE,
  traceWindowMs: 10 * MINUTE,
  nearbyFailureMs: 3 * MINUTE,
  declaredTopology: [],
  settleMs: 15_000,
  rerankIntervalMs: 30_000,
  maxPeriodicReranks: 16,
  reuseAcrossAnalyses: true,
};

export class Engine {
  /** Latest known instance of each alert, by fingerprint. */
  readonly alerts = new Map<string, Alert>();
  /** Every instance seen, by instance key, so an incident can still list alerts that re-fired since. */
  private readonly instances = new Map<string, Alert>();
  /**
   * For an alert kept with the first start of the episode its latest firing continues (applyAlerts), that firing as
   * its sender dated it.
   */
  private readonly firings = new WeakMap<Alert, Alert>();
  /** Per fingerprint, when its latest state was reported (applyAlerts' seenAt), when the caller said. */
  private readonly lastReported = new Map<string, number>();
  /** When each alert instance was first applied (the caller's clock), for the settle time. */
  private readonly firstSeen = new Map<string, number>();
  /** Clusters held back by the last analysis because they had not settled yet. */
  held = 0;
  /** Incidents due for a periodic re-rank that the last analysis left for a following one (maxPeriodicReranks). */
  deferredReranks = 0;
  /** Bumped whenever traces, changes or history change: cached rankings may be stale. */
  private inputsVersion = 0;
  /** Bumped whenever changes or history change (the inputs of a ranking other than traces and the graph). */
  private otherInputsVersion = 0;
  /** What each trace change touched, to tell whether a cached ranking read any of it (see rankingStillHolds). */
  private readonly traceLog = new TraceChangeLog();
  /** The clustering's memo identity: explanations of alert groups are kept alongside it across analyses. */
  private relationMemoKey = new Map<string, number>();
  /**
   * The structureVersion the relation memo's explanations were computed on. An explanation is kept for good once its
   * trace window is complete, but it also follows the graph's calls: a new edge (a dependency first seen in traces)
   * changes it, so a new structure starts a new memo.
   */
  private relationMemoStructure = 0;
  /** The dependency graph of the last analysis and what it was built from (TraceAggregates.topologyKey). */
  private graphCache: { key: string | null; graph: DependencyGraph } | null = null;
  /**
   * The graph's structure (services, calls, node kinds in build order) and a version bumped only when it changes:
   * rebuilt after every trace flush, the graph usually has the same structure with new call counts, which no
   * ranking reads.
   */
  private graphStructure = '';
  private structureVersion = 0;
  /** What the relation weights computed in the last analysis depended on; equal next time = they still hold. */
  private relationInputs: { graph: DependencyGraph; traces: number; now: number } | null = null;
  private readonly reportCache = new Map<string, CachedReport>();
  /** Rankings of the incidents opened by the current analysis, made when they were compared with open ones (sameFailure). */
  private readonly openedRankings = new Map<string, Ranked>();
  /**
   * Trace signals per ranking window, for one analysis (its graph): rankings whose onsets fall in the same minute read
   * the same windows (rankingWindow), and a replay's final analysis ranks a thousand clusters over some thirty.
   */
  private windowSignals: WindowSignals | null = null;
  /** The alerts the current analysis clusters (see failingNear). */
  private analysisAlerts: readonly Alert[] = [];
  readonly changes = new Map<string, Change>();
  readonly traces = new TraceAggregates();
  history = new HistoryIndex();
  readonly tracker = new IncidentTracker();
  private readonly options: EngineOptions;

  constructor(options: Partial<EngineOptions> = {}) {
    this.options = { ...DEFAULT_ENGINE_OPTIONS, ...options };
  }

  /**
   * Folds alerts in. The same alert repeated collapses; an older or stale update never overwrites a newer one.
   * `seenAt` is when they arrived (the caller's clock); without it they count as seen at their start.
   *
   * An alert that fires again after at most FLAP_GAP_MS without firing continues its last episode (decision 032): a
   * rule on the edge of its threshold flaps through one failure, and each new firing is one more sign of it, not a
   * new failure beginning later. The alert is kept with the first episode's start, so it stays one instance of the
   * incident it joined. The gap is known when the end was reported; when a sender reports a new firing where the
   * last report said firing (it resolved and fired again between two notifications), the gap is at most the time
   * since that report.
   */
  applyAlerts(alerts: readonly Alert[], seenAt?: number): void {
    for (const incoming of alerts) {
      const fingerprint = incoming.fingerprint;
      const known = this.alerts.get(fingerprint);
      let startsAt = incoming.startsAt;
      if (known) {
        const knownEpisode = this.episodeOf(known).startsAt;
        if (incoming.startsAt < knownEpisode) continue; // an older episode arriving late
        if (incoming.startsAt === knownEpisode && known.status === 'resolved' && incoming.status === 'firing') continue; // HA resend after resolve
        const quietSince = (known.status === 'resolved' ? known.endsAt : this.lastReported.get(fingerprint)) ?? Number.NEGATIVE_INFINITY;
        // A flap continues only within traceWindowMs of the first start: that start becomes the onset the clustering
        // and the onset order read, and a rule that keeps flapping for longer is more likely badly tuned than one
        // failure's sign.
        const flapped = incoming.startsAt - quietSince <= FLAP_GAP_MS && incoming.startsAt - known.startsAt <= this.options.traceWindowMs;
        if (incoming.startsAt === knownEpisode || flapped) startsAt = known.startsAt;
      }
      const a = startsAt === incoming.startsAt ? incoming : { ...incoming, startsAt };
      if (a !== incoming) this.firings.set(a, incoming);
      if (seenAt !== undefined) this.lastReported.set(fingerprint, seenAt);
      else this.lastReported.delete(fingerprint);
      const key = instanceKey(a);
      if (!this.firstSeen.has(key)) this.firstSeen.set(key, seenAt ?? a.startsAt);
      this.alerts.set(fingerprint, a);
      this.instances.set(key, a);
    }
  }

  /** The alerts whose latest firing continues an earlier episode: what a restart would not learn from stored alerts. */
  continuedEpisodes(): ContinuedEpisode[] {
    const out: ContinuedEpisode[] = [];
    for (const a of this.alerts.values()) {
      const firing = this.firings.get(a);
      if (firing !== undefined) out.push({ fingerprint: a.fingerprint, startsAt: a.startsAt, episodeStartsAt: firing.startsAt });
    }
    return out;
  }

  /**
   * When firing alerts were last reported: what a restart needs in order to tell whether a firing reported again with a
   * later start continues its episode (the stored alerts keep no arrival times). Only episodes a new firing can still
   * continue: begun within traceWindowMs of `now`, and FLAP_GAP_MS more for a firing delivered late.
   */
  recentReports(now: number): Array<[fingerprint: string, at: number]> {
    const out: Array<[string, number]> = [];
    const since = now - this.options.traceWindowMs - FLAP_GAP_MS;
    for (const [fingerprint, at] of this.lastReported) {
      const a = this.alerts.get(fingerprint);
      if (a !== undefined && a.status === 'firing' && a.startsAt >= since) out.push([fingerprint, at]);
    }
    return out;
  }

  /** After a restart (alerts applied without arrival times), when firing alerts were last reported (recentReports). */
  restoreReports(reports: ReadonlyArray<readonly [string, number]>): void {
    for (const [fingerprint, at] of reports) {
      if (this.alerts.get(fingerprint)?.status === 'firing' && !this.lastReported.has(fingerprint)) this.lastReported.set(fingerprint, at);
    }
  }

  /**
   * After a restart (alerts applied from their stored latest state), dates again from their first start the alerts
   * still in the episode a saved continuation names, so they stay the instances their incidents hold.
   */
  restoreContinuedEpisodes(episodes: readonly ContinuedEpisode[]): void {
    for (const c of episodes) {
      const a = this.alerts.get(c.fingerprint);
      if (a === undefined || a.startsAt !== c.episodeStartsAt || !(c.startsAt < c.episodeStartsAt)) continue;
      const continued = { ...a, startsAt: c.startsAt };
      const key = instanceKey(a);
      if (this.instances.get(key) === a) this.instances.delete(key);
      this.firstSeen.delete(key);
      const continuedKey = instanceKey(continued);
      this.instances.set(continuedKey, continued);
      if (!this.firstSeen.has(continuedKey)) this.firstSeen.set(continuedKey, c.startsAt);
      this.alerts.set(c.fingerprint, continued);
      this.firings.set(continued, a);
    }
  }

  /** Whether this state of the alert (its episode, as its sender dates it, and status) is the one already applied. */
  holds(a: Pick<Alert, 'fingerprint' | 'startsAt' | 'status'>): boolean {
    const known = this.alerts.get(a.fingerprint);
    return known !== undefined && this.episodeOf(known).startsAt === a.startsAt && known.status === a.status;
  }

  /** The alert as its sender dated its latest firing (the same object unless it continues an earlier episode). */
  private episodeOf(a: Alert): Alert {
    return this.firings.get(a) ?? a;
  }

  applyChanges(changes: readonly Change[]): void {
    for (const c of changes) this.changes.set(c.id, c);
    if (changes.length > 0) {
      this.inputsVersion++;
      this.otherInputsVersion++;
    }
  }

  applyTraceDelta(delta: TraceDelta): void {
    this.traces.apply(delta);
    if (delta.edges.length > 0 || delta.services.length > 0) {
      this.inputsVersion++;
      let earliest = Number.POSITIVE_INFINITY;
      for (const e of delta.edges) if (e.bucket < earliest) earliest = e.bucket;
      for (const sv of delta.services) if (sv.bucket < earliest) earliest = sv.bucket;
      this.traceLog.record(this.traces.version, earliest, Number.NEGATIVE_INFINITY);
    }
  }

  setHistory(incidents: readonly HistoricalIncident[]): void {
    this.history = new HistoryIndex([...incidents]);
    this.inputsVersion++;
    this.otherInputsVersion++;
  }

  addHistory(incident: HistoricalIncident): void {
    this.history.add(incident);
    this.inputsVersion++;
    this.otherInputsVersion++;
  }

  /** Drops what aged out: resolved alerts, changes, trace buckets, long-resolved incidents. */
  prune(now: number): void {
    const before = now - this.options.retentionMs;
    for (const [fp, a] of this.alerts) {
      if (a.status === 'resolved' && (a.endsAt ?? a.startsAt) < before) {
        this.alerts.delete(fp);
        this.lastReported.delete(fp);
      }
    }
    for (const [key, a] of this.instances) {
      if (this.alerts.get(a.fingerprint) !== a && a.startsAt < before) {
        this.instances.delete(key);
        this.firstSeen.delete(key);
      }
    }
    for (const [id, c] of this.changes) if (c.at < before) this.changes.delete(id);
    const tracesBefore = this.traces.version;
    this.traces.prune(before);
    if (this.traces.version !== tracesBefore) this.traceLog.record(this.traces.version, Number.POSITIVE_INFINITY, before);
    this.tracker.prune(now - this.options.reportResolvedMs);
  }

  /**
   * Clusters active alerts into incidents (keeping identities), ranks each, and reports them. `final` says no
   * more events are coming (the end of a replay): nothing is held back to settle.
   */
  analyze(now: number, { final = false }: { final?: boolean } = {}): IncidentReport[] {
    const o = this.options;
    const graph = this.dependencyGraph(now);
    const active = [...this.alerts.values()].filter(
      (a) => a.startsAt <= now && (a.status === 'firing' || (a.endsAt ?? a.startsAt) >= now - o.resolvedActiveMs),
    );
    this.analysisAlerts = active;
    const couplingFor = traceCouplingFor(this.traces, now, o.traceBaselineMs);
    const rateCoupling = rateCouplingFor(this.traces, now, o.traceBaselineMs);
    const settled = (cluster: readonly Alert[]) =>
      final || Math.min(...cluster.map((a) => this.firstSeen.get(instanceKey(a)) ?? a.startsAt)) <= now - o.settleMs;
    const changes = [...this.changes.values()]; // once per analysis, shared by every ranking
    this.openedRankings.clear();
    this.windowSignals = newWindowSignals(graph);
    const clusters = clusterAlerts(active, graph, o.cluster, couplingFor, this.relationMemo(graph, now), rateCoupling);
    this.held = this.tracker.assign(clusters, settled, this.sameFailure(graph, changes, now));
    this.tracker.refreshStatus(
      (key) => {
        const inst = this.instances.get(key);
        return inst !== undefined && inst.status === 'firing' && this.alerts.get(inst.fingerprint) === inst;
      },
      (inc) => Math.max(...inc.members.map((m) => this.instances.get(m)?.endsAt ?? this.instances.get(m)?.startsAt ?? inc.openedAt)),
    );

    const reports: IncidentReport[] = [];
    let latestChange = Number.NEGATIVE_INFINITY;
    for (const c of changes) if (c.at <= now && c.at > latestChange) latestChange = c.at;
    let periodicLeft = final ? Number.POSITIVE_INFINITY : o.maxPeriodicReranks;
    this.deferredReranks = 0;
    const mayRerank = (): boolean => {
      if (periodicLeft > 0) {
        periodicLeft--;
        return true;
      }
      this.deferredReranks++;
      return false;
    };
    for (const inc of this.tracker.incidents.values()) {
      if (inc.status === 'resolved' && (inc.resolvedAt ?? 0) < now - o.reportResolvedMs) {
        this.reportCache.delete(inc.id);
        continue;
      }
      reports.push(this.cachedReport(inc, graph, changes, latestChange, now, mayRerank, final));
    }
    this.windowSignals = null; // the traces may change before the next analysis
    return reports.sort((a, b) => (a.openedAt < b.openedAt ? 1 : a.openedAt > b.openedAt ? -1 : a.id.localeCompare(b.id)));
  }

  /**
   * Re-ranks an incident when its alerts changed, or when other inputs moved and its ranking is old enough (in a
   * final analysis, at any age) — unless what moved provably cannot change it (rankingStillHolds), or `mayRerank` says
   * this analysis has done enough such periodic re-ranks.
   */
  private cachedReport(
    inc: TrackedIncident,
    graph: DependencyGraph,
    changes: readonly Change[],
    latestChange: number,
    now: number,
    mayRerank: () => boolean,
    final: boolean,
  ): IncidentReport {
    let firing = 0;
    // A flapping alert's latest firing moves the end of the ranking's window (windowAnchor): it is part of the key.
    let latestFiring = Number.NEGATIVE_INFINITY;
    for (const m of inc.members) {
      const a = this.instances.get(m);
      if (a === undefined) continue;
      if (a.status === 'firing') firing++;
      const refired = this.firings.get(a)?.startsAt;
      if (refired !== undefined && refired > latestFiring) latestFiring = refired;
    }
    const alertsKey = `${inc.status}|${inc.members.length}|${firing}|${latestFiring}`;
    const cached = this.reportCache.get(inc.id);
    if (cached && cached.alertsKey === alertsKey) {
      // A final analysis gives what re-ranking now gives: a ranking made moments ago from fewer inputs is not kept.
      if (cached.inputsVersion === this.inputsVersion || (!final && now - cached.at < this.options.rerankIntervalMs)) return cached.report;
      if (this.rankingStillHolds(cached, latestChange)) {
        this.reportCache.set(inc.id, { ...cached, inputsVersion: this.inputsVersion, otherInputsVersion: this.otherInputsVersion, tracesVersion: this.traces.version, at: now });
        return cached.report;
      }
      if (!mayRerank()) return cached.report;
    }
    const o = this.options;
    const report = this.report(inc, graph, changes, now);
    const onset = this.onsetOf(inc);
    const windowEnd = Math.max(onset, latestFiring) + o.traceWindowMs; // as rank() sets it (windowAnchor)
    const read = this.rankingWindow(onset, now, windowEnd);
    this.reportCache.set(inc.id, {
      alertsKey,
      inputsVersion: this.inputsVersion,
      otherInputsVersion: this.otherInputsVersion,
      tracesVersion: this.traces.version,
      structureVersion: this.structureVersion,
      at: now,
      // The trace windows the ranking read (report() below): all of them closed when `to` was not capped at now.
      readsFrom: read.baselineFrom,
      readsTo: windowEnd <= now + 1 ? read.to : null,
      report,
    });
    return report;
  }

  /**
   * Whether a cached ranking is exactly what re-ranking now would give, although inputs moved since: the same
   * dependency graph structure, no deploy or history change, no deploy dated after it up to now (runbook suggestions list
   * deploys up to now), its trace windows were complete then, and no trace change since touched a bucket inside
   * them — new minutes after its window, or pruned buckets before it. After a trace flush, that is every incident
   * whose first ten minutes are over: they keep their ranking instead of all being re-ranked at once.
   */
  private rankingStillHolds(cached: CachedReport, latestChange: number): boolean {
    if (!this.options.reuseAcrossAnalyses || cached.readsTo === null || cached.structureVersion !== this.structureVersion) return false;
    if (cached.otherInputsVersion !== this.otherInputsVersion || latestChange > cached.at) return false;
    return this.traceLog.untouchedSince(cached.tracesVersion, cached.readsFrom, cached.readsTo);
  }

  private onsetOf(inc: TrackedIncident): number {
    let onset = Number.POSITIVE_INFINITY;
    for (const m of inc.members) {
      const a = this.instances.get(m);
      if (a && a.startsAt < onset) onset = a.startsAt;
    }
    return onset === Number.POSITIVE_INFINITY ? inc.openedAt : onset;
  }

  /**
   * Before a cluster opens a new incident: the open incident whose top root cause is the cluster's own, either ranking
   * decisive (decisiveRoot; the cluster's since decision 040), with onsets within the clustering's group gap. Louvain
   * maximises modularity, so it cuts one failure in two when its alerts form dense subtrees that touch only through a
   * few relations (the callers of one silent cache, each with callers of its own); the ranking, which reads the whole
   * dependency graph, still names one root for both halves, and two incidents blaming the same service at the same
   * time would send on-call to one failure twice. Only the top root is compared, only with open incidents (their last
   * ranking, or the cluster's that opened them in this analysis), and a cluster of nothing but service-less or local
   * alerts (disk, certificates) never joins: those stand alone. Where neither ranking is decisive, both naming the same
   * first two suspects in the same order is the same failure (undecidedPair). A cluster of mere symptoms joins the
   * incident of an earlier root it lists close behind its own first suspect (victimOf, decision 013).
   */
  private sameFailure(graph: DependencyGraph, changes: readonly Change[], now: number): SameFailure {
    // Built on the first question only: most analyses open nothing. Open incidents by their decisive root, and the
    // undecided ones by their first two suspects in order (undecidedPair) and by their first suspect (decision 040).
    type OpenIncidents = { byRoot: Map<string, OpenIncident[]>; bySuspects: Map<string, OpenIncident[]>; byFirst: Map<string, OpenIncident[]> };
    let open: OpenIncidents | null = null;
    const register = (into: OpenIncidents, rootCauses: readonly RootCause[] | undefined, incident: OpenIncident): void => {
      const root = decisiveRoot(rootCauses);
      const pair = undecidedPair(rootCauses);
      if (root !== undefined) addOpenIncident(into.byRoot, root, incident);
      else {
        if (pair !== undefined) addOpenIncident(into.bySuspects, pair, incident);
        const first = firstSuspect(rootCauses);
        if (first !== undefined) addOpenIncident(into.byFirst, first, incident);
      }
    };
    const openIncidents = (): OpenIncidents => {
      if (open) return open;
      const built: OpenIncidents = { byRoot: new Map(), bySuspects: new Map(), byFirst: new Map() };
      for (const inc of this.tracker.incidents.values()) {
        if (inc.status === 'open') register(built, this.reportCache.get(inc.id)?.report.rootCauses, { id: inc.id, onset: this.onsetOf(inc) });
      }
      return (open = built);
    };
    const gapMs = this.options.cluster.groupGapMs;
    let last: { alerts: readonly Alert[]; ranked: Ranked } | null = null;
    return {
      find: (alerts) => {
        if (!alerts.some((a) => a.service !== '' && alertSignal(a) !== 'local')) return undefined;
        const ranked = last?.alerts === alerts ? last.ranked : this.rank(alerts, graph, changes, now);
        last = { alerts, ranked };
        // Only the open incident's ranking must be decisive; the cluster's need only name the root first (a tie names
        // nothing): a few alerts on services the root makes fail often rank their own service or another dependency
        // close behind it, and the open incident has already heard from the rest of the failure.
        const named = firstSuspect(ranked.rootCauses);
        // Failing that, when the cluster's ranking is undecided, an undecided open incident with the same first two
        // suspects in the same order: both saw one failure and could not tell its two candidates apart (decision 008,
        // third addendum). Failing that, a cluster with nothing against its own first suspect joins the earlier
        // incident of a root it ranks close behind (decision 013).
        const nearest = (list: readonly OpenIncident[] | undefined): OpenIncident | undefined => list?.find((inc) => Math.abs(inc.onset - ranked.onset) <= gapMs);
        const near = (list: readonly OpenIncident[] | undefined): string | undefined => nearest(list)?.id;
        const pair = undecidedPair(ranked.rootCauses);
        // The other way round, a cluster decisive on its root joins an open incident that names the same root first,
        // undecided: which of the two opened first is the order of the clusters, not the failure (decision 040). The
        // incident then holds alerts that blame its root decisively, and later clusters may join it as that root's.
        const joinedOnRoot = (root: string | undefined): string | undefined => {
          if (root === undefined) return undefined;
          const inc = nearest(openIncidents().byFirst.get(root));
          if (inc !== undefined) addOpenIncident(openIncidents().byRoot, root, inc);
          return inc?.id;
        };
        const same =
          (named === undefined ? undefined : near(openIncidents().byRoot.get(named))) ??
          (pair === undefined ? undefined : near(openIncidents().bySuspects.get(pair))) ??
          joinedOnRoot(decisiveRoot(ranked.rootCauses)) ??
          victimOf(
            alerts,
            ranked.rootCauses,
            ranked.onset,
            openIncidents().byRoot,
            gapMs,
            (service) => deployStrengthNear(changes, service, ranked.onset, this.options.ranking.changeLookbackMs),
            failingThroughCalls(graph, alerts, ranked.signals, (since) => this.signalsSince(graph, since, ranked.window.to, now)),
          );
        if (same !== undefined) this.openedRankings.delete(same); // it gains these alerts: rank it again
        return same;
      },
      another: (id, alerts) => {
        // Alerts a cluster would add to an open incident are another failure when the incident blames one root
        // decisively, the alerts ranked alone blame another decisively, and neither ranking even lists the other's
        // root: a lone alert of one failure that Louvain put beside an open incident of another (decision 008,
        // second addendum). Analyses that open every incident at once (a replay) never ask.
        const open = this.reportCache.get(id)?.report.rootCauses;
        if (decisiveRoot(open) === undefined || !alerts.some((a) => a.service !== '' && alertSignal(a) !== 'local')) return false;
        const ranked = this.rank(alerts, graph, changes, now);
        last = { alerts, ranked };
        return isAnotherFailure(open, ranked.rootCauses);
      },
      opened: (id, alerts) => {
        if (last?.alerts !== alerts) return;
        // The new incident holds exactly these alerts, ranked now: its report in this analysis reuses the ranking.
        this.openedRankings.set(id, last.ranked);
        register(openIncidents(), last.ranked.rootCauses, { id, onset: last.ranked.onset });
      },
    };
  }

  private report(inc: TrackedIncident, graph: DependencyGraph, changes: readonly Change[], now: number): IncidentReport {
    const o = this.options;
    const alerts = this.membersOf(inc);
    const { onset, services, similarIncidents, rootCauses, history } = this.openedRankings.get(inc.id) ?? this.rank(alerts, graph, changes, now, inc.openedAt);
    const alertNames = [...new Set(alerts.map((a) => a.name))];
    return {
      id: inc.id,
      title: incidentTitle(alerts, services),
      status: inc.status,
      openedAt: new Date(inc.openedAt).toISOString(),
      alerts: [...inc.fingerprints],
      services,
      rootCauses,
      similarIncidents,
      remediations: o.suggestRemediations
        ? o.suggestRemediations({
            id: inc.id,
            services,
            alertNames,
            rootCauses,
            // A failed rollout is evidence, never what a rollback starts from: what runs after it is not known.
            recentDeploys: changes.filter((c) => !c.failed && c.at >= onset - o.ranking.changeLookbackMs && c.at <= now),
            rootCauseKind: rootCauseKindOf(graph, rootCauses[0]?.service),
            alertSignals: [...new Set(alerts.map(alertSignal))],
            fixedBefore: runbooksThatFixed(history, rootCauses[0]?.service),
          })
        : [],
    };
  }

  /**
   * The trace windows a ranking reads: the baseline, then from a little before the onset until `end` (a while after
   * it, see windowAnchor) or now. Both ends are rounded up to whole trace buckets, which changes nothing read: a range
   * query reads the buckets that start inside it, the same before and after rounding up (the baseline's length and its
   * thirds are whole buckets too). Rankings with onsets in the same minute then share one window, and its lookups
   * (traceSignals).
   */
  private rankingWindow(onset: number, now: number, end: number): { baselineFrom: number; from: number; to: number } {
    const o = this.options;
    const from = ceilToBucket(onset - o.traceLeadMs);
    return { baselineFrom: from - o.traceBaselineMs, from, to: ceilToBucket(Math.min(now + 1, end)) };
  }

  /**
   * Where a ranking's window is anchored: the onset, or the latest firing of an alert that flapped, if later (decision
   * 032). Such an alert is dated from its first firing, and what made it fire last may lie after the window that
   * date opens; the window then runs on to a while after that firing.
   */
  private windowAnchor(alerts: readonly Alert[], onset: number): number {
    let anchor = onset;
    for (const a of alerts) {
      const firing = this.firings.get(a);
      if (firing !== undefined && firing.startsAt > anchor) anchor = firing.startsAt;
    }
    return anchor;
  }

  private membersOf(inc: TrackedIncident): Alert[] {
    return inc.members.map((m) => this.instances.get(m)).filter((a): a is Alert => a !== undefined);
  }

  /**
   * Trace signals from a ranking window that opens at `onset` (its baseline before it) until `to`: how calls went since
   * an open incident began, against the calls before it (decision 041).
   */
  private signalsSince(graph: DependencyGraph, onset: number, to: number, now: number): TraceSignalLookup {
    return this.traceSignals(graph, this.rankingWindow(onset, now, to));
  }

  /** Trace signals over a ranking window, shared by every ranking of this analysis that reads the same window. */
  private traceSignals(graph: DependencyGraph, window: { baselineFrom: number; from: number; to: number }): TraceSignalLookup {
    if (this.windowSignals?.graph !== graph) this.windowSignals = newWindowSignals(graph);
    const key = `${window.baselineFrom}\u0000${window.from}\u0000${window.to}`;
    let signals = this.windowSignals.byWindow.get(key);
    if (signals === undefined) {
      signals = lazyTraceSignals(
        {
          callers: (service) => (graph.hasNode(service) ? graph.inNeighbors(service) : []),
          edge: (caller, callee, from, to) => this.traces.edgeStats(caller, callee, from, to),
          edgeBaseline: this.sharedBaselines(this.windowSignals, window),
          service: (service, from, to) => this.traces.serviceStats(service, from, to),
          serviceVersions: (service, from, to) => this.traces.serviceVersions(service, from, to),
          edgeVersions: (caller, callee, from, to) => this.traces.edgeVersions(caller, callee, from, to),
        },
        window,
      );
      this.windowSignals.byWindow.set(key, signals);
    }
    return signals;
  }

  /**
   * An edge's baseline as the windows of an analysis that open at the same minute read it: they share the baseline
   * before that minute, whatever their ends (an incident re-ranked after a cluster joined it reads a longer window than
   * the cluster's), so each edge's baseline is read once for all of them.
   */
  private sharedBaselines(shared: WindowSignals, window: { baselineFrom: number; from: number }): NonNullable<TraceWindowSource['edgeBaseline']> {
    const key = `${window.baselineFrom}\u0000${window.from}`;
    let byCaller = shared.baselines.get(key);
    if (byCaller === undefined) shared.baselines.set(key, (byCaller = new Map()));
    const memo = byCaller;
    return (caller, callee, from, to) => {
      if (from !== window.baselineFrom || to !== window.from) return this.traces.edgeBaselineStats(caller, callee, from, to);
      let byCallee = memo.get(caller);
      if (byCallee === undefined) memo.set(caller, (byCallee = new Map()));
      let stats = byCallee.get(callee);
      if (stats === undefined) byCallee.set(callee, (stats = this.traces.edgeBaselineStats(caller, callee, from, to)));
      return stats;
    };
  }

  /** Ranks the root causes of a set of alerts (an incident's, or a cluster's about to open one), with its history matches. */
  private rank(alerts: readonly Alert[], graph: DependencyGraph, changes: readonly Change[], now: number, openedAt = now): Ranked {
    const o = this.options;
    const onset = alerts.length > 0 ? Math.min(...alerts.map((a) => a.startsAt)) : openedAt;
    const window = this.rankingWindow(onset, now, this.windowAnchor(alerts, onset) + o.traceWindowMs);
    const signals = this.traceSignals(graph, window);
    const failingNearby = this.traces.latestBucket < window.from ? this.failingNear(onset) : undefined;
    const services = [...new Set(alerts.map((a) => a.service).filter((s) => s !== ''))].sort();

    // Only a search reads the incident's signature: with no past incidents (a replay without --history), none is built.
    const matches = this.history.size > 0 ? this.history.search(this.signatureOf(alerts, services, graph, signals), 5) : [];
    const similarIncidents = matches.map((m) => ({ id: m.incident.id, similarity: round3(m.similarity), rootCause: m.incident.rootCause.service }));
    // What fixed those incidents goes into the evidence and the runbook order; the report's list keeps its shape.
    const history = matches.map((m, i) => ({ ...similarIncidents[i]!, ...(m.incident.remediation ? { fixedWith: m.incident.remediation } : {}) }));

    const rootCauses = rankRootCauses(
      {
        alerts,
        graph,
        traceSignals: signals,
        changes,
        history,
        onset,
        ...(failingNearby ? { failingNearby } : {}),
      },
      o.ranking,
    );
    return { onset, services, similarIncidents, rootCauses, history, signals, window };
  }

  /** What the history is searched by: the alerts, their services, and the dependencies that look anomalous in traces (a silent database). */
  private signatureOf(alerts: readonly Alert[], services: string[], graph: DependencyGraph, signals: TraceSignalLookup): IncidentSignature {
    const dependencies = new Set<string>();
    for (const s of services) {
      for (const d of downstreamOf(graph, s, 2).keys()) {
        if (d !== s && callAnomaly(signals.get(d)?.incoming ?? null) >= 0.3) dependencies.add(d);
      }
    }
    return { services, alerts: alerts.map((a) => ({ service: a.service, alertname: a.name })), dependencies: [...dependencies].sort() };
  }

  /**
   * The services whose failure alerts (not saturation) begin within nearbyFailureMs of `onset`, anywhere in the
   * analysis. Asked only when no calls were seen since before the ranking's window: alerts are then all that shows a
   * failure, and Louvain may have cut one failure's callers into two incidents (decision 020). O(the analysis' alerts).
   */
  private failingNear(onset: number): Set<string> {
    const near = new Set<string>();
    for (const a of this.analysisAlerts) {
      if (a.service && Math.abs(a.startsAt - onset) <= this.options.nearbyFailureMs && alertSignal(a) === 'failure' && !isSaturation(a)) near.add(a.service);
    }
    return near;
  }

  /** The graph for `now`: rebuilt only when the edges it is built from changed (a new trace delta, an edge aging out). */
  private dependencyGraph(now: number): DependencyGraph {
    const since = now - this.options.edgeMaxAgeMs;
    const key = this.options.reuseAcrossAnalyses ? this.traces.topologyKey(since) : null;
    if (key === null || this.graphCache?.key !== key) {
      const edges = this.traces.topology(since);
      const structure = edges.map((e) => `${e.caller}\u0001${e.callee}\u0001${e.calleeUninstrumented ? 1 : 0}${e.calleeKind}`).join('\u0002');
      if (key !== null && this.graphCache !== null && structure === this.graphStructure) {
        // Only call counts moved (every trace flush does that), and no analysis reads them: keep the graph, and
        // with it the neighbour arrays and remembered searches that would cost the next analysis to rebuild.
        this.graphCache = { key, graph: this.graphCache.graph };
      } else {
        this.graphCache = { key, graph: buildDependencyGraph(edges, { declared: this.options.declaredTopology }) };
        if (structure !== this.graphStructure) {
          this.graphStructure = structure;
          this.structureVersion++;
        }
      }
    }
    return this.graphCache.graph;
  }

  /**
   * The relation memo for this analysis (correlate/incident-clusters.ts keeps each alert group's explanation with
   * it). Explanations whose judging window is complete (ends before now − 10 min: the window plus the traces'
   * flush lag) hold for good. When nothing an explanation reads has changed since the last analysis — the same
   * graph, the same trace aggregates, and no bucket after either analysis time (so both saw the same trace data) —
   * every explanation computed then still holds too (completeBefore = +∞): only new alert groups are explained.
   * That is what makes re-analysis after one new alert cheap; any trace delta drops the unsettled ones.
   */
  private relationMemo(graph: DependencyGraph, now: number): RelationMemo {
    const last = this.relationInputs;
    const unchanged =
      this.options.reuseAcrossAnalyses &&
      last !== null &&
      last.graph === graph &&
      last.traces === this.traces.version &&
      this.traces.latestBucket <= Math.min(last.now, now);
    this.relationInputs = { graph, traces: this.traces.version, now };
    const stamp: RelationStamp = { tracesVersion: this.traces.version, structureVersion: this.structureVersion, now };
    if (this.relationMemoStructure !== this.structureVersion) {
      this.relationMemoKey = new Map();
      this.relationMemoStructure = this.structureVersion;
    }
    return {
      weights: this.relationMemoKey,
      completeBefore: unchanged ? Number.POSITIVE_INFINITY : now - 10 * MINUTE,
      ...(this.options.reuseAcrossAnalyses ? { stamp, unchangedSince: (s: unknown, from: number, to: number) => this.windowUnchangedSince(s as RelationStamp, from, to) } : {}),
    };
  }

  /**
   * Whether an alert group's explanation computed under `stamp` still holds: the same graph structure, its judging
   * window [from, to) was complete then (whole minutes, as trace-coupling.ts reads them), and no trace change since
   * touched a bucket it read (the window and the baseline before it). A trace flush then re-explains only the
   * groups whose windows are still open, not every group of the last ten minutes.
   */
  private windowUnchangedSince(stamp: RelationStamp, from: number, to: number): boolean {
    if (stamp.structureVersion !== this.structureVersion) return false;
    const windowEnd = Math.ceil(to / MINUTE) * MINUTE;
    if (windowEnd > Math.floor(stamp.now / MINUTE) * MINUTE) return false;
    return this.traceLog.untouchedSince(stamp.tracesVersion, Math.floor(from / MINUTE) * MINUTE - this.options.traceBaselineMs, windowEnd);
  }
}

/** A ranking of a set of alerts, with what the report needs besides it. */
interface Ranked {
  onset: number;
  services: string[];
  similarIncidents: IncidentReport['similarIncidents'];
  rootCauses: RootCause[];
  /** The similar incidents as the ranking read them: with what fixed each, when the history says. */
  history: HistoryMatch[];
  /** The trace signals over the ranking's window. */
  signals: TraceSignalLookup;
  /** The ranking's window: its baseline, then from a little before the onset until `to`. */
  window: { baselineFrom: number; from: number; to: number };
}

/** What an unsettled explanation was computed from (see windowUnchangedSince). */
interface RelationStamp {
  tracesVersion: number;
  structureVersion: number;
  now: number;
}

interface CachedReport {
  alertsKey: string;
  inputsVersion: number;
  otherInputsVersion: number;
  tracesVersion: number;
  /** Engine.structureVersion when it was ranked: the same services, calls and node kinds. */
  structureVersion: number;
  at: number;
  /** Earliest trace time the ranking read (start of its baseline window). */
  readsFrom: number;
  /** End of the trace windows it read; null while they were still open (capped at the analysis time). */
  readsTo: number | null;
  report: IncidentReport;
}

/** The runbooks that fixed the similar incidents caused by `rootCause`, most similar first, each once. */
function runbooksThatFixed(history: readonly HistoryMatch[], rootCause: string | undefined): string[] {
  const out = new Set<string>();
  for (const h of history) if (h.rootCause === rootCause && h.fixedWith) out.add(h.fixedWith.runbook);
  return [...out];
}

function rootCauseKindOf(graph: DependencyGraph, service: string | undefined): RemediationContext['rootCauseKind'] {
  if (!service || !graph.hasNode(service)) return 'service';
  const node = graph.getNodeAttributes(service);
  return node.uninstrumented ? node.kind : 'service';
}

/** "HighErrorRate on checkout (+11 alerts, 5 services)": the first alert names it, so the title stays stable. */
export function incidentTitle(alerts: readonly Alert[], services: readonly string[]): string {
  const first = [...alerts].sort((a, b) => a.startsAt - b.startsAt || a.fingerprint.localeCompare(b.fingerprint))[0];
  if (!first) return 'Incident';
  const head = first.service ? `${first.name} on ${first.service}` : first.name;
  if (alerts.length === 1) return head;
  return `${head} (+${alerts.length - 1} alert${alerts.length === 2 ? '' : 's'}, ${services.length} service${services.length === 1 ? '' : 's'})`;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function ceilToBucket(ms: number): number {
  return Math.ceil(ms / TRACE_BUCKET_MS) * TRACE_BUCKET_MS;
}
