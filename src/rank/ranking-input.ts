// What a root-cause ranking reads (one incident's alerts, the graph, trace signals, changes and similar past incidents) and
// how it weighs them. Shared by the ranking's parts (root-cause-ranking.ts and the modules it draws on) and the engine.
import type { Alert } from '../model/alert.js';
import type { Change } from '../model/change.js';
import type { IncidentFix } from '../model/history.js';
import type { DependencyGraph } from '../topology/dependency-graph.js';
import type { TraceSignalLookup } from './trace-signals.js';

export interface HistoryMatch {
  id: string;
  similarity: number;
  rootCause: string;
  /** The runbook and target that fixed it, when the history says (CONTRACT §3 `remediation`). */
  fixedWith?: IncidentFix;
}

export interface RankingInput {
  /** The incident's alerts (firing and recently resolved). */
  alerts: readonly Alert[];
  graph: DependencyGraph;
  /** Trace signals for (at least) the candidate services; see lazyTraceSignals. */
  traceSignals: TraceSignalLookup;
  /** Changes from the lookback window, any service. */
  changes: readonly Change[];
  history: readonly HistoryMatch[];
  /** First alert onset of the incident (epoch ms). */
  onset: number;
  /**
   * Services with failure alerts anywhere in the analysis near the onset, given only when no calls were seen around
   * it: callers outside the incident that show its silent dependencies failing (decision 020).
   */
  failingNearby?: ReadonlySet<string>;
}

export interface RankingOptions {
  /** How far below the alerting services candidates are searched (hops). */
  candidateDepth: number;
  /** How far anomalies are followed to explain a candidate (hops). */
  explainDepth: number;
  /** A deploy this long before the onset still counts (ms). */
  changeLookbackMs: number;
  maxResults: number;
  weights: { position: number; anomaly: number; origin: number; change: number; history: number; onset: number };
}

export const DEFAULT_RANKING_OPTIONS: RankingOptions = {
  candidateDepth: 3,
  explainDepth: 6,
  changeLookbackMs: 60 * 60_000,
  maxResults: 10,
  weights: { position: 0.35, anomaly: 0.2, origin: 0.15, change: 0.15, history: 0.1, onset: 0.05 },
};
