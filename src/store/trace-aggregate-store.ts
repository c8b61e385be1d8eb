// Trace aggregates in Redis: one hash per time bucket, counters HINCRBY'd per flush, buckets expire after retention.
//
// A flush is one MULTI (one round trip, all or nothing), so a crashed worker never leaves half a delta behind.
// Field names: "e␟caller␟callee␟stat" for edges, "s␟service␟stat" for services, where stat is c (calls),
// x (errors), l (latency sum, float), w (an edge's client-timed latency sum, float), o (origin errors), h<i>
// (histogram bucket i), and "m" on an edge holds its metadata "calleeKind␟0|1" (overwritten: the latest view of
// whether the callee is instrumented wins). A service's spans per service.version: "s␟service␟v␟version␟stat", stat
// c, x or l; an edge's calls per its caller's service.version: "e␟caller␟callee␟v␟version␟stat", the same stats.
import type { Redis } from 'ioredis';
import {
  addVersionTotals,
  LATENCY_BUCKETS,
  emptyCallStats,
  type CallStats,
  type EdgeAggregate,
  type ServiceAggregate,
  type TraceDelta,
  type VersionTotals,
} from '../model/trace-aggregate.js';
import type { PeerKind } from '../model/span.js';
import { redisKeys, type TraceKeys } from './keys.js';
import { execTransaction, type Transaction } from './transaction.js';

const SEP = '\u001f';
const PEER_KINDS: ReadonlySet<string> = new Set<PeerKind>(['service', 'database', 'cache', 'queue', 'external']);

/** Entries kept in the trace deltas stream (about: trimmed with `~`). */
const TRACE_DELTAS_KEPT = 100;

/** Default bucket retention: what the analyzer can rebuild at start. */
export const DEFAULT_TRACE_RETENTION_MS = 6 * 60 * 60 * 1000;
/** A bucket written late still lives at least this long, so a clock skew does not drop fresh data at once. */
const MIN_TTL_MS = 60_000;

export interface TraceAggregateStoreOptions {
  retentionMs?: number;
}

export class TraceAggregateStore {
  private readonly keys: TraceKeys;
  private readonly retentionMs: number;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    opts: TraceAggregateStoreOptions = {},
  ) {
    this.keys = redisKeys(prefix).traces;
    this.retentionMs = opts.retentionMs ?? DEFAULT_TRACE_RETENTION_MS;
  }

  /** Adds a delta's counts to the stored buckets (one MULTI). Buckets already past retention are skipped. */
  async persist(delta: TraceDelta, now: number): Promise<void> {
    if (delta.edges.length === 0 && delta.services.length === 0) return;
    const horizon = now - this.retentionMs;
    const tx = this.redis.multi();
    const touched = new Set<number>();
    for (const e of delta.edges) {
      if (e.bucket < horizon) continue;
      const key = this.keys.bucket(e.bucket);
      const base = `e${SEP}${e.caller}${SEP}${e.callee}${SEP}`;
      incrementStats(tx, key, base, e);
      if (e.clientLatencySumMs) tx.hincrbyfloat(key, `${base}w`, e.clientLatencySumMs);
      tx.hset(key, `${base}m`, `${e.calleeKind}${SEP}${e.calleeUninstrumented ? 1 : 0}`);
      incrementVersions(tx, key, base, e.versions);
      touched.add(e.bucket);
    }
    for (const s of delta.services) {
      if (s.bucket < horizon) continue;
      const key = this.keys.bucket(s.bucket);
      const base = `s${SEP}${s.service}${SEP}`;
      incrementStats(tx, key, base, s);
      if (s.originErrors !== 0) tx.hincrby(key, `${base}o`, s.originErrors);
      incrementVersions(tx, key, base, s.versions);
      touched.add(s.bucket);
    }
    if (touched.size === 0) return;
    const zargs: Array<number> = [];
    for (const b of touched) {
      tx.pexpire(this.keys.bucket(b), Math.max(b + this.retentionMs - now, MIN_TTL_MS));
      zargs.push(b, b);
    }
    tx.zadd(this.keys.buckets, ...zargs);
    tx.zremrangebyscore(this.keys.buckets, '-inf', `(${horizon}`);
    // The analyzer of whichever replica leads folds the delta in from here (state-deltas.ts). Each entry is
    // one flush (every ~2 s per process, up to a few hundred KB at 1,000 services), so few are kept.
    tx.xadd(this.keys.deltas, 'MAXLEN', '~', TRACE_DELTAS_KEPT, '*', 't', JSON.stringify(delta));
    await execTransaction(tx);
  }

  /** Every stored aggregate with bucket ≥ `since`: what the analyzer folds in when it starts. */
  async load(since: number): Promise<TraceDelta> {
    const buckets = (await this.redis.zrangebyscore(this.keys.buckets, since, '+inf')).map(Number);
    if (buckets.length === 0) return { edges: [], services: [] };
    const pipe = this.redis.pipeline();
    for (const b of buckets) pipe.hgetall(this.keys.bucket(b));
    const results = (await pipe.exec()) ?? [];
    const delta: TraceDelta = { edges: [], services: [] };
    buckets.forEach((bucket, i) => {
      const [err, hash] = results[i] ?? [null, {}];
      if (err) throw err;
      decodeBucket(bucket, (hash ?? {}) as Record<string, string>, delta);
    });
    return delta;
  }
}

