import { describe, it, expect } from 'vitest';
import { buildDependencyGraph } from '../../../src/topology/dependency-graph.js';
import { clusterAlerts, groupAlerts } from '../../../src/correlate/incident-clusters.js';
import { topologicalRelation } from '../../../src/correlate/alert-relations.js';
import { alert, edge, MIN } from '../../support/alerts.js';
import type { Alert } from '../../../src/model/alert.js';

const graph = buildDependencyGraph([
  edge('frontend', 'checkout'),
  edge('frontend', 'search'),
  edge('checkout', 'payments'),
  edge('checkout', 'orders-db', 100, true),
  edge('cart', 'orders-db', 100, true),
  edge('search', 'search-index'),
  edge('batch', 'warehouse'),
]);

function clusterNames(clusters: Alert[][]): string[][] {
  return clusters.map((c) => [...new Set(c.map((a) => a.service))].sort()).sort((a, b) => a[0]!.localeCompare(b[0]!));
}

describe('topological relation', () => {
  it('relates direct calls, shared dependencies and call chains, never siblings or unknown services', () => {
    expect(topologicalRelation(graph, 'checkout', 'payments')).toBe(1);
    expect(topologicalRelation(graph, 'checkout', 'cart')).toBe(1); // two callers of orders-db
    expect(topologicalRelation(graph, 'frontend', 'payments')).toBeCloseTo(0.8); // frontend → checkout → payments
    expect(topologicalRelation(graph, 'frontend', 'cart')).toBeCloseTo(0.8); // one and two hops above orders-db
    expect(topologicalRelation(graph, 'checkout', 'search')).toBe(0); // siblings under frontend
    expect(topologicalRelation(graph, 'checkout', 'nowhere')).toBe(0);
    expect(topologicalRelation(graph, 'nowhere', 'nowhere')).toBe(1);
  });
});

describe('relation weighted by trace coupling', () => {
  it('needs calls along the path to go bad: healthy edges barely relate, failing ones fully', () => {
    const failingDb = (caller: string, callee: string) => (callee === 'orders-db' ? 1 : 0.15);
    expect(topologicalRelation(graph, 'checkout', 'cart', failingDb)).toBeCloseTo(1);
    expect(topologicalRelation(graph, 'checkout', 'payments', failingDb)).toBeCloseTo(0.15);
    // frontend → checkout → payments: two healthy calls explain nothing.
    expect(topologicalRelation(graph, 'frontend', 'payments', failingDb)).toBe(0);
  });

  it('keeps a noise alert on a healthy neighbour out of the incident', () => {
    const failingDb = (_caller: string, callee: string) => (callee === 'orders-db' ? 1 : 0.15);
    const alerts = [alert('checkout', 'HighErrorRate', 0), alert('cart', 'HighErrorRate', 1), alert('payments', 'Http5xxRatioHigh', 1)];
    expect(clusterNames(clusterAlerts(alerts, graph, undefined, () => failingDb))).toEqual([['cart', 'checkout'], ['payments']]);
  });
});

describe('alerts on a service\'s own resources', () => {
  const failingDb = (_caller: string, callee: string) => (callee === 'orders-db' ? 1 : 0.15);
  const outage = [alert('checkout', 'HighErrorRate', 0), alert('cart', 'HighErrorRate', 1)];

  it('keep a caller short of CPU out of its failing dependency\'s incident: a failing callee does not exhaust a caller', () => {
    // frontend calls checkout, whose calls fail; frontend's CPU alert is its own trouble, not checkout's doing.
    const failingCheckout = (caller: string, callee: string) => (callee === 'orders-db' || callee === 'checkout' ? 1 : 0.15);
    const alerts = [...outage, alert('frontend', 'ContainerCpuUsageHigh', 1)];
    expect(clusterNames(clusterAlerts(alerts, graph, undefined, () => failingCheckout))).toEqual([['cart', 'checkout'], ['frontend']]);
    // The same caller failing (errors, not its resources) is explained by checkout and joins.
    const failing = [...outage, alert('frontend', 'HighErrorRate', 1)];
    expect(clusterNames(clusterAlerts(failing, graph, undefined, () => failingCheckout))).toEqual([['cart', 'checkout', 'frontend']]);
  });

  it('let a dependency short of memory join the callers it explains', () => {
    const alerts = [...outage, alert('orders-db', 'ContainerOOMKilled', 1)];
    expect(clusterNames(clusterAlerts(alerts, graph, undefined, () => failingDb))).toEqual([['cart', 'checkout', 'orders-db']]);
  });
});

