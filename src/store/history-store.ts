// Historical incidents in Redis: one hash, incident id → JSON, written in pipelined batches and read back in chunks.
import type { Redis } from 'ioredis';
import { HistoricalIncidentSchema, type HistoricalIncident } from '../model/history.js';
import { toInputIssues, type InputIssue } from '../ingest/source.js';

/** Fields per HSET, and HSETs per round trip: bounded command sizes (a 100k import is ~100 commands, 10 trips). */
const BATCH = 1000;
const BATCHES_PER_PIPELINE = 10;

export interface HistoryStoreOptions {
  /** Called for a stored entry that no longer validates (hand-edited, older format); it is skipped, not fatal. */
  onInvalid?: (id: string, issues: InputIssue[]) => void;
}

export class HistoryStore {
  private readonly key: string;

  /** `prefix` is the deployment's key prefix (e.g. "rcabot:"); the hash is `<prefix>history:incidents`. */
  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly options: HistoryStoreOptions = {},
  ) {
    this.key = `${prefix}history:incidents`;
  }

  /**
   * Stores incidents by id (an existing id is overwritten, so importing a file twice changes nothing).
   * Returns how many distinct ids were written.
   */
  async import(incidents: ReadonlyArray<HistoricalIncident>): Promise<number> {
    const byId = new Map<string, string>();
    for (const i of incidents) byId.set(i.id, JSON.stringify(i)); // last one wins, as in parseHistory
    const entries = [...byId];
    for (let start = 0; start < entries.length; start += BATCH * BATCHES_PER_PIPELINE) {
      const pipeline = this.redis.pipeline();
      const end = Math.min(entries.length, start + BATCH * BATCHES_PER_PIPELINE);
      for (let b = start; b < end; b += BATCH) {
        pipeline.hset(this.key, Object.fromEntries(entries.slice(b, Math.min(end, b + BATCH))));
      }
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed) throw failed[0];
    }
    return entries.length;
  }

  /** Stores one incident (a resolved incident whose root cause was confirmed), replacing one with the same id. */
  async add(incident: HistoricalIncident): Promise<void> {
    await this.redis.hset(this.key, incident.id, JSON.stringify(incident));
  }

  /** Every stored incident, sorted by id; read with HSCAN so a large history never blocks Redis in one reply. */
  async all(): Promise<HistoricalIncident[]> {
    const byId = new Map<string, HistoricalIncident>(); // HSCAN may return a field twice while the hash rehashes
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.key, cursor, 'COUNT', BATCH);
      cursor = next;
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const id = flat[i]!;
        const incident = this.decode(id, flat[i + 1]!);
        if (incident) byId.set(id, incident);
      }
    } while (cursor !== '0');
    return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async count(): Promise<number> {
    return this.redis.hlen(this.key);
  }

  private decode(id: string, json: string): HistoricalIncident | undefined {
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch (err) {
      this.options.onInvalid?.(id, [{ path: '(root)', message: `not valid JSON: ${(err as Error).message}` }]);
      return undefined;
    }
    const parsed = HistoricalIncidentSchema.safeParse(value);
    if (!parsed.success) {
      this.options.onInvalid?.(id, toInputIssues(parsed.error.issues));
      return undefined;
    }
    return parsed.data;
  }
}
