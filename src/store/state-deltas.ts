// The analyzer's feed: what the ingest workers of every replica stored, read back from capped Redis streams.
//
// Each store writes one stream entry per commit in the same atomic step as the state (alerts: the
// fingerprints stored; changes: their JSON; traces: the persisted delta), so the analyzer, which runs in one
// replica only (decision 003), sees every replica's work in commit order. Alerts are re-read from the state
// hash by fingerprint, so an entry stays small and the analyzer gets the newest state. The streams are
// capped; a reader that fell so far behind that entries it had not read were trimmed is told so (`gap`) and
// must rebuild from the stores. Trimming moves no id marker (XINFO's max-deleted-entry-id counts XDEL only),
// so the reader counts instead: it knows the position of the last entry it read, and XINFO's entries-added
// minus length is how many entries are gone from the front (Redis 7; older Redis cannot tell).
import type { Redis } from 'ioredis';
import type { Alert } from '../model/alert.js';
import type { Change } from '../model/change.js';
import type { TraceDelta } from '../model/trace-aggregate.js';
import { AlertStore } from './alert-store.js';
import { redisKeys } from './keys.js';

/** Where a reader is in one stream: the id of the last entry read and its position (1-based; 0 = none). */
export interface StreamCursor {
  id: string;
  seq: number;
}

export interface DeltaCursor {
  alerts: StreamCursor;
  changes: StreamCursor;
  traces: StreamCursor;
}

export interface StoredDeltas {
  alerts: Alert[];
  changes: Change[];
  traces: TraceDelta[];
  /** Where the next read starts. */
  cursor: DeltaCursor;
  /** Entries after the cursor were trimmed before they were read: rebuild from the stores. */
  gap: boolean;
  /** Entries read, over the three streams. */
  entries: number;
}

type StreamName = keyof DeltaCursor;
type Entry = [id: string, fields: string[]];
const STREAMS: readonly StreamName[] = ['alerts', 'changes', 'traces'];
const RS = '\u001e';

export class StateDeltaReader {
  private readonly streamKeys: Record<StreamName, string>;
  private readonly alertStore: AlertStore;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    const k = redisKeys(prefix);
    this.streamKeys = { alerts: k.alerts.deltas, changes: k.changes.deltas, traces: k.traces.deltas };
    this.alertStore = new AlertStore(redis, prefix);
  }

  /** The newest entries now: a read from this cursor sees only what is committed after this call. */
  async tail(): Promise<DeltaCursor> {
    const at = await Promise.all(
      STREAMS.map(async (s): Promise<StreamCursor> => {
        const info = (await this.redis.xinfo('STREAM', this.streamKeys[s]).catch(() => null)) as unknown[] | null;
        if (info === null) return { id: '0-0', seq: 0 }; // no stream yet
        return { id: fieldOf(info, 'last-generated-id') ?? '0-0', seq: Number(fieldOf(info, 'entries-added') ?? 0) };
      }),
    );
    return { alerts: at[0]!, changes: at[1]!, traces: at[2]! };
  }

  /** Up to `count` entries per stream after `cursor`, with the alerts they name read from the state hash. */
  async read(cursor: DeltaCursor, count = 200): Promise<StoredDeltas> {
    // Per stream, the trim check and the read in one MULTI: nothing can be trimmed unseen between them.
    // (One MULTI per stream: the streams live in different hash slots on Redis Cluster.)
    const results = await Promise.all(
      STREAMS.map(async (s) => {
        const key = this.streamKeys[s];
        const replies = (await this.redis.multi().xinfo('STREAM', key).xrange(key, `(${cursor[s].id}`, '+', 'COUNT', count).exec()) ?? [];
        const [infoErr, info] = replies[0] ?? [null, null];
        const [rangeErr, range] = replies[1] ?? [null, []];
        if (rangeErr) throw rangeErr;
        // XINFO fails on a stream that does not exist yet: nothing was ever written, so nothing was trimmed.
        const added = infoErr ? undefined : fieldOf(info as unknown[], 'entries-added');
        const trimmed = added === undefined ? 0 : Number(added) - Number(fieldOf(info as unknown[], 'length'));
        return { gap: trimmed > cursor[s].seq, entries: range as Entry[] };
      }),
    );
    const next: DeltaCursor = { alerts: { ...cursor.alerts }, changes: { ...cursor.changes }, traces: { ...cursor.traces } };
    let gap = false;
    let entries = 0;
    const fingerprints = new Set<string>();
    const changes: Change[] = [];
    const traces: TraceDelta[] = [];
    STREAMS.forEach((s, i) => {
      const r = results[i]!;
      gap ||= r.gap;
      entries += r.entries.length;
      for (const [id, fields] of r.entries) {
        next[s] = { id, seq: next[s].seq + 1 };
        const value = fields[1] ?? '';
        if (s === 'alerts') for (const fp of value.split(RS)) fingerprints.add(fp);
        else if (s === 'changes') changes.push(...(JSON.parse(value) as Change[]));
        else traces.push(JSON.parse(value) as TraceDelta);
      }
    });
    const alerts = fingerprints.size > 0 ? await this.alertStore.get([...fingerprints]) : [];
    return { alerts, changes, traces, cursor: next, gap, entries };
  }
}

/** A field of XINFO STREAM's flat reply. */
function fieldOf(reply: unknown[], name: string): string | undefined {
  for (let i = 0; i + 1 < reply.length; i += 2) if (reply[i] === name) return String(reply[i + 1]);
  return undefined;
}

/** Orders stream ids "ms-seq" numerically. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am !== bm ? am - bm : as - bs;
}
