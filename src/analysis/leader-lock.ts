// A Redis lease so that exactly one process per deployment runs the singletons (analyzer, trace pairing).
// SET NX PX to take it, a compare-and-extend script to renew it, compare-and-delete to release it.
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export class LeaderLock {
  readonly owner = randomUUID();

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly ttlMs = 15_000,
  ) {}

  /** Takes the lease if free, or renews it if we hold it. True when we hold it afterwards. */
  async acquireOrRenew(): Promise<boolean> {
    const renewed = (await this.redis.eval(RENEW, 1, this.key, this.owner, this.ttlMs)) as number;
    if (renewed === 1) return true;
    return (await this.redis.set(this.key, this.owner, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.owner);
  }
}
