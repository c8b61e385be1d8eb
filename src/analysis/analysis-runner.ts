// Runs the analyzer where it belongs: in the one process per deployment that holds the Redis lease.
// Others stand by and take over within a lease period if the holder dies.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { StateDeltaReader, type DeltaCursor } from '../store/state-deltas.js';
import { Analyzer, analyzerKeys, type AnalyzerOptions } from './analyzer.js';
import { LeaderLock } from './leader-lock.js';

export interface AnalysisRunnerOptions extends Omit<AnalyzerOptions, 'redis' | 'prefix' | 'logger'> {
  redis: Redis;
  prefix: string;
  logger: Logger;
  /** How often the lease is renewed (and, when not held, tried). */
  leaseRenewMs?: number;
  /** How often the leader reads what the ingest workers of every replica committed. Default 250 ms. */
  deltaPollMs?: number;
  /** Told when this process becomes (true) or stops being (false) the analyzing one: other singletons follow. */
  onLeadership?: (leader: boolean) => void;
}

export class AnalysisRunner {
  readonly analyzer: Analyzer;
  private readonly lock: LeaderLock;
  private leader = false;
  private timer: NodeJS.Timeout | null = null;
  private poll: NodeJS.Timeout | null = null;
  private polling = false;
  private cursor: DeltaCursor | null = null;
  private readonly deltas: StateDeltaReader;
  private stopped = false;

  constructor(private readonly o: AnalysisRunnerOptions) {
    this.analyzer = new Analyzer(o);
    const renew = o.leaseRenewMs ?? 5_000;
    this.lock = new LeaderLock(o.redis, analyzerKeys(o.prefix).lock, renew * 3);
    this.deltas = new StateDeltaReader(o.redis, o.prefix);
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** Starts trying for the lease; resolves after the first attempt. */
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.o.leaseRenewMs ?? 5_000);
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
        await this.rebuild();
      } catch (err) {
        this.o.logger.error({ err }, 'analyzer rebuild failed; retrying at the next lease tick');
        this.leader = false;
        await this.lock.release().catch(() => undefined);
        return;
      }
      this.o.onLeadership?.(true);
      this.poll = setInterval(() => void this.catchUp(), this.o.deltaPollMs ?? 250);
    } else if (!holds && this.leader) {
      this.leader = false;
      if (this.poll) clearInterval(this.poll);
      this.poll = null;
      this.o.logger.warn('analyzer lease lost: standing by');
      this.o.onLeadership?.(false);
    }
  }

  /**
   * Rebuilds from the stores and places the delta cursor so that nothing committed meanwhile is missed or
   * counted twice. Alerts and changes are idempotent: read them from before the rebuild (what it also saw is
   * skipped). Trace deltas add up: read them from after it, so a flush committed during the rebuild is lost
   * rather than counted twice (the design accepts losing seconds of trace aggregates).
   */
  private async rebuild(): Promise<void> {
    const before = await this.deltas.tail();
    await this.analyzer.rebuild();
    const after = await this.deltas.tail();
    this.cursor = { alerts: before.alerts, changes: before.changes, traces: after.traces };
  }

  /**
   * Folds in what was committed since the last read; rebuilds if the capped streams dropped unread entries.
   * Runs every `deltaPollMs` while leading; resolves once this round is done (a call during a round is a no-op).
   */
  async catchUp(): Promise<void> {
    if (this.polling || !this.leader || this.cursor === null) return;
    this.polling = true;
    try {
      // A few pages per tick at most, so a backlog is worked off without holding the event loop's turn.
      let more = true;
      for (let page = 0; page < 10 && more && this.leader && !this.stopped; page++) {
        const d = await this.deltas.read(this.cursor);
        if (d.gap) {
          this.o.logger.warn('analyzer fell behind the capped delta streams: rebuilding from Redis');
          await this.rebuild();
          return;
        }
        this.cursor = d.cursor;
        this.analyzer.apply(d);
        more = d.entries > 0;
      }
    } catch (err) {
      this.o.logger.warn({ err }, 'reading committed state deltas failed; retrying');
    } finally {
      this.polling = false;
    }
  }
}
