// The call graphs of the microservice systems that public fault-injection studies run on (Online Boutique, Sock Shop,
// Train-Ticket), for playing the incident families on a real system's shape instead of a random layered one. The
// issue's held-out real benchmarks inject faults into these systems: a small, dense graph where one frontend and one
// checkout call most services (Online Boutique), and a deep one where a few orchestrators fan out over dozens of
// services, each with its own database (Train-Ticket). The edges follow each project's published architecture and
// source; node characteristics (latency, error rate, pods) are drawn per seed as for generated topologies.
import type { Rng } from './rng.js';
import { addNode, computeReach, connect, emptyTopology, makeNode, tuneProbabilities, type NodeKind, type Topology } from './topology-generator.js';

export const BENCHMARK_TOPOLOGIES = ['online-boutique', 'sock-shop', 'train-ticket'] as const;
export type BenchmarkTopologyName = (typeof BENCHMARK_TOPOLOGIES)[number];

/** A node of a published architecture: its kind, and for a datastore its `db.system` / `messaging.system`. */
interface ArchitectureNode {
  kind: NodeKind;
  system?: string;
}

interface Architecture {
  namespace: string;
  nodes: Record<string, ArchitectureNode>;
  /** caller → callees. */
  calls: Record<string, readonly string[]>;
}

const service: ArchitectureNode = { kind: 'service' };
const mongo: ArchitectureNode = { kind: 'database', system: 'mongodb' };

/** Online Boutique (GoogleCloudPlatform/microservices-demo): frontend and checkout call nearly everything. */
const ONLINE_BOUTIQUE: Architecture = {
  namespace: 'boutique',
  nodes: {
    frontend: { kind: 'frontend' },
    adservice: service,
    cartservice: service,
    checkoutservice: service,
    currencyservice: service,
    emailservice: service,
    paymentservice: service,
    productcatalogservice: service,
    recommendationservice: service,
    shippingservice: service,
    'redis-cart': { kind: 'cache', system: 'redis' },
  },
  calls: {
    frontend: ['adservice', 'cartservice', 'checkoutservice', 'currencyservice', 'productcatalogservice', 'recommendationservice', 'shippingservice'],
    checkoutservice: ['cartservice', 'currencyservice', 'emailservice', 'paymentservice', 'productcatalogservice', 'shippingservice'],
    recommendationservice: ['productcatalogservice'],
    cartservice: ['redis-cart'],
  },
};

/** Sock Shop (microservices-demo/microservices-demo): orders orchestrates; each service owns its store. */
const SOCK_SHOP: Architecture = {
  namespace: 'sock-shop',
  nodes: {
    'front-end': { kind: 'frontend' },
    carts: service,
    catalogue: service,
    orders: service,
    payment: service,
    shipping: service,
    user: service,
    'carts-db': mongo,
    'catalogue-db': { kind: 'database', system: 'mysql' },
    'orders-db': mongo,
    'user-db': mongo,
    rabbitmq: { kind: 'queue', system: 'rabbitmq' },
  },
  calls: {
    'front-end': ['carts', 'catalogue', 'orders', 'user'],
    orders: ['carts', 'payment', 'shipping', 'user', 'orders-db'],
    carts: ['carts-db'],
    catalogue: ['catalogue-db'],
    user: ['user-db'],
    shipping: ['rabbitmq'],
  },
};

/**
 * Train-Ticket (FudanSELab/train-ticket): the UI gateway calls the entry services; travel, preserve, rebook and the
 * planners fan out over ticket info, routes, trains, seats, orders and stations, and most services own a MongoDB. Its
 * few call cycles (seat ↔ travel) are left out: every generated system is a DAG.
 */