describe('clustering alerts into incidents', () => {
  it('groups a cascade and two callers of one failing database into one incident', () => {
    const alerts = [alert('checkout', 'HighErrorRate', 0), alert('cart', 'HighErrorRate', 1), alert('frontend', 'HighErrorRate', 2), alert('checkout', 'HighLatency', 2)];
    expect(clusterNames(clusterAlerts(alerts, graph))).toEqual([['cart', 'checkout', 'frontend']]);
  });

  it('keeps an unrelated alert alone even when it fires at the same moment', () => {
    const alerts = [alert('checkout', 'HighErrorRate', 0), alert('cart', 'HighErrorRate', 1), alert('warehouse', 'DiskSpaceLow', 1), alert('certs', 'CertificateExpiry', 0)];
    expect(clusterNames(clusterAlerts(alerts, graph))).toEqual([['cart', 'checkout'], ['certs'], ['warehouse']]);
  });

  it('keeps a warning of a future problem alone even on a service of the incident; an expired certificate joins', () => {
    const outage = [alert('checkout', 'HighErrorRate', 0), alert('cart', 'HighErrorRate', 1)];
    const expiringSoon = alert('checkout', 'CertManagerCertExpirySoon', 1);
    const fillingUp = alert('checkout', 'NodeFilesystemSpaceFillingUp', 1);
    const names = (clusters: Alert[][]) => clusters.map((c) => c.map((a) => a.name).sort().join('+')).sort();
    expect(names(clusterAlerts([...outage, expiringSoon, fillingUp], graph))).toEqual(['CertManagerCertExpirySoon', 'HighErrorRate+HighErrorRate', 'NodeFilesystemSpaceFillingUp']);
    expect(names(clusterAlerts([...outage, alert('checkout', 'CertificateExpired', 1)], graph))).toEqual(['CertificateExpired+HighErrorRate+HighErrorRate']);
  });

  it('separates alerts of related services whose onsets are hours apart', () => {
    const alerts = [alert('checkout', 'HighErrorRate', 0), alert('payments', 'HighErrorRate', 300)];
    expect(clusterAlerts(alerts, graph)).toHaveLength(2);
  });

  it('is deterministic for the same input', () => {
    const alerts = [alert('checkout', 'E', 0), alert('payments', 'E', 1), alert('cart', 'E', 1), alert('search', 'E', 2), alert('search-index', 'E', 2)];
    expect(clusterNames(clusterAlerts(alerts, graph))).toEqual(clusterNames(clusterAlerts([...alerts].reverse(), graph)));
  });

  it('groups one service\'s alerts by onset gaps', () => {
    const groups = groupAlerts([alert('a', 'X', 0), alert('a', 'Y', 10), alert('a', 'Z', 100)], 30 * MIN);
    expect(groups.map((g) => g.alerts.length)).toEqual([2, 1]);
  });
});

describe('without any topology (nothing traced, no catalog: decision 021)', () => {
  const none = buildDependencyGraph([]);

  it('groups failures that begin within minutes of each other; a warning of a future problem still stands alone', () => {
    const alerts = [
      alert('checkout', 'HighErrorRate', 0),
      alert('cart', 'HighErrorRate', 1),
      alert('payments', 'Http5xxRatioHigh', 3),
      alert('certs', 'CertificateExpiringSoon', 1),
      alert('search', 'HighErrorRate', 40),
    ];
    expect(clusterNames(clusterAlerts(alerts, none))).toEqual([['cart', 'checkout', 'payments'], ['certs'], ['search']]);
  });

  it('relates two onsets by their distance, further with a shared label', () => {
    // Alone, two groups are one mean gap apart: the scale is min(10 min, 2 gaps). 0.5 · e^(−4/8) = 0.303 reaches the
    // clustering's 0.3; 0.5 · e^(−6/10) = 0.27 does not, (0.5 + 0.1) · e^(−6/10) = 0.33 does.
    expect(clusterAlerts([alert('a', 'HighErrorRate', 0), alert('b', 'HighErrorRate', 4)], none)).toHaveLength(1);
    expect(clusterAlerts([alert('a', 'HighErrorRate', 0), alert('b', 'HighErrorRate', 6)], none)).toHaveLength(2);
    const inShop = (service: string, minute: number) => alert(service, 'HighErrorRate', minute, { labels: { alertname: 'HighErrorRate', service, namespace: 'shop' } });
    expect(clusterAlerts([inShop('a', 0), inShop('b', 6)], none)).toHaveLength(1);
  });

  it('reads onsets against how often alerts begin: in a crowd of onsets, a minute apart is not together', () => {
    const pair = [alert('a', 'HighErrorRate', 0), alert('b', 'HighErrorRate', 1)];
    expect(clusterAlerts(pair, none)).toHaveLength(1);
    // Forty more services begin to alert every 6 s from minute 2 on: the mean gap is 8.6 s, the scale 17 s, so a and b
    // (a minute apart) no longer meet, and neighbours 6 s apart chain into a few small incidents, not one.
    const crowd = Array.from({ length: 40 }, (_, k) => alert(`s${k}`, 'HighErrorRate', 2 + k / 10));
    const clusters = clusterAlerts([...pair, ...crowd], none);
    expect(clusters.find((c) => c.some((x) => x.service === 'a'))!.map((x) => x.service)).toEqual(['a']);
    expect(Math.max(...clusters.map((c) => c.length))).toBeLessThanOrEqual(10);
  });

  it('keeps alerts on services a known graph does not place apart, however close their onsets', () => {
    const alerts = [alert('node-exporter', 'HostHighCpuLoad', 0), alert('etcd-backup', 'HighErrorRate', 0), alert('checkout', 'HighErrorRate', 0)];
    expect(clusterNames(clusterAlerts(alerts, graph))).toEqual([['checkout'], ['etcd-backup'], ['node-exporter']]);
  });
});
