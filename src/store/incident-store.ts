// The analyzer's current incidents in Redis, read by /api/incidents and /rca; each save replaces the whole set.
import type { Redis } from 'ioredis';
import type { IncidentReport } from '../model/incident.js';
import { redisKeys, type IncidentKeys } from './keys.js';
import { execTransaction } from './transaction.js';

export class IncidentStore {
  private readonly keys: IncidentKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = redisKeys(prefix).incidents;
  }

  /** Replaces the stored set atomically (MULTI): readers see the old set or the new one, never a mix. */
  async save(reports: readonly IncidentReport[]): Promise<void> {
    const tx = this.redis.multi();
    tx.set(this.keys.all, JSON.stringify(reports));
    tx.del(this.keys.byId);
    if (reports.length > 0) {
      const pairs: string[] = [];
      for (const r of reports) pairs.push(r.id, JSON.stringify(r));
      tx.hset(this.keys.byId, ...pairs);
    }
    await execTransaction(tx);
  }

  /** Every incident in the order the analyzer saved them. */
  async list(): Promise<IncidentReport[]> {
    const raw = await this.redis.get(this.keys.all);
    return raw ? (JSON.parse(raw) as IncidentReport[]) : [];
  }

  async get(id: string): Promise<IncidentReport | null> {
    const raw = await this.redis.hget(this.keys.byId, id);
    return raw ? (JSON.parse(raw) as IncidentReport) : null;
  }
}
