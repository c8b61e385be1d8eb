import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { DirectedGraph } from 'graphology';
import {
  buildDependencyGraph,
  downstreamOf,
  emptyDependencyGraph,
  upstreamOf,
  neighbourhoodOf,
  type CallEdge,
  type DependencyGraph,
  type ServiceNode,
} from '../../../src/topology/dependency-graph.js';
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

  it('a declared dependency leaves a traced node as the traces describe it', () => {
    const g = buildDependencyGraph([edge('checkout', 'orders-db', 10, true)], {
      declared: [{ service: 'checkout', dependsOn: ['orders-db', 'payments'] }, { service: 'orders-db', dependsOn: [] }],
    });
    expect(g.getNodeAttribute('orders-db', 'uninstrumented')).toBe(true);
    expect(g.getEdgeAttribute('checkout', 'orders-db', 'declared')).toBe(false);
    expect(g.getNodeAttributes('payments')).toEqual({ uninstrumented: false, kind: 'service' });
    expect(g.getEdgeAttribute('checkout', 'payments', 'declared')).toBe(true);
  });

  it('an instrumented sighting upgrades a node first seen as a peer', () => {
    const g = buildDependencyGraph([edge('a', 'b', 10, true), edge('b', 'c')]);
    expect(g.getNodeAttribute('b', 'uninstrumented')).toBe(false);
  });

  // The analysis graph answers neighbour reads and searches from arrays and remembered results; a plain graphology
  // graph with the same edges is the reference, order included (clustering and ranking depend on it).
  it('reads neighbours and searches exactly like plain graphology, through any mutations', () => {
    const name = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', '7', '12');
    const op = fc.oneof(
      fc.record({ add: fc.tuple(name, name) }),
      fc.record({ drop: fc.tuple(name, name) }),
      fc.record({ dropNode: name }),
      fc.record({ read: name, depth: fc.integer({ min: 0, max: 4 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const fast = emptyDependencyGraph();
        const plain: DependencyGraph = new DirectedGraph<ServiceNode, CallEdge>();
        const attrs: ServiceNode = { uninstrumented: false, kind: 'service' };
        for (const o of ops) {
          for (const g of [fast, plain]) {
            if ('add' in o) {
              const [x, y] = o.add;
              if (x === y) continue;
              g.mergeNode(x, attrs);
              g.mergeNode(y, attrs);
              g.mergeEdge(x, y, { calls: 1, lastSeen: 0, declared: false });
            } else if ('drop' in o) {
              if (g.hasEdge(o.drop[0], o.drop[1])) g.dropEdge(o.drop[0], o.drop[1]);
            } else if ('dropNode' in o) {
              if (g.hasNode(o.dropNode)) g.dropNode(o.dropNode);
            }
          }
          if (!('read' in o)) continue;
          const n = o.read;
          const seen = (g: DependencyGraph) => {
            if (!g.hasNode(n)) return null;
            const out: string[] = [];
            const inn: string[] = [];
            const both: string[] = [];
            g.forEachOutNeighbor(n, (x) => out.push(x));
            g.forEachInNeighbor(n, (x) => inn.push(x));
            g.forEachNeighbor(n, (x) => both.push(x));
            return { out, inn, both, outNeighbors: g.outNeighbors(n), inNeighbors: g.inNeighbors(n), neighbors: g.neighbors(n) };
          };
          expect(seen(fast)).toEqual(seen(plain));
          const names = ['a', 'b', 'c', 'd', 'e', 'f', '7', '12', 'unknown'];
          const edgeTests = (g: DependencyGraph) => names.map((x) => names.map((y) => g.hasDirectedEdge(x, y)));
          expect(edgeTests(fast)).toEqual(edgeTests(plain));
          for (const walk of [downstreamOf, upstreamOf, neighbourhoodOf]) {
            // Twice: the second answer comes from the remembered result.
            expect([...walk(fast, n, o.depth)]).toEqual([...walk(plain, n, o.depth)]);
            expect([...walk(fast, n, o.depth)]).toEqual([...walk(plain, n, o.depth)]);
          }
        }
      }),
      { numRuns: 300 },
    );
    expect(() => emptyDependencyGraph().forEachOutNeighbor('missing', () => undefined)).toThrow(/could not find/);
  });
});
