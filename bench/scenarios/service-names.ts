// Name pools for generated services and datastores, so generated topologies read like real ones.
import type { Rng } from './rng.js';

const DOMAINS = [
  'checkout', 'cart', 'payments', 'orders', 'inventory', 'catalog', 'search', 'recommendations', 'shipping',
  'users', 'accounts', 'auth', 'notifications', 'email', 'pricing', 'promotions', 'reviews', 'ratings',
  'billing', 'invoices', 'ledger', 'fraud', 'risk', 'ads', 'analytics', 'media', 'images', 'geo', 'tax',
  'currency', 'wishlist', 'loyalty', 'coupons', 'subscriptions', 'profiles', 'sessions', 'feed', 'comments',
  'chat', 'messages', 'delivery', 'tracking', 'returns', 'warehouse', 'fulfillment', 'quotes', 'listings',
  'bookings', 'availability', 'rates', 'payouts', 'identity', 'audit', 'reporting', 'exports', 'scheduler',
  'workflow', 'flags', 'routing', 'dispatch', 'labels', 'documents', 'thumbnails', 'translation', 'content',
  'support', 'tickets', 'stock', 'merchants', 'sellers', 'offers', 'bundles', 'gifts', 'refunds', 'disputes',
  'kyc', 'consent', 'preferences', 'devices', 'carriers', 'returns-portal', 'storefront', 'basket', 'receipts',
] as const;

const SERVICE_SUFFIXES = ['', '', '', '-api', '-service', '-worker', '-svc', '-engine', '-sync', '-processor', '-gateway', '-v2', '-reader', '-writer'] as const;

const FRONTENDS = ['frontend', 'web-frontend', 'mobile-bff', 'api-gateway', 'storefront-web', 'partner-api', 'admin-portal'] as const;

export type DatastoreKind = 'database' | 'cache' | 'queue';

export interface DatastoreFlavour {
  kind: DatastoreKind;
  /** `db.system` / `messaging.system` value. */
  system: string;
  suffix: string;
}

export const DATASTORE_FLAVOURS: readonly DatastoreFlavour[] = [
  { kind: 'database', system: 'postgresql', suffix: '-db' },
  { kind: 'database', system: 'postgresql', suffix: '-postgres' },
  { kind: 'database', system: 'mysql', suffix: '-mysql' },
  { kind: 'database', system: 'mongodb', suffix: '-mongo' },
  { kind: 'cache', system: 'redis', suffix: '-redis' },
  { kind: 'cache', system: 'redis', suffix: '-cache' },
  { kind: 'cache', system: 'memcached', suffix: '-memcached' },
  { kind: 'queue', system: 'kafka', suffix: '-events' },
  { kind: 'queue', system: 'rabbitmq', suffix: '-queue' },
];

/** Hands out unique names; falls back to numbered names once the pools run dry. */
export class NamePool {
  private readonly used = new Set<string>();

  constructor(private readonly rng: Rng) {}

  take(candidate: string): string {
    let name = candidate;
    for (let n = 2; this.used.has(name); n++) name = `${candidate}-${n}`;
    this.used.add(name);
    return name;
  }

  frontend(): string {
    const free = FRONTENDS.filter((f) => !this.used.has(f));
    return this.take(free.length > 0 ? free[0]! : 'frontend');
  }

  service(): string {
    for (let attempt = 0; attempt < 20; attempt++) {
      const base = this.rng.pick(DOMAINS);
      const second = this.rng.chance(0.25) ? `-${this.rng.pick(DOMAINS)}` : '';
      const name = `${base}${second}${this.rng.pick(SERVICE_SUFFIXES)}`;
      if (!this.used.has(name)) return this.take(name);
    }
    return this.take(`${this.rng.pick(DOMAINS)}-svc`);
  }

  datastore(owner: string, flavour: DatastoreFlavour): string {
    const stem = owner.replace(/-(api|service|worker|svc|engine|sync|processor|gateway|v2|reader|writer)$/, '');
    return this.take(`${stem}${flavour.suffix}`);
  }

  sharedDatastore(flavour: DatastoreFlavour): string {
    const stems = flavour.kind === 'queue' ? ['events', 'jobs', 'outbox', 'audit-log', 'orders-stream'] : flavour.kind === 'cache' ? ['session', 'catalog', 'rate-limit', 'feature', 'price', 'profile'] : ['core', 'shared', 'accounts', 'main'];
    return this.take(`${this.rng.pick(stems)}${flavour.suffix}`);
  }
}
