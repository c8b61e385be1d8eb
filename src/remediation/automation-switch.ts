// The automation kill switch: while paused, no approval completes and no queued execution starts.
import type { Redis } from 'ioredis';
import { remediationKeys } from './proposal-store.js';

export interface PauseState {
  paused: boolean;
  by?: string;
  reason?: string;
  at?: number;
}

export class AutomationSwitch {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = remediationKeys(prefix).paused;
  }

  async pause(by: string, reason: string, now: number): Promise<void> {
    await this.redis.set(this.key, JSON.stringify({ by, reason, at: now }));
  }

  async resume(): Promise<void> {
    await this.redis.del(this.key);
  }

  async state(): Promise<PauseState> {
    const v = await this.redis.get(this.key);
    if (v === null) return { paused: false };
    const parsed = JSON.parse(v) as { by?: string; reason?: string; at?: number };
    return { paused: true, ...parsed };
  }
}
