// Pure scoring of predicted incidents against a scenario's ground truth: root-cause accuracy (AC@k,
// Avg@5), pairwise clustering F1 over alerts, and how many unrelated alerts were absorbed into incidents.

export interface TruthLike {
  incidents: ReadonlyArray<{ rootCause: string; alerts: readonly string[]; rootAlerts?: boolean }>;
  /** Alerts that belong to no incident; each is its own singleton cluster in the truth. */
  noise: readonly string[];
}

export interface PredictedLike {
  alerts: readonly string[];
  rootCauses: ReadonlyArray<{ service: string }>;
}

export interface IncidentScore {
  rootCause: string;
  /** Index of the predicted incident holding most of this incident's alerts; null when none holds any. */
  matchedIndex: number | null;
  /** 1-based position of the true root cause in the matched incident's rootCauses; null when absent. */
  rank: number | null;
  /** Whether the root raised one of the incident's alerts (undefined when the truth does not say). */
  rootAlerts?: boolean;
}

export interface PairCounts {
  /** Alert pairs together in the truth. */
  truePairs: number;
  /** Alert pairs together in some predicted incident. */
  predictedPairs: number;
  /** Pairs together in both. */
  agreeingPairs: number;
}

export interface ScenarioScore {
  incidents: IncidentScore[];
  pairs: PairCounts;
  noise: { total: number; absorbed: number };
}

/** Scores one scenario. A true incident matches the predicted incident holding most of its alerts
 *  (ties: the earlier one in the prediction's order). */
export function scoreScenario(truth: TruthLike, predicted: readonly PredictedLike[]): ScenarioScore {
  const predictedSets = predicted.map((p) => new Set(p.alerts));
  const incidents: IncidentScore[] = truth.incidents.map((inc) => {
    let best: number | null = null;
    let bestCount = 0;
    predictedSets.forEach((set, i) => {
      let count = 0;
      for (const a of inc.alerts) if (set.has(a)) count++;
      if (count > bestCount) [best, bestCount] = [i, count];
    });
    const rootAlerts = inc.rootAlerts === undefined ? {} : { rootAlerts: inc.rootAlerts };
    if (best === null) return { rootCause: inc.rootCause, matchedIndex: null, rank: null, ...rootAlerts };
    const pos = predicted[best]!.rootCauses.findIndex((c) => c.service === inc.rootCause);
    return { rootCause: inc.rootCause, matchedIndex: best, rank: pos < 0 ? null : pos + 1, ...rootAlerts };
  });
  return { incidents, pairs: countPairs(truth, predictedSets), noise: countAbsorbed(truth, predictedSets) };
}

/** Pair counts over the truth's alerts (incident alerts and noise); alerts the truth does not know are ignored. */
export function countPairs(truth: TruthLike, predictedSets: ReadonlyArray<ReadonlySet<string>>): PairCounts {
  const trueGroups = new Map<string, Set<number>>();
  truth.incidents.forEach((inc, i) => inc.alerts.forEach((a) => (trueGroups.get(a) ?? trueGroups.set(a, new Set()).get(a)!).add(i)));
  for (const a of truth.noise) if (!trueGroups.has(a)) trueGroups.set(a, new Set());
  const universe = [...trueGroups.keys()];
  const predGroups = new Map<string, Set<number>>(universe.map((a) => [a, new Set<number>()]));
  predictedSets.forEach((set, i) => {
    for (const a of set) predGroups.get(a)?.add(i);
  });
  const intersects = (x: ReadonlySet<number>, y: ReadonlySet<number>): boolean => {
    for (const v of x) if (y.has(v)) return true;
    return false;
  };
  let truePairs = 0;
  let predictedPairs = 0;
  let agreeingPairs = 0;
  for (let i = 0; i < universe.length; i++) {
    for (let j = i + 1; j < universe.length; j++) {
      const t = intersects(trueGroups.get(universe[i]!)!, trueGroups.get(universe[j]!)!);
      const p = intersects(predGroups.get(universe[i]!)!, predGroups.get(universe[j]!)!);
      if (t) truePairs++;
      if (p) predictedPairs++;
      if (t && p) agreeingPairs++;
    }
  }
  return { truePairs, predictedPairs, agreeingPairs };
}

/** Noise alerts that share a predicted incident with any alert of a true incident. */
export function countAbsorbed(truth: TruthLike, predictedSets: ReadonlyArray<ReadonlySet<string>>): { total: number; absorbed: number } {
  const incidentAlerts = new Set(truth.incidents.flatMap((i) => i.alerts));
  const tainted = predictedSets.filter((set) => [...set].some((a) => incidentAlerts.has(a)));
  const noise = [...new Set(truth.noise)].filter((a) => !incidentAlerts.has(a));
  return { total: noise.length, absorbed: noise.filter((a) => tainted.some((set) => set.has(a))).length };
}

/** F1 of pairwise precision and recall; 1 when there is nothing to pair and nothing was paired. */
export function pairwiseF1(p: PairCounts): number {
  if (p.truePairs === 0 && p.predictedPairs === 0) return 1;
  if (p.agreeingPairs === 0) return 0;
  const precision = p.agreeingPairs / p.predictedPairs;
  const recall = p.agreeingPairs / p.truePairs;
  return (2 * precision * recall) / (precision + recall);
}

/** Share of incidents whose root cause is within the top k of their matched incident. */
export function accuracyAtK(incidents: readonly IncidentScore[], k: number): number {
  if (incidents.length === 0) return 0;
  return incidents.filter((i) => i.rank !== null && i.rank <= k).length / incidents.length;
}

/** Mean of AC@1..AC@5. */
export function averageAt5(incidents: readonly IncidentScore[]): number {
  let sum = 0;
  for (let k = 1; k <= 5; k++) sum += accuracyAtK(incidents, k);
  return sum / 5;
}

export interface Summary {
  scenarios: number;
  incidents: number;
  ac1: number;
  ac3: number;
  avg5: number;
  /** Mean over scenarios of each scenario's pairwise F1. */
  clusteringF1: number;
  noiseAlerts: number;
  absorbedAlerts: number;
  /** absorbedAlerts / noiseAlerts (0 when there was no noise). */
  absorbedShare: number;
  /**
   * Incidents whose root raised one of their alerts, and AC@1 over them and over the rest (whose root is silent, or
   * not known to alert): a silent root is told only by traces or by its callers, an alerting one also by its own alerts.
   */
  alertingRoots: number;
  ac1AlertingRoot: number;
  ac1SilentRoot: number;
}

export function summarize(scores: readonly ScenarioScore[]): Summary {
  const incidents = scores.flatMap((s) => s.incidents);
  const noiseAlerts = scores.reduce((n, s) => n + s.noise.total, 0);
  const absorbedAlerts = scores.reduce((n, s) => n + s.noise.absorbed, 0);
  const alerting = incidents.filter((i) => i.rootAlerts === true);
  return {
    scenarios: scores.length,
    incidents: incidents.length,
    alertingRoots: alerting.length,
    ac1AlertingRoot: accuracyAtK(alerting, 1),
    ac1SilentRoot: accuracyAtK(incidents.filter((i) => i.rootAlerts !== true), 1),
    ac1: accuracyAtK(incidents, 1),
    ac3: accuracyAtK(incidents, 3),
    avg5: averageAt5(incidents),
    clusteringF1: scores.length === 0 ? 0 : scores.reduce((n, s) => n + pairwiseF1(s.pairs), 0) / scores.length,
    noiseAlerts,
    absorbedAlerts,
    absorbedShare: noiseAlerts === 0 ? 0 : absorbedAlerts / noiseAlerts,
  };
}
