// How two reports of one callee's kind combine: commutatively, so aggregates do not depend on arrival order.
import type { PeerKind } from '../model/span.js';

/*
 * A callee seen both as an instrumented service and as a client-span peer is one node. The more specific report
 * wins (a cache is a kind of database; any stated infrastructure kind beats a plain service; 'external' says least),
 * and a callee is uninstrumented only if no call to it was ever paired with a span of its own.
 */
const PRECEDENCE: Readonly<Record<PeerKind, number>> = { external: 0, service: 1, queue: 2, database: 3, cache: 4 };

export function strongerCalleeKind(a: PeerKind, b: PeerKind): PeerKind {
  return PRECEDENCE[b] > PRECEDENCE[a] ? b : a;
}
