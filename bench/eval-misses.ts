// What went wrong in one scored scenario, in a line each: the incidents whose root cause was not ranked first, and a
// clustering that fell short. `npm run eval -- --misses` prints them, so that a change can be judged by the incidents
// it moves and not only by the averages. Pure.
import { pairwiseF1, type PredictedLike, type ScenarioScore, type TruthLike } from './eval-metrics.js';

/** Clustering below this pairwise F1 is listed. */
export const CLUSTERING_LISTED_BELOW = 0.8;

export interface RankingMiss {
  scenario: string;
  rootCause: string;
  /** 1-based position of the root cause in the matched incident's ranking; null when it is not listed. */
  rank: number | null;
  /** Whether the root raised one of the incident's alerts (undefined when the truth does not say). */
  rootAlerts?: boolean;
  /** The matched incident (the one holding most of the true incident's alerts); null when none holds any. */
  matched: { alerts: number; holding: number; of: number; suspects: Array<{ service: string; score: number }> } | null;
}

export interface ClusteringMiss {
  scenario: string;
  f1: number;
  /** True incidents whose alerts ended up in more than one predicted incident. */
  split: number;
  /** Predicted incidents holding alerts of more than one true incident. */
  merged: number;
  absorbed: number;
}

export interface ScenarioMisses {
  ranking: RankingMiss[];
  clustering: ClusteringMiss | null;
}

interface PredictedWithScores extends PredictedLike {
  rootCauses: ReadonlyArray<{ service: string; score: number }>;
}

export function scenarioMisses(scenario: string, truth: TruthLike, predicted: readonly PredictedWithScores[], score: ScenarioScore): ScenarioMisses {
  const ranking: RankingMiss[] = [];
  score.incidents.forEach((inc, i) => {
    if (inc.rank === 1) return;
    const truthAlerts = truth.incidents[i]!.alerts;
    const p = inc.matchedIndex === null ? undefined : predicted[inc.matchedIndex];
    const holding = p ? truthAlerts.filter((a) => p.alerts.includes(a)).length : 0;
    ranking.push({
      scenario,
      rootCause: inc.rootCause,
      rank: inc.rank,
      ...(inc.rootAlerts === undefined ? {} : { rootAlerts: inc.rootAlerts }),
      matched: p
        ? { alerts: p.alerts.length, holding, of: truthAlerts.length, suspects: p.rootCauses.slice(0, 3).map((c) => ({ service: c.service, score: c.score })) }
        : null,
    });
  });
  const f1 = pairwiseF1(score.pairs);
  if (f1 >= CLUSTERING_LISTED_BELOW) return { ranking, clustering: null };
  const holderOf = new Map<string, number>();
  predicted.forEach((p, i) => p.alerts.forEach((a) => holderOf.set(a, i)));
  const split = truth.incidents.filter((inc) => new Set(inc.alerts.map((a) => holderOf.get(a)).filter((h) => h !== undefined)).size > 1).length;
  const truthOf = new Map<string, number>();
  truth.incidents.forEach((inc, i) => inc.alerts.forEach((a) => truthOf.set(a, i)));
  const merged = predicted.filter((p) => new Set(p.alerts.map((a) => truthOf.get(a)).filter((t) => t !== undefined)).size > 1).length;
  return { ranking, clustering: { scenario, f1, split, merged, absorbed: score.noise.absorbed } };
}

/**
 * One line for a ranking miss: "latency-cascade-3: chat-v2 (silent) not listed; incident of 6 alerts (6 of its 6): a 0.47,
 * b 0.47, c 0.47". "(alerts)" or "(silent)" says whether the root raised one of the incident's alerts, when the truth says.
 */
export function describeRankingMiss(m: RankingMiss): string {
  const where = m.rank === null ? 'not listed' : `ranked ${m.rank}`;
  const root = m.rootAlerts === undefined ? m.rootCause : `${m.rootCause} (${m.rootAlerts ? 'alerts' : 'silent'})`;
  if (!m.matched) return `${m.scenario}: ${root}: no incident holds its alerts`;
  const suspects = m.matched.suspects.map((s) => `${s.service} ${s.score.toFixed(2)}`).join(', ');
  return `${m.scenario}: ${root} ${where}; incident of ${m.matched.alerts} alerts (${m.matched.holding} of its ${m.matched.of}): ${suspects}`;
}

export function describeClusteringMiss(m: ClusteringMiss): string {
  return `${m.scenario}: F1 ${m.f1.toFixed(2)}; incidents split: ${m.split}, predicted incidents mixing several: ${m.merged}, noise alerts absorbed: ${m.absorbed}`;
}