const TRAIN_TICKET: Architecture = {
  namespace: 'train-ticket',
  nodes: {
    'ts-ui-dashboard': { kind: 'frontend' },
    ...Object.fromEntries(
      [
        'auth', 'user', 'verification-code', 'travel', 'travel2', 'ticketinfo', 'basic', 'station', 'train', 'route', 'price', 'seat',
        'config', 'order', 'order-other', 'preserve', 'preserve-other', 'security', 'contacts', 'food', 'food-map', 'assurance',
        'consign', 'consign-price', 'inside-payment', 'payment', 'cancel', 'rebook', 'execute', 'route-plan', 'travel-plan',
        'notification', 'admin-basic-info', 'admin-order', 'admin-route', 'admin-travel', 'admin-user',
      ].map((n) => [`ts-${n}-service`, service]),
    ),
    ...Object.fromEntries(
      [
        'auth', 'user', 'travel', 'travel2', 'station', 'train', 'route', 'price', 'config', 'order', 'order-other', 'security',
        'contacts', 'food', 'food-map', 'assurance', 'consign', 'consign-price', 'inside-payment', 'payment',
      ].map((n) => [`ts-${n}-mongo`, mongo]),
    ),
  },
  calls: {
    'ts-ui-dashboard': [
      'ts-auth-service', 'ts-user-service', 'ts-verification-code-service', 'ts-travel-service', 'ts-travel2-service',
      'ts-preserve-service', 'ts-preserve-other-service', 'ts-contacts-service', 'ts-food-service', 'ts-assurance-service',
      'ts-consign-service', 'ts-cancel-service', 'ts-rebook-service', 'ts-execute-service', 'ts-inside-payment-service',
      'ts-route-plan-service', 'ts-travel-plan-service', 'ts-order-service', 'ts-order-other-service', 'ts-station-service',
      'ts-admin-basic-info-service', 'ts-admin-order-service', 'ts-admin-route-service', 'ts-admin-travel-service',
      'ts-admin-user-service',
    ],
    'ts-auth-service': ['ts-verification-code-service', 'ts-auth-mongo'],
    'ts-user-service': ['ts-auth-service', 'ts-user-mongo'],
    'ts-travel-service': ['ts-ticketinfo-service', 'ts-route-service', 'ts-train-service', 'ts-seat-service', 'ts-travel-mongo'],
    'ts-travel2-service': ['ts-ticketinfo-service', 'ts-route-service', 'ts-train-service', 'ts-seat-service', 'ts-travel2-mongo'],
    'ts-ticketinfo-service': ['ts-basic-service'],
    'ts-basic-service': ['ts-station-service', 'ts-train-service', 'ts-route-service', 'ts-price-service'],
    'ts-seat-service': ['ts-order-service', 'ts-order-other-service', 'ts-config-service'],
    'ts-preserve-service': [
      'ts-security-service', 'ts-contacts-service', 'ts-travel-service', 'ts-station-service', 'ts-seat-service', 'ts-order-service',
      'ts-assurance-service', 'ts-food-service', 'ts-consign-service', 'ts-user-service', 'ts-notification-service',
      'ts-ticketinfo-service',
    ],
    'ts-preserve-other-service': [
      'ts-security-service', 'ts-contacts-service', 'ts-travel2-service', 'ts-station-service', 'ts-seat-service',
      'ts-order-other-service', 'ts-assurance-service', 'ts-food-service', 'ts-consign-service', 'ts-user-service',
      'ts-notification-service', 'ts-ticketinfo-service',
    ],
    'ts-security-service': ['ts-order-service', 'ts-order-other-service', 'ts-security-mongo'],
    'ts-order-service': ['ts-station-service', 'ts-order-mongo'],
    'ts-order-other-service': ['ts-station-service', 'ts-order-other-mongo'],
    'ts-route-service': ['ts-route-mongo'],
    'ts-train-service': ['ts-train-mongo'],
    'ts-station-service': ['ts-station-mongo'],
    'ts-price-service': ['ts-price-mongo'],
    'ts-config-service': ['ts-config-mongo'],
    'ts-contacts-service': ['ts-contacts-mongo'],
    'ts-food-service': ['ts-food-map-service', 'ts-travel-service', 'ts-station-service', 'ts-food-mongo'],
    'ts-food-map-service': ['ts-food-map-mongo'],
    'ts-assurance-service': ['ts-assurance-mongo'],
    'ts-consign-service': ['ts-consign-price-service', 'ts-consign-mongo'],
    'ts-consign-price-service': ['ts-consign-price-mongo'],
    'ts-inside-payment-service': ['ts-order-service', 'ts-order-other-service', 'ts-payment-service', 'ts-inside-payment-mongo'],
    'ts-payment-service': ['ts-payment-mongo'],
    'ts-cancel-service': ['ts-order-service', 'ts-order-other-service', 'ts-inside-payment-service', 'ts-user-service', 'ts-notification-service'],
    'ts-rebook-service': [
      'ts-seat-service', 'ts-travel-service', 'ts-travel2-service', 'ts-order-service', 'ts-order-other-service',
      'ts-inside-payment-service', 'ts-station-service',
    ],
    'ts-execute-service': ['ts-order-service', 'ts-order-other-service'],
    'ts-route-plan-service': ['ts-route-service', 'ts-travel-service', 'ts-travel2-service', 'ts-station-service'],
    'ts-travel-plan-service': [
      'ts-seat-service', 'ts-route-plan-service', 'ts-travel-service', 'ts-travel2-service', 'ts-ticketinfo-service',
      'ts-train-service', 'ts-station-service',
    ],
    'ts-admin-basic-info-service': ['ts-contacts-service', 'ts-station-service', 'ts-train-service', 'ts-config-service', 'ts-price-service'],
    'ts-admin-order-service': ['ts-order-service', 'ts-order-other-service'],
    'ts-admin-route-service': ['ts-route-service'],
    'ts-admin-travel-service': ['ts-travel-service', 'ts-travel2-service'],
    'ts-admin-user-service': ['ts-user-service'],
  },
};

