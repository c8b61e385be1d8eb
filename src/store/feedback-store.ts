// Root-cause feedback from Slack: who confirmed or rejected which suspect, and when. The confirmed cause of a
// resolved incident becomes a historical incident (once), so the next similar incident ranks better.
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { normalizePrefix } from './keys.js';

export const ConfirmationSchema = z.object({
  service: z.string().min(1),
  userId: z.string().min(1),
  at: z.number(),
  /** How the cause was named: the Confirm button on a suspect, the select menu, or typed by hand. */
  via: z.enum(['confirm', 'select', 'typed']),
});
export type RootCauseConfirmation = z.infer<typeof ConfirmationSchema>;

export const FeedbackRecordSchema = z.object({
  kind: z.enum(['confirmed', 'rejected']),
  incidentId: z.string().min(1),
  service: z.string().min(1),
  userId: z.string().min(1),
  at: z.number(),
  via: z.enum(['confirm', 'select', 'typed', 'not-it']),
});
export type FeedbackRecord = z.infer<typeof FeedbackRecordSchema>;

/** The audit list of one incident is capped: feedback is a handful of clicks, not a stream. */
const MAX_RECORDS = 200;

export class FeedbackStore {
  private readonly p: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.p = `${normalizePrefix(prefix)}{feedback}:`;
  }

  private logKey(incidentId: string): string {
    return `${this.p}log:${incidentId}`;
  }

  /** Records a confirmed root cause (the latest confirmation wins) and appends it to the incident's log. */
  async confirm(incidentId: string, c: RootCauseConfirmation): Promise<void> {
    const record: FeedbackRecord = { kind: 'confirmed', incidentId, service: c.service, userId: c.userId, at: c.at, via: c.via };
    const tx = this.redis.multi();
    tx.hset(`${this.p}confirmed`, incidentId, JSON.stringify(ConfirmationSchema.parse(c)));
    tx.rpush(this.logKey(incidentId), JSON.stringify(record));
    tx.ltrim(this.logKey(incidentId), -MAX_RECORDS, -1);
    await tx.exec();
  }

  /** Records "Not it" on a suspect; a confirmation of that same service is withdrawn. */
  async reject(incidentId: string, r: { service: string; userId: string; at: number }): Promise<void> {
    const current = await this.confirmedRootCause(incidentId);
    const record: FeedbackRecord = { kind: 'rejected', incidentId, service: r.service, userId: r.userId, at: r.at, via: 'not-it' };
    const tx = this.redis.multi();
    if (current?.service === r.service) tx.hdel(`${this.p}confirmed`, incidentId);
    tx.rpush(this.logKey(incidentId), JSON.stringify(record));
    tx.ltrim(this.logKey(incidentId), -MAX_RECORDS, -1);
    await tx.exec();
  }

  async confirmedRootCause(incidentId: string): Promise<RootCauseConfirmation | null> {
    const raw = await this.redis.hget(`${this.p}confirmed`, incidentId);
    if (raw === null) return null;
    const parsed = ConfirmationSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  /** Every record of one incident, oldest first. */
  async records(incidentId: string): Promise<FeedbackRecord[]> {
    const raw = await this.redis.lrange(this.logKey(incidentId), 0, -1);
    return raw.map((r) => FeedbackRecordSchema.safeParse(JSON.parse(r))).flatMap((p) => (p.success ? [p.data] : []));
  }

  /** Services rejected with "Not it" (and not confirmed since). */
  async rejectedServices(incidentId: string): Promise<string[]> {
    const state = new Map<string, boolean>();
    for (const r of await this.records(incidentId)) state.set(r.service, r.kind === 'rejected');
    return [...state].filter(([, rejected]) => rejected).map(([s]) => s);
  }

  /** True exactly once per incident: whoever gets true adds it to history (HSETNX, safe under races). */
  async claimHistoryEntry(incidentId: string, at: number): Promise<boolean> {
    return (await this.redis.hsetnx(`${this.p}historized`, incidentId, String(at))) === 1;
  }
}
