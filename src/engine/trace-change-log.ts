// The engine's record of trace changes, read by its caches (Engine.rankingStillHolds, the relation memo). Pure.

/**
 * What each trace change touched: the earliest bucket it wrote and the horizon it pruned before. Entries are few
 * (one per trace flush); past MAX_ENTRIES the oldest are folded together, which can only make `untouchedSince`
 * answer more cautiously (an earlier bucket, a later horizon), never wrongly.
 */
export class TraceChangeLog {
  private static readonly MAX_ENTRIES = 512;
  private entries: Array<{ version: number; earliestBucket: number; prunedBefore: number }> = [];

  record(version: number, earliestBucket: number, prunedBefore: number): void {
    this.entries.push({ version, earliestBucket, prunedBefore });
    if (this.entries.length > TraceChangeLog.MAX_ENTRIES) {
      const [a, b] = this.entries;
      this.entries.splice(0, 2, { version: b!.version, earliestBucket: Math.min(a!.earliestBucket, b!.earliestBucket), prunedBefore: Math.max(a!.prunedBefore, b!.prunedBefore) });
    }
  }

  /**
   * Whether no trace change after `version` touched [from, to): no bucket at or after `from` was written before
   * `to`, and no prune reached past `from`. Folded entries count from their later version: more cautious, never wrong.
   */
  untouchedSince(version: number, from: number, to: number): boolean {
    for (let i = this.entries.length - 1; i >= 0 && this.entries[i]!.version > version; i--) {
      const e = this.entries[i]!;
      if (e.earliestBucket < to || e.prunedBefore > from) return false;
    }
    return true;
  }
}
