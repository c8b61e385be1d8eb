// Group commit for the alerts worker: jobs processed concurrently share one Redis round trip.
//
// Each job hands its alerts/changes to submit(); while maxInFlight commits are running, later submissions wait and
// then go together in the next commit. Under load batches grow by themselves (up to maxAlerts), when idle a
// job is committed at once: throughput without a latency timer. A failed commit rejects every job in it,
// so BullMQ retries them; the Lua dedup makes the retry harmless if the commit did land.
import type { Alert } from '../model/alert.js';
import type { Change } from '../model/change.js';
import type { AlertStore } from '../store/alert-store.js';
import type { ChangeStore } from '../store/change-store.js';

export interface CommitResult {
  fresh: Alert[];
  freshChanges: Change[];
  /** Alerts taken into this commit, duplicates included. */
  processed: number;
  duplicates: number;
}

/** A queued batch of alerts (AlertStore.writeBatch): its key and how many alerts it holds. */
export interface BatchRef {
  key: string;
  count: number;
}

interface Entry {
  alerts: BatchRef | null;
  changes: readonly Change[];
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Alerts per commit, and per coalesced job (alert-job-coalescer.ts), so that a commit of one job is bounded too. It
 * bounds how long one dedup script holds Redis (5–6 µs an alert alone, more while Redis shares its cores), and every
 * route's enqueue waits behind it: 1,500 keeps a script under ~10 ms alone; 5,000 let one hold Redis 50–65 ms,
 * doubled the ingest bench's p99 acknowledgement, and under a backlog (larger jobs) fed the backlog
 * (docs/benchmarks.md).
 */
export const MAX_ALERTS_PER_COMMIT = 1500;

export class AlertBatcher {
  private pending: Entry[] = [];
  private inFlight = 0;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    private readonly alertStore: AlertStore,
    private readonly changeStore: ChangeStore,
    /** Called after each successful commit, before the jobs in it resolve; must not throw. */
    private readonly onCommit: (result: CommitResult) => void,
    /** Whether commits parse the fresh alerts back for onCommit (someone listens to the delta). */
    private readonly withFresh: boolean,
    /** Upper bound of alerts per commit (a single larger job still goes as one commit). */
    private readonly maxAlerts = MAX_ALERTS_PER_COMMIT,
    /**
     * Commits allowed in flight at once. More than one keeps Node busy (fetching, parsing, encoding the next
     * batch) while Redis runs the previous script; scripts on one connection still run in send order, and
     * each is atomic, so dedup stays exact.
     */
    private readonly maxInFlight = 2,
  ) {}

  /**
   * Resolves once these alerts and changes are committed to Redis. Alerts come as a reference to the batch
   * the route stored (encoded once there); the script reads it inside Redis, and only fresh alerts come back.
   */
  submit(alerts: BatchRef | null, changes: readonly Change[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ alerts, changes, resolve, reject });
      this.pump();
    });
  }

  /** Resolves when nothing is pending or in flight. */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.pending.length > 0) {
      const batch = this.take();
      this.inFlight++;
      void this.commit(batch).finally(() => {
        this.inFlight--;
        this.pump();
        if (this.inFlight === 0 && this.pending.length === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }

  private take(): Entry[] {
    let n = 0;
    let i = 0;
    while (i < this.pending.length && (i === 0 || n + countOf(this.pending[i]!) <= this.maxAlerts)) {
      n += countOf(this.pending[i]!);
      i++;
    }
    return this.pending.splice(0, i);
  }

  private async commit(batch: Entry[]): Promise<void> {
    const batchKeys: string[] = [];
    const changes: Change[] = [];
    for (const e of batch) {
      if (e.alerts) batchKeys.push(e.alerts.key);
      for (const c of e.changes) changes.push(c);
    }
    let result: CommitResult;
    try {
      // Both scripts go out back to back on one connection: one round trip of latency.
      const [a, c] = await Promise.all([
        this.alertStore.applyBatches(batchKeys, [], this.withFresh),
        this.changeStore.applyChanges(changes),
      ]);
      const duplicates = a.processed - a.positions.length;
      result = { fresh: a.fresh, freshChanges: c.fresh, processed: a.processed, duplicates };
    } catch (err) {
      for (const e of batch) e.reject(err);
      return;
    }
    try {
      this.onCommit(result);
    } finally {
      for (const e of batch) e.resolve();
    }
  }
}

function countOf(entry: Entry): number {
  return entry.alerts?.count ?? 0;
}
