// Clusters active alerts into groups of related alerts with Louvain communities over a weighted alert-group graph.
// Nodes are alert groups (one service's alerts with nearby onsets), so cost scales with alerting services, not alerts.
import { UndirectedGraph } from 'graphology';
import louvainModule from 'graphology-communities-louvain';
import type { Alert } from '../model/alert.js';
import { neighbourhoodOf, type DependencyGraph } from '../topology/dependency-graph.js';
import { seededRandom } from '../model/seeded-random.js';
import { DEFAULT_RELATION_OPTIONS, sharesLabels, timeAffinity, topologicalRelation, type EdgeCoupling, type RelationOptions } from './alert-relations.js';

// The package is CommonJS with typings that declare an ES default export; at runtime the import is the function.
const louvain = louvainModule as unknown as (typeof louvainModule)['default'];

export interface ClusterOptions extends RelationOptions {
  /** A service's alerts whose onsets are further apart than this form separate groups. */
  groupGapMs: number;
  /**
   * Relations lighter than this are not drawn. Louvain always pulls a node hanging off a single edge into its
   * neighbour's community, so a weak link would absorb an unrelated alert: weak links must not exist at all.
   */
  minWeight: number;
  /** Louvain resolution: below 1 favours larger communities (a cascade stays one incident). */
  resolution: number;
  /** Seed for Louvain's tie-breaking, so that the same input always gives the same clusters. */
  seed: number;
}

export const DEFAULT_CLUSTER_OPTIONS: ClusterOptions = {
  ...DEFAULT_RELATION_OPTIONS,
  groupGapMs: 30 * 60_000,
  minWeight: 0.3,
  resolution: 0.6,
  seed: 42,
};

export interface AlertGroup {
  key: string;
  service: string;
  onset: number;
  alerts: Alert[];
}

/** Groups alerts per service (or per alert when it names no service) and onset proximity. O(n log n). */
export function groupAlerts(alerts: readonly Alert[], gapMs: number): AlertGroup[] {
  const byService = new Map<string, Alert[]>();
  for (const a of alerts) {
    const key = a.service || `alert:${a.fingerprint}`;
    let list = byService.get(key);
    if (!list) byService.set(key, (list = []));
    list.push(a);
  }
  const groups: AlertGroup[] = [];
  for (const [key, list] of byService) {
    list.sort((x, y) => x.startsAt - y.startsAt || x.fingerprint.localeCompare(y.fingerprint));
    let current: AlertGroup | undefined;
    let last = Number.NEGATIVE_INFINITY;
    for (const a of list) {
      if (!current || a.startsAt - last > gapMs) {
        current = { key: `${key}@${a.startsAt}`, service: a.service, onset: a.startsAt, alerts: [] };
        groups.push(current);
      }
      current.alerts.push(a);
      last = a.startsAt;
    }
  }
  return groups.sort((a, b) => a.onset - b.onset || a.key.localeCompare(b.key));
}

/** Returns clusters of alerts (each a list of alerts), deterministic for the same input and seed. */
/** Gives the edge coupling for a time window [from, to): how traces saw calls behave around two onsets. */
export type CouplingForWindow = (from: number, to: number) => EdgeCoupling;

/** Window around a pair of onsets in which calls between their services are judged. */
const WINDOW_LEAD_MS = 2 * 60_000;
const WINDOW_TAIL_MS = 5 * 60_000;

/**
 * Relations between alert groups whose judging window lies wholly before `completeBefore` cannot change any more
 * (their trace buckets are complete), so a caller analysing repeatedly keeps them here across analyses.
 */
export interface RelationMemo {
  weights: Map<string, number>;
  completeBefore: number;
}

export function clusterAlerts(
  alerts: readonly Alert[],
  graph: DependencyGraph,
  options: ClusterOptions = DEFAULT_CLUSTER_OPTIONS,
  couplingFor?: CouplingForWindow,
  memo?: RelationMemo,
): Alert[][] {
  const groups = groupAlerts(alerts, options.groupGapMs);
  const g = new UndirectedGraph<{ group: AlertGroup }, { weight: number }>();
  for (const group of groups) g.addNode(group.key, { group });

  // Candidate pairs: groups on the same service or on services within 3 hops; never all pairs.
  const groupsByService = new Map<string, AlertGroup[]>();
  for (const group of groups) {
    if (!group.service) continue;
    let list = groupsByService.get(group.service);
    if (!list) groupsByService.set(group.service, (list = []));
    list.push(group);
  }
  for (const group of groups) {
    if (!group.service) continue;
    const near = neighbourhoodOf(graph, group.service, 3);
    for (const service of near.keys()) {
      for (const other of groupsByService.get(service) ?? []) {
        if (other.key <= group.key || g.hasEdge(group.key, other.key)) continue;
        const pairKey = `${group.key}\u0000${other.key}`;
        let weight = memo?.weights.get(pairKey);
        if (weight === undefined) {
          const from = Math.min(group.onset, other.onset) - WINDOW_LEAD_MS;
          const to = Math.max(group.onset, other.onset) + WINDOW_TAIL_MS;
          const topo = topologicalRelation(graph, group.service, other.service, couplingFor?.(from, to));
          const labelBonus = topo > 0 && sharesLabels(group.alerts[0]!.labels, other.alerts[0]!.labels, options) ? 0.1 : 0;
          weight = (topo + labelBonus) * timeAffinity(group.onset, other.onset, options);
          if (memo && to < memo.completeBefore) memo.weights.set(pairKey, weight);
        }
        if (weight >= options.minWeight) g.addEdge(group.key, other.key, { weight });
      }
    }
  }

  const community = g.size > 0 ? louvain(g, { getEdgeWeight: 'weight', resolution: options.resolution, rng: seededRandom(options.seed) }) : {};
  const clusters = new Map<string, Alert[]>();
  for (const group of groups) {
    const id = community[group.key] !== undefined ? `c${community[group.key]}` : group.key;
    let list = clusters.get(id);
    if (!list) clusters.set(id, (list = []));
    list.push(...group.alerts);
  }
  return [...clusters.values()];
}
