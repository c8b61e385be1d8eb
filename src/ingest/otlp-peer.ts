// Names the peer of a CLIENT/PRODUCER span from its semantic-convention attributes: the node users see in the graph.
import type { PeerKind } from '../model/span.js';

/*
 * Naming rule (the name must match what the peer calls itself when instrumented, what alert labels say and what
 * labelled datasets use, so that a database seen only from its callers and its own alerts land on one node):
 *
 * 1. `peer.service` (in current semantic conventions `service.peer.name`) wins verbatim: the operator chose it, and
 *    it is what an instrumented peer's service.name is.
 * 2. Database/cache (`db.system` or `db.system.name`): the host (`server.address`, else `net.peer.name`) reduced to
 *    its first DNS label when that label is meaningful — `orders-db.prod.svc.cluster.local` → `orders-db`,
 *    `orders.c9akciq32.eu-west-1.rds.amazonaws.com` → `orders`. Otherwise (an IP, localhost, a generic first label
 *    like `db`/`primary`/`replica`) the combination `"<system> <host>"`, e.g. `postgresql 10.0.3.7`; without a host,
 *    the system alone (`redis`). This supersedes the "postgresql orders-db.prod.svc" example in model/span.ts.
 * 3. Messaging (`messaging.system`): `"<system> <destination>"` (`kafka orders`) — a topic is not a service, and a
 *    topic named like a service must not merge with it; without a destination the host rule of 2, else the system.
 * 4. Only a host: in-cluster names (single label, a `svc` label, `.cluster.local`, `.internal`) → first label;
 *    external names stay whole (`api.stripe.com`: its first label `api` names nothing); IPs stay as they are.
 * 5. Nothing → '' (the span cannot name a node; an unpaired one is dropped).
 */

/** First labels that name a role, not a thing: "primary.orders.svc" says nothing by its first label. */
const GENERIC_LABELS = new Set([
  'db', 'database', 'primary', 'master', 'main', 'replica', 'standby', 'secondary', 'slave', 'read', 'write', 'rw',
  'ro', 'reader', 'writer', 'leader', 'follower', 'www', 'api', 'localhost', 'cluster', 'default', 'node', 'host',
]);

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

function isIpAddress(host: string): boolean {
  return host.includes(':') || IPV4.test(host);
}

function firstLabel(host: string): string {
  const dot = host.indexOf('.');
  return dot < 0 ? host : host.slice(0, dot);
}

/** The meaningful first DNS label of a host name, or '' when it has none (IPs, localhost, generic roles). */
function meaningfulLabel(host: string): string {
  if (host === '' || isIpAddress(host)) return '';
  const label = firstLabel(host).toLowerCase();
  return label === '' || GENERIC_LABELS.has(label) || /^\d+$/.test(label) ? '' : label;
}

function isInClusterHost(host: string): boolean {
  if (!host.includes('.')) return true;
  return host.includes('.svc') || host.endsWith('.cluster.local') || host.endsWith('.internal');
}

/** Rule 2's host naming, shared by databases and messaging without a destination. */
function nameBySystemHost(system: string, host: string): string {
  if (host === '') return system;
  const label = meaningfulLabel(host);
  return label !== '' ? label : `${system} ${host}`;
}

/**
 * The node name of a CLIENT/PRODUCER span's peer. Arguments are the attribute values ('' when absent), passed
 * separately so that the per-span walk allocates nothing here.
 */
export function peerName(
  peerService: string,
  dbSystem: string,
  host: string,
  messagingSystem: string,
  destination: string,
): string {
  if (peerService !== '') return peerService;
  if (dbSystem !== '') return nameBySystemHost(dbSystem, host);
  if (messagingSystem !== '') {
    return destination !== '' ? `${messagingSystem} ${destination}` : nameBySystemHost(messagingSystem, host);
  }
  if (host === '') return '';
  if (isIpAddress(host) || !isInClusterHost(host)) return host;
  return meaningfulLabel(host) || host;
}

/** Caches are databases by protocol; they are told apart because their failures look different (misses, evictions). */
const CACHE_SYSTEMS = new Set(['redis', 'memcached', 'valkey', 'hazelcast']);

/** What kind of node the attributes say the peer is. */
export function peerKindOf(peerService: string, dbSystem: string, messagingSystem: string): PeerKind {
  if (dbSystem !== '') return CACHE_SYSTEMS.has(dbSystem) ? 'cache' : 'database';
  if (messagingSystem !== '') return 'queue';
  if (peerService !== '') return 'service';
  return 'external';
}
