// A community that holds two independent failures is two incidents; one failure seen from many callers is one.
import { describe, it, expect } from 'vitest';
import { buildDependencyGraph } from '../../../src/topology/dependency-graph.js';
import { clusterAlerts, DEFAULT_CLUSTER_OPTIONS, groupAlerts } from '../../../src/correlate/incident-clusters.js';
import { downstreamExplanation } from '../../../src/correlate/alert-relations.js';
import { HEALTHY_COUPLING } from '../../../src/correlate/trace-coupling.js';
import { splitAlertsByRoots } from '../../../src/correlate/root-split.js';
import type { Alert } from '../../../src/model/alert.js';
import { alert, edge } from '../../support/alerts.js';

// frontend calls catalog and scheduler; catalog calls price-cache; orders, billing and shop call orders-db; billing
// and ledger call ledger-db.
const graph = buildDependencyGraph([
  edge('frontend', 'catalog'),
  edge('frontend', 'scheduler'),
  edge('frontend', 'orders'),
  edge('catalog', 'price-cache', 100, true),
  edge('orders', 'orders-db', 100, true),
  edge('billing', 'orders-db', 100, true),
  edge('shop', 'orders-db', 100, true),
  edge('billing', 'ledger-db', 100, true),
  edge('ledger', 'ledger-db', 100, true),
]);

function services(clusters: Alert[][]): string[][] {
  return clusters.map((c) => [...new Set(c.map((a) => a.service))].sort()).sort((a, b) => a[0]!.localeCompare(b[0]!));
}

function split(alerts: Alert[]): string[][] {
  const groups = groupAlerts(alerts, DEFAULT_CLUSTER_OPTIONS.groupGapMs);
  const explanations = groups.map((g) => downstreamExplanation(graph, g.service));
  // Without traces both symptoms of a group are explained as the whole group is.
  return services(splitAlertsByRoots(groups.map((_, i) => i), groups, explanations, DEFAULT_CLUSTER_OPTIONS, (i) => explanations[i]!));
}

