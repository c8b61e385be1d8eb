// Coalesces the alert jobs of concurrent requests into one BullMQ job: the enqueue side of group commit.
//
// Under a storm each request used to cost one BullMQ job: an add script, a fetch, a completion script and
// the worker's per-job bookkeeping, ~8 µs per alert in Node alone at 50 alerts a request. While one add is
// in flight, later requests of the same source wait and then go together in the next job (up to maxAlerts),
// so job size grows with load and an idle server still adds each request at once (no latency timer).
// Every request is acknowledged only once the job holding it is in Redis; a failed add fails them all
// (503, the senders retry, and the alert dedup absorbs a retry of an add that did land).
import type { EventType } from '../model/event.js';
import { concatEncodedAlerts, type EncodedAlerts } from '../store/alert-store.js';
import { MAX_ALERTS_PER_COMMIT } from './alert-batcher.js';

/** The alerts of one request (or of several, once merged), before they are queued. */
export interface PendingAlertsJob {
  type: EventType;
  traceContext?: Record<string, string>;
  receivedAt: number;
  alerts: EncodedAlerts;
}

interface Waiting {
  job: PendingAlertsJob;
  resolve(): void;
  reject(err: unknown): void;
}

interface Lane {
  waiting: Waiting[];
  busy: boolean;
}

export class AlertJobCoalescer {
  private readonly lanes = new Map<EventType, Lane>();

  constructor(
    /** Adds one job to the queue; resolves once Redis has it. */
    private readonly add: (job: PendingAlertsJob) => Promise<void>,
    /** Upper bound of alerts per coalesced job (a single larger request still goes as one job). */
    private readonly maxAlerts = MAX_ALERTS_PER_COMMIT,
  ) {}

  /** Resolves once a job holding these alerts is in Redis. */
  submit(job: PendingAlertsJob): Promise<void> {
    let lane = this.lanes.get(job.type);
    if (!lane) this.lanes.set(job.type, (lane = { waiting: [], busy: false }));
    const l = lane;
    return new Promise<void>((resolve, reject) => {
      l.waiting.push({ job, resolve, reject });
      if (!l.busy) void this.drain(l);
    });
  }

  /** Adds the lane's waiting requests, one coalesced job at a time, until none are left. */
  private async drain(lane: Lane): Promise<void> {
    lane.busy = true;
    while (lane.waiting.length > 0) {
      const group = this.take(lane);
      try {
        await this.add(merge(group.map((w) => w.job)));
        for (const w of group) w.resolve();
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
    lane.busy = false;
  }

  private take(lane: Lane): Waiting[] {
    let n = 0;
    let i = 0;
    while (i < lane.waiting.length && (i === 0 || n + lane.waiting[i]!.job.alerts.count <= this.maxAlerts)) {
      n += lane.waiting[i]!.job.alerts.count;
      i++;
    }
    return lane.waiting.splice(0, i);
  }
}

/**
 * One job of several requests' alerts, in arrival order. The job keeps the first request's trace context
 * and receipt time (the alerts carry their own times; the worker's span continues the first trace).
 */
function merge(jobs: PendingAlertsJob[]): PendingAlertsJob {
  if (jobs.length === 1) return jobs[0]!;
  return { ...jobs[0]!, alerts: concatEncodedAlerts(jobs.map((j) => j.alerts)) };
}
