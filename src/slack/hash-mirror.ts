// Mirrors a map of JSON values into one Redis hash, writing only the entries that changed since the last
// write (pipelined) and deleting the ones that disappeared: the analyzer may call it after every analysis.
import type { Redis } from 'ioredis';

export class HashMirror {
  /** Last JSON written per field; empty after a restart, so the first write rewrites everything once. */
  private readonly written = new Map<string, string>();
  private primed = false;

  constructor(
    private readonly redis: Redis,
    readonly key: string,
  ) {}

  /** Returns how many fields were written or deleted. */
  async write(entries: Iterable<[string, unknown]>): Promise<number> {
    const next = new Map<string, string>();
    for (const [field, value] of entries) next.set(field, JSON.stringify(value));
    if (!this.primed) {
      // Fields left by an earlier process that no longer exist must go too.
      for (const field of await this.redis.hkeys(this.key)) if (!this.written.has(field)) this.written.set(field, '');
      this.primed = true;
    }
    const changed: string[] = [];
    for (const [field, json] of next) if (this.written.get(field) !== json) changed.push(field, json);
    const removed = [...this.written.keys()].filter((f) => !next.has(f));
    if (changed.length === 0 && removed.length === 0) return 0;
    const pipeline = this.redis.pipeline();
    for (let i = 0; i < changed.length; i += 2000) pipeline.hset(this.key, ...changed.slice(i, i + 2000));
    for (let i = 0; i < removed.length; i += 1000) pipeline.hdel(this.key, ...removed.slice(i, i + 1000));
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) {
      this.written.clear(); // unknown state: rewrite everything next time
      this.primed = false;
      throw failed[0];
    }
    for (let i = 0; i < changed.length; i += 2) this.written.set(changed[i]!, changed[i + 1]!);
    for (const f of removed) this.written.delete(f);
    return changed.length / 2 + removed.length;
  }

  async get<T>(field: string): Promise<T | null> {
    const raw = await this.redis.hget(this.key, field);
    return raw === null ? null : (JSON.parse(raw) as T);
  }

  async fields(): Promise<string[]> {
    return (await this.redis.hkeys(this.key)).sort();
  }
}