describe('splitting a community by its independent roots', () => {
  it('separates two failures that a frontend alert bridges, and gives the frontend to the root it reaches directly', () => {
    const alerts = [alert('price-cache', 'HighLatency', 0), alert('catalog', 'HighLatency', 1), alert('scheduler', 'HighErrorRate', 2), alert('frontend', 'HighErrorRate', 2)];
    // frontend relates to both incidents (it calls catalog and scheduler): Louvain alone joins all four.
    // It calls the failing scheduler itself, price-cache only through catalog.
    expect(split(alerts)).toEqual([['catalog', 'price-cache'], ['frontend', 'scheduler']]);
    // When the scheduler fails 8 minutes after the frontend alerted, the frontend goes with the cache's failure.
    expect(split([...alerts.slice(0, 2), alert('scheduler', 'HighErrorRate', 8), alert('frontend', 'HighErrorRate', 0)])).toEqual([['catalog', 'frontend', 'price-cache'], ['scheduler']]);
  });

  it('keeps two roots together when one evaluation first saw both below a failing caller', () => {
    const cache = alert('price-cache', 'HighLatency', 2);
    const catalog = alert('catalog', 'HighLatency', 3);
    const frontend = alert('frontend', 'HighLatency', 3);
    // The same startsAt (one rule evaluation) below the frontend, which explains both: one failure seen twice.
    expect(split([cache, catalog, alert('scheduler', 'HighLatency', 2), frontend])).toEqual([['catalog', 'frontend', 'price-cache', 'scheduler']]);
    // Half a second apart is still the same evaluation (senders round to the second).
    expect(split([cache, catalog, alert('scheduler', 'HighLatency', 2 + 0.5 / 60), frontend])).toEqual([['catalog', 'frontend', 'price-cache', 'scheduler']]);
    // Two seconds apart they are two observations: two failures.
    expect(split([cache, catalog, alert('scheduler', 'HighLatency', 2 + 2 / 60), frontend])).toEqual([['catalog', 'price-cache'], ['frontend', 'scheduler']]);
    // Without a failing caller that explains both, the same instant proves nothing.
    expect(split([cache, catalog, alert('scheduler', 'HighLatency', 2)])).toEqual([['catalog', 'price-cache'], ['scheduler']]);
  });

  it('keeps two callers of one silent database together: their roots share a cause', () => {
    expect(split([alert('orders', 'HighErrorRate', 0), alert('billing', 'HighErrorRate', 1)])).toEqual([['billing', 'orders']]);
  });

  it('separates two failures that a caller of both holds together, and gives it to the one nearer in time', () => {
    // orders fails on orders-db, ledger on ledger-db; billing calls both databases and meets each root through a different one.
    expect(split([alert('orders', 'HighErrorRate', 0), alert('billing', 'HighErrorRate', 1), alert('ledger', 'HighErrorRate', 3)])).toEqual([['billing', 'orders'], ['ledger']]);
    expect(split([alert('orders', 'HighErrorRate', 0), alert('billing', 'HighErrorRate', 2), alert('ledger', 'HighErrorRate', 1)])).toEqual([['billing', 'ledger'], ['orders']]);
  });

  it('keeps callers of one database whole when only the middle one meets both others in time', () => {
    // orders and shop, 16 minutes apart, are too far apart to meet directly; billing meets both through orders-db.
    expect(split([alert('orders', 'HighErrorRate', 0), alert('billing', 'HighErrorRate', 8), alert('shop', 'HighErrorRate', 16)])).toEqual([['billing', 'orders', 'shop']]);
  });

  it('keeps a cascade with one root whole', () => {
    expect(split([alert('price-cache', 'HighLatency', 0), alert('catalog', 'HighLatency', 1), alert('frontend', 'HighLatency', 2)])).toEqual([['catalog', 'frontend', 'price-cache']]);
  });

  it('never makes a request-rate alert a root: its cause is above it', () => {
    expect(split([alert('catalog', 'HighErrorRate', 0), alert('price-cache', 'RequestRateDrop', 0)])).toEqual([['catalog', 'price-cache']]);
  });

  it('makes no root of a direct caller whose calls show its failing dependency failing, however weakly (decision 037)', () => {
    // frontend's own few calls into the failing scheduler succeeded, so they couple it weakly (0.25: under minWeight);
    // its calls to its other dependencies look healthy (0.15), or one of them, catalog, clearly fails (0.9).
    const splitWith = (shows: boolean, catalog = HEALTHY_COUPLING): string[][] => {
      const coupling = Object.assign(
        (caller: string, callee: string) => (caller !== 'frontend' ? 1 : callee === 'scheduler' ? 0.25 : callee === 'catalog' ? catalog : HEALTHY_COUPLING),
        { showsFailure: (caller: string, callee: string) => shows && caller === 'frontend' && callee === 'scheduler' },
      );
      const alerts = [alert('scheduler', 'HighErrorRate', 0), alert('frontend', 'HighErrorRate', 0.5)];
      const groups = groupAlerts(alerts, DEFAULT_CLUSTER_OPTIONS.groupGapMs);
      const explanations = groups.map((g) => downstreamExplanation(graph, g.service, coupling));
      return services(splitAlertsByRoots(groups.map((_, i) => i), groups, explanations, DEFAULT_CLUSTER_OPTIONS, (i) => explanations[i]!));
    };
    // The calls into the scheduler (from every caller) show it failing, and nothing below the frontend explains it
    // better: the failure reaches the frontend.
    expect(splitWith(true)).toEqual([['frontend', 'scheduler']]);
    // The same weak coupling from calls that cannot tell (lowered by a failure elsewhere) is no reach.
    expect(splitWith(false)).toEqual([['frontend'], ['scheduler']]);
    // Nor is it when a dependency that raised nothing explains the frontend more strongly: that is its failure.
    expect(splitWith(true, 0.9)).toEqual([['frontend'], ['scheduler']]);
  });

  it('applies inside the clustering', () => {
    const alerts = [alert('price-cache', 'HighLatency', 0), alert('catalog', 'HighLatency', 1), alert('scheduler', 'HighErrorRate', 2), alert('frontend', 'HighErrorRate', 2, { fingerprint: 'fe' })];
    expect(services(clusterAlerts(alerts, graph))).toEqual([['catalog', 'price-cache'], ['frontend', 'scheduler']]);
  });
});
