// Runs the analyzer where it belongs: in the one process per deployment that holds the Redis lease.
// Others stand by and take over within a lease period if the holder dies.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Analyzer, analyzerKeys, type AnalyzerOptions, type StateDelta } from './analyzer.js';
import { LeaderLock } from './leader-lock.js';

export interface AnalysisRunnerOptions extends Omit<AnalyzerOptions, 'redis' | 'prefix' | 'logger'> {
  redis: Redis;
  prefix: string;
  logger: Logger;
  /** How often the lease is renewed (and, when not held, tried). */
  leaseRenewMs?: number;
  /**
   * How often the leader re-reads alerts and changes other replicas' workers stored (0, the default: never).
   * The read takes every open alert in one Redis call, so it is off unless replicas run their own workers;
   * the leader's own workers hand their deltas over directly.
   */
  storePollMs?: number;
  /** Told when this process becomes (true) or stops being (false) the analyzing one: other singletons follow. */
  onLeadership?: (leader: boolean) => void;
}

export class AnalysisRunner {
  readonly analyzer: Analyzer;
  private readonly lock: LeaderLock;
  private leader = false;
  private timer: NodeJS.Timeout | null = null;
  private poll: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly o: AnalysisRunnerOptions) {
    this.analyzer = new Analyzer(o);
    const renew = o.leaseRenewMs ?? 5_000;
    this.lock = new LeaderLock(o.redis, analyzerKeys(o.prefix).lock, renew * 3);
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** Starts trying for the lease; resolves after the first attempt. */
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.o.leaseRenewMs ?? 5_000);
  }

  /** Worker deltas: only the leader's engine folds them; a standby rebuilds from Redis when it takes over. */
  apply(delta: StateDelta): void {
    if (this.leader) this.analyzer.apply(delta);
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.poll) clearInterval(this.poll);
    await this.analyzer.close();
    if (this.leader) await this.lock.release().catch(() => undefined);
    this.leader = false;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let holds = false;
    try {
      holds = await this.lock.acquireOrRenew();
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'analyzer lease check failed (Redis unreachable?)');
    }
    if (holds && !this.leader) {
      this.leader = true;
      this.o.logger.info('analyzer lease taken: this process analyses');
      try {
        await this.analyzer.rebuild();
      } catch (err) {
        this.o.logger.error({ err }, 'analyzer rebuild failed; retrying at the next lease tick');
        this.leader = false;
        await this.lock.release().catch(() => undefined);
        return;
      }
      this.o.onLeadership?.(true);
      const every = this.o.storePollMs ?? 0;
      if (every > 0) {
        this.poll = setInterval(() => {
          this.analyzer.refreshFromStore(every * 3).catch((err: unknown) => this.o.logger.warn({ err }, 'analyzer store refresh failed'));
        }, every);
      }
    } else if (!holds && this.leader) {
      this.leader = false;
      if (this.poll) clearInterval(this.poll);
      this.poll = null;
      this.o.logger.warn('analyzer lease lost: standing by');
      this.o.onLeadership?.(false);
    }
  }
}