function incrementStats(tx: Transaction, key: string, base: string, s: CallStats): void {
  if (s.calls !== 0) tx.hincrby(key, `${base}c`, s.calls);
  if (s.errors !== 0) tx.hincrby(key, `${base}x`, s.errors);
  if (s.latencySumMs !== 0) tx.hincrbyfloat(key, `${base}l`, s.latencySumMs);
  for (let i = 0; i < LATENCY_BUCKETS; i++) {
    const n = s.latencyHist[i] ?? 0;
    if (n !== 0) tx.hincrby(key, `${base}h${i}`, n);
  }
}

function incrementVersions(tx: Transaction, key: string, base: string, versions: readonly VersionTotals[] | undefined): void {
  for (const v of versions ?? []) {
    if (v.version.includes(SEP)) continue; // cannot be told apart from the field's other parts
    const at = `${base}v${SEP}${v.version}${SEP}`;
    if (v.calls !== 0) tx.hincrby(key, `${at}c`, v.calls);
    if (v.errors !== 0) tx.hincrby(key, `${at}x`, v.errors);
    if (v.latencySumMs !== 0) tx.hincrbyfloat(key, `${at}l`, v.latencySumMs);
  }
}

/** Adds one stored per-version counter (stat c, x or l) to an aggregate's versions. */
function addVersionStat(into: { versions?: VersionTotals[] }, version: string, stat: string | undefined, raw: string): void {
  const n = Number(raw);
  addVersionTotals((into.versions ??= []), version, stat === 'c' ? n : 0, stat === 'x' ? n : 0, stat === 'l' ? n : 0);
}

function decodeBucket(bucket: number, hash: Record<string, string>, into: TraceDelta): void {
  const edges = new Map<string, EdgeAggregate>();
  const services = new Map<string, ServiceAggregate>();
  for (const [field, raw] of Object.entries(hash)) {
    const parts = field.split(SEP);
    if (parts[0] === 'e' && (parts.length === 4 || (parts.length === 6 && parts[3] === 'v'))) {
      const [, caller, callee, stat] = parts as [string, string, string, string];
      const id = `${caller}${SEP}${callee}`;
      let e = edges.get(id);
      if (!e) {
        e = { caller, callee, bucket, calleeUninstrumented: false, calleeKind: 'service', ...emptyCallStats() };
        edges.set(id, e);
      }
      if (parts.length === 6) addVersionStat(e, parts[4]!, parts[5], raw);
      else if (stat === 'm') {
        const [kind, uninstrumented] = raw.split(SEP);
        if (kind && PEER_KINDS.has(kind)) e.calleeKind = kind as PeerKind;
        e.calleeUninstrumented = uninstrumented === '1';
      } else if (stat === 'w') e.clientLatencySumMs = Number(raw);
      else applyStat(e, stat, raw);
    } else if (parts[0] === 's' && (parts.length === 3 || (parts.length === 5 && parts[2] === 'v'))) {
      const service = parts[1]!;
      let s = services.get(service);
      if (!s) {
        s = { service, bucket, originErrors: 0, ...emptyCallStats() };
        services.set(service, s);
      }
      if (parts.length === 5) addVersionStat(s, parts[3]!, parts[4], raw);
      else if (parts[2] === 'o') s.originErrors = Number(raw);
      else applyStat(s, parts[2]!, raw);
    }
  }
  into.edges.push(...edges.values());
  into.services.push(...services.values());
}

function applyStat(s: CallStats, stat: string, raw: string): void {
  const n = Number(raw);
  if (stat === 'c') s.calls = n;
  else if (stat === 'x') s.errors = n;
  else if (stat === 'l') s.latencySumMs = n;
  else if (stat.startsWith('h')) {
    const i = Number(stat.slice(1));
    if (Number.isInteger(i) && i >= 0 && i < LATENCY_BUCKETS) s.latencyHist[i] = n;
  }
}