const ARCHITECTURES: Record<BenchmarkTopologyName, Architecture> = {
  'online-boutique': ONLINE_BOUTIQUE,
  'sock-shop': SOCK_SHOP,
  'train-ticket': TRAIN_TICKET,
};

/** Each node's layer: its longest call path from a frontend (callers always sit above their callees). */
function layersOf(arch: Architecture): Map<string, number> {
  const layer = new Map<string, number>();
  const visit = (name: string, depth: number): void => {
    if ((layer.get(name) ?? -1) >= depth) return;
    layer.set(name, depth);
    for (const callee of arch.calls[name] ?? []) visit(callee, depth + 1);
  };
  for (const [name, node] of Object.entries(arch.nodes)) if (node.kind === 'frontend') visit(name, 0);
  return layer;
}

/** The system's call graph, with node characteristics drawn from `rng` as generated topologies have them. */
export function benchmarkTopology(rng: Rng, name: BenchmarkTopologyName): Topology {
  const arch = ARCHITECTURES[name];
  const layers = layersOf(arch);
  const topology = emptyTopology();
  for (const [nodeName, node] of Object.entries(arch.nodes)) {
    const layer = layers.get(nodeName);
    if (layer === undefined) throw new Error(`${name}: ${nodeName} is reached from no frontend`);
    addNode(topology, makeNode(rng, nodeName, node.kind, layer, arch.namespace, node.system ?? null));
  }
  for (const [caller, callees] of Object.entries(arch.calls)) {
    for (const callee of callees) {
      if (!topology.byName.has(callee)) throw new Error(`${name}: ${caller} calls unknown ${callee}`);
      connect(topology, { caller, callee, probability: 1, errorPropagation: 1 });
    }
  }
  for (const f of topology.frontends) topology.frontendShare.set(f, 1 / topology.frontends.length);
  tuneProbabilities(rng, topology);
  computeReach(topology);
  return topology;
}
