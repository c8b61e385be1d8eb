// Group commit for the alerts worker: jobs processed concurrently share one Redis round trip.
//
// Each job hands its alerts/changes to submit(); while maxInFlight commits are running, later submissions wait and
// then go together in the next commit. Under load batches grow by themselves (up to maxAlerts), when idle a
// job is committed at once: throughput without a latency timer. A failed commit rejects every job in it,
// so BullMQ retries them; the Lua dedup makes the retry harmless if the commit did land.
import type { Alert } from '../model/alert.js';
import type { Change } from '../model/change.js';
import { concatEncodedAlerts, decodeEncodedAlerts, type AlertStore, type EncodedAlerts } from '../store/alert-store.js';
import type { ChangeStore } from '../store/change-store.js';

export interface CommitResult {
  fresh: Alert[];
  freshChanges: Change[];
  /** Alerts taken into this commit, duplicates included. */
  processed: number;
  duplicates: number;
}

interface Entry {
  alerts: EncodedAlerts;
  changes: readonly Change[];
  resolve(): void;
  reject(err: unknown): void;
}

export class AlertBatcher {
  private pending: Entry[] = [];
  private inFlight = 0;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    private readonly alertStore: AlertStore,
    private readonly changeStore: ChangeStore,
    /** Called after each successful commit, before the jobs in it resolve; must not throw. */
    private readonly onCommit: (result: CommitResult) => void,
    /** Upper bound of alerts per commit (bounds how long one Lua script holds Redis). */
    private readonly maxAlerts = 5000,
    /**
     * Commits allowed in flight at once. More than one keeps Node busy (fetching, parsing, encoding the next
     * batch) while Redis runs the previous script; scripts on one connection still run in send order, and
     * each is atomic, so dedup stays exact.
     */
    private readonly maxInFlight = 2,
  ) {}

  /**
   * Resolves once these alerts and changes are committed to Redis. Alerts come encoded (encodeAlerts, done
   * once at the route) so they reach Redis without another JSON.stringify; only fresh ones are parsed back.
   */
  submit(alerts: EncodedAlerts, changes: readonly Change[]): Promise<void> {
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
    while (i < this.pending.length && (i === 0 || n + this.pending[i]!.alerts.count <= this.maxAlerts)) {
      n += this.pending[i]!.alerts.count;
      i++;
    }
    return this.pending.splice(0, i);
  }

  private async commit(batch: Entry[]): Promise<void> {
    const alerts = concatEncodedAlerts(batch.map((e) => e.alerts));
    const changes: Change[] = [];
    for (const e of batch) for (const c of e.changes) changes.push(c);
    let result: CommitResult;
    try {
      // Both scripts go out back to back on one connection: one round trip of latency.
      const [positions, c] = await Promise.all([this.alertStore.applyEncoded(alerts), this.changeStore.applyChanges(changes)]);
      const fresh: Alert[] = decodeEncodedAlerts(alerts, positions);
      result = { fresh, freshChanges: c.fresh, processed: alerts.count, duplicates: alerts.count - fresh.length };
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
