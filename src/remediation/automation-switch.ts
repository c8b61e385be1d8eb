// The automation kill switch: while paused, no approval completes and no queued execution starts.
import type { Redis } from 'ioredis';
import type { AuditEntry } from './audit-log.js';
import { encodeAuditEntry } from './audit-outbox.js';
import { remediationKeys } from './proposal-store.js';

export interface PauseState {
  paused: boolean;
  by?: string;
  reason?: string;
  at?: number;
}

export class AutomationSwitch {
  private readonly key: string;
  private readonly outbox: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    const k = remediationKeys(prefix);
    this.key = k.paused;
    this.outbox = k.auditOutbox;
  }

  /** Pauses, writing `audit` to the audit outbox in the same transaction. */
  async pause(by: string, reason: string, now: number, audit: AuditEntry): Promise<void> {
    await this.exec(this.redis.multi().set(this.key, JSON.stringify({ by, reason, at: now })), audit);
  }

  async resume(audit: AuditEntry): Promise<void> {
    await this.exec(this.redis.multi().del(this.key), audit);
  }

  async state(): Promise<PauseState> {
    const v = await this.redis.get(this.key);
    if (v === null) return { paused: false };
    const parsed = JSON.parse(v) as { by?: string; reason?: string; at?: number };
    return { paused: true, ...parsed };
  }

  private async exec(multi: ReturnType<Redis['multi']>, audit: AuditEntry): Promise<void> {
    const results = await multi.xadd(this.outbox, '*', 'entry', encodeAuditEntry(audit)).exec();
    const failed = results?.find(([err]) => err !== null);
    if (!results || failed) throw new Error(`automation switch transaction failed: ${failed?.[0]?.message ?? 'aborted'}`);
  }
}
