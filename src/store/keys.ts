// Every Redis key rcabot's stores and queues use, in one place: prefix first, then a hash tag per group.
//
// Why hash tags: each store updates several keys in one Lua script or MULTI, and on Redis Cluster all keys
// of one command must live on one slot. `{alerts}`, `{changes}`, … put each group on its own slot, so the
// groups spread over the cluster while every atomic operation stays single-slot. (When the prefix itself
// contains a `{…}`, Redis uses that tag instead and everything shares one slot, which is still correct.)

/** Normalises a key prefix so that it ends with ':' ('rcabot' and 'rcabot:' mean the same). */
export function normalizePrefix(prefix: string): string {
  return prefix === '' || prefix.endsWith(':') ? prefix : `${prefix}:`;
}

export interface AlertKeys {
  /**
   * hash fingerprint → "startsAt|f|json" or "startsAt|r|json": latest state, prefixed by its dedup identity; the only
   * record of which alerts fire (the stale-firing sweep scans it).
   */
  state: string;
  /**
   * Legacy: the firing indexes earlier versions kept beside the state: a zset of firing fingerprints (score
   * startsAt), then a hash (fingerprint → startsAt). Never read or written now; the next prune deletes them. Each
   * cost every commit a write per firing alert for a rebuild and a sweep that the state alone serves.
   */
  legacyOpen: string;
  legacyFiring: string;
  /** zset of resolved fingerprints, score endsAt (resolved retention, "recent" queries). */
  resolved: string;
  /** string: a batch of encoded alerts queued by reference, until a worker applies it (AlertStore.writeBatch). */
  batch(id: string): string;
  /** stream: the fingerprints each commit stored new or changed, for the analyzer (see state-deltas.ts). */
  deltas: string;
}

export interface ChangeKeys {
  /** hash change id → JSON of the Change. */
  byId: string;
  /** zset of change ids, score `at`. */
  byTime: string;
  /** stream: the changes each commit stored for the first time, for the analyzer. */
  deltas: string;
}

export interface TraceKeys {
  /** zset of bucket starts (member and score = bucket ms) that have a bucket hash. */
  buckets: string;
  /** hash of one time bucket: field per (edge|service, statistic), HINCRBY'd. */
  bucket(bucketMs: number): string;
  /** stream: each persisted trace delta, for the analyzer. */
  deltas: string;
}

export interface IncidentKeys {
  /** string: JSON array of every IncidentReport, in the analyzer's order. */
  all: string;
  /** hash incident id → JSON of one IncidentReport. */
  byId: string;
}

export interface RedisKeys {
  prefix: string;
  alerts: AlertKeys;
  changes: ChangeKeys;
  traces: TraceKeys;
  incidents: IncidentKeys;
  /** BullMQ `prefix` option of a queue: one hash tag per queue, so each queue's keys share a slot. */
  queuePrefix(queueName: string): string;
}

export function redisKeys(rawPrefix: string): RedisKeys {
  const p = normalizePrefix(rawPrefix);
  return {
    prefix: p,
    alerts: {
      state: `${p}{alerts}:state`,
      legacyOpen: `${p}{alerts}:open`,
      legacyFiring: `${p}{alerts}:firing`,
      resolved: `${p}{alerts}:resolved`,
      batch: (id) => `${p}{alerts}:batch:${id}`,
      deltas: `${p}{alerts}:deltas`,
    },
    changes: {
      byId: `${p}{changes}:by-id`,
      byTime: `${p}{changes}:by-time`,
      deltas: `${p}{changes}:deltas`,
    },
    traces: {
      buckets: `${p}{traces}:buckets`,
      bucket: (bucketMs) => `${p}{traces}:bucket:${bucketMs}`,
      deltas: `${p}{traces}:deltas`,
    },
    incidents: {
      all: `${p}{incidents}:all`,
      byId: `${p}{incidents}:by-id`,
    },
    // BullMQ builds "<prefix>:<queue>:<type>", so this yields e.g. "rcabot:{q-alerts}:alerts:wait".
    queuePrefix: (queueName) => `${p}{q-${queueName}}`,
  };
}
