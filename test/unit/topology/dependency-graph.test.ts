import { describe, it, expect } from 'vitest';
import { buildDependencyGraph, downstreamOf, upstreamOf, neighbourhoodOf } from '../../../src/topology/dependency-graph.js';
import { edge, T0 } from '../../support/alerts.js';

describe('dependency graph', () => {
  const graph = buildDependencyGraph([edge('frontend', 'checkout'), edge('checkout', 'orders-db', 50, true), edge('cart', 'orders-db', 20, true), edge('checkout', 'orders-db', 10, true)]);

  it('merges repeated edges and keeps uninstrumented peers as nodes', () => {
    expect(graph.order).toBe(4);
    expect(graph.getEdgeAttribute('checkout', 'orders-db', 'calls')).toBe(60);
    expect(graph.getNodeAttribute('orders-db', 'uninstrumented')).toBe(true);
    expect(graph.getNodeAttribute('checkout', 'uninstrumented')).toBe(false);
  });

  it('walks downstream, upstream and both ways with hop distances', () => {
    expect(Object.fromEntries(downstreamOf(graph, 'frontend', 3))).toEqual({ frontend: 0, checkout: 1, 'orders-db': 2 });
    expect(Object.fromEntries(upstreamOf(graph, 'orders-db', 1))).toEqual({ 'orders-db': 0, checkout: 1, cart: 1 });
    expect(neighbourhoodOf(graph, 'cart', 2).get('checkout')).toBe(2);
    expect(downstreamOf(graph, 'unknown', 3).size).toBe(1);
  });

  it('leaves out edges not seen since the cut-off and adds declared dependencies', () => {
    const g = buildDependencyGraph([{ ...edge('a', 'b'), lastSeen: T0 - 1 }, edge('a', 'c')], {
      seenSince: T0,
      declared: [{ service: 'c', dependsOn: ['d'] }],
    });
    expect(g.hasEdge('a', 'b')).toBe(false);
    expect(g.hasEdge('a', 'c')).toBe(true);
    expect(g.getEdgeAttribute('c', 'd', 'declared')).toBe(true);
  });

  it('an instrumented sighting upgrades a node first seen as a peer', () => {
    const g = buildDependencyGraph([edge('a', 'b', 10, true), edge('b', 'c')]);
    expect(g.getNodeAttribute('b', 'uninstrumented')).toBe(false);
  });
});
