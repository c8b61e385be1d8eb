// Finds past incidents like a current one: IDF-weighted cosine similarity over signature tokens, via an inverted index.
//
// Why these choices:
// - Weight = smoothed IDF, 1 + ln((1 + N) / (1 + df)), over the N indexed incidents: an alert seen in half of all
//   past incidents weighs ~1.7, one seen once in 100,000 ~12. Never zero, so two incidents made only of ubiquitous
//   alerts still find each other.
// - Similarity = weighted cosine, Σ_shared w² / (‖q‖·‖d‖), over binary token vectors. In [0, 1], symmetric, 1 for
//   identical signatures, 0 for disjoint ones. Chosen over weighted Jaccard because it is kinder to size
//   differences (a past incident with 3 of the current 8 alerts scores √(3/8) ≈ 0.61 rather than 3/8), which is the
//   common case when an outage spreads further this time, and because it needs only per-incident norms.
// - Dependency tokens the index has never seen are ignored: history from files records no dependencies
//   (CONTRACT §3), so their absence from a past incident says nothing. Unseen alerts and services do count:
//   an alert never seen before is real dissimilarity.
// - Inverted index (token → slots), walked rarest token first (MaxScore-style, see `topSlots`). Ubiquitous tokens
//   (say, an alert in more than 20% of incidents) still count in every score but come last, and their long postings
//   are walked only when a bound shows they could still change the answer — in practice, when nothing rarer
//   matches. So the cap on common tokens costs no exactness: results equal a brute-force scan (tested).
//
// Complexity (N incidents, t tokens per incident, typically 5–20):
// - add/replace: O(t). Document frequencies are kept incrementally; a replaced incident leaves a tombstone, and
//   tombstones are compacted (O(index)) once they pass a quarter of the live count: amortised O(t).
// - IDF weights: every add changes N and so every weight. Nothing is recomputed eagerly: token weights and
//   incident norms are cached per index version and recomputed lazily, each at most once per version, and only
//   for the tokens and candidates a search actually meets (O(t) per candidate on the first search after an add).
// - search: O(postings walked × (1 + t for candidates that pass the per-candidate bound)), where the walk stops
//   as soon as the unwalked tokens cannot lift any unseen incident into the top k. At 100,000 incidents the
//   median query walks ~1,200 postings and fully scores ~150 candidates (bench/history.bench.ts).
import type { HistoricalIncident } from '../model/history.js';
import { signatureOfHistorical, type IncidentSignature } from './incident-signature.js';
import { describeShared, kindOfKey, tokenKeysOf } from './signature-tokens.js';

export interface HistoryMatch {
  incident: HistoricalIncident;
  similarity: number; // 0..1, rounded to 1e-9 so ordering does not depend on float summation noise
  /** The most informative shared tokens, readable ("HighErrorRate on checkout", "service checkout"), at most 5. */
  shared: string[];
}

const SHARED_LIMIT = 5; // shared tokens named per match, for evidence text
const COMPACT_MIN_DEAD = 1024;

interface QueryToken {
  key: string;
  id: number; // -1 when the index has never seen it
  w2: number; // squared weight
}

export class HistoryIndex {
  private readonly tokenIds = new Map<string, number>();
  private readonly tokenKeys: string[] = [];
  private readonly df: number[] = [];
  private postings: number[][] = []; // token id → slots, tombstoned slots included until compaction
  private incidents: (HistoricalIncident | undefined)[] = []; // slot → incident, undefined once replaced
  // Slot → its sorted token ids, stored flat (tokenData[tokenStart[slot] .. tokenStart[slot + 1]]) so a search
  // reads a few typed arrays rather than chasing one small array object per candidate.
  private tokenData: Int32Array<ArrayBuffer> = new Int32Array(1024);
  private tokenStart: Int32Array<ArrayBuffer> = new Int32Array(1);
  private alive: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  private readonly slotOf = new Map<string, number>();
  private live = 0;
  private version = 1;
  private norms: Float64Array<ArrayBuffer> = new Float64Array(0);
  private normVersion: Float64Array<ArrayBuffer> = new Float64Array(0);
  private w2Cache: Float64Array<ArrayBuffer> = new Float64Array(0); // token id → squared weight at w2Version
  private w2Version: Float64Array<ArrayBuffer> = new Float64Array(0);
  private seen: Uint32Array<ArrayBuffer> = new Uint32Array(0); // slot → stamp of the last search that scored it
  private searchStamp = 0;

  constructor(incidents: Iterable<HistoricalIncident> = []) {
    for (const i of incidents) this.add(i);
  }

  /** Number of incidents indexed. */
  get size(): number {
    return this.live;
  }

  has(id: string): boolean {
    return this.slotOf.has(id);
  }

  /** The indexed incident with this id, if any. */
  get(id: string): HistoricalIncident | undefined {
    const slot = this.slotOf.get(id);
    return slot === undefined ? undefined : this.incidents[slot];
  }

  /** Indexes an incident; one with the same id is replaced. */
  add(incident: HistoricalIncident): void {
    const previous = this.slotOf.get(incident.id);
    if (previous !== undefined) this.retire(previous);
    const tokens = Int32Array.from(tokenKeysOf(signatureOfHistorical(incident)), (k) => this.tokenIdOf(k)).sort();
    const slot = this.incidents.length;
    this.ensureCapacity(slot + 1, this.tokenStart[slot]! + tokens.length);
    this.incidents.push(incident);
    this.alive[slot] = 1;
    this.tokenData.set(tokens, this.tokenStart[slot]!);
    this.tokenStart[slot + 1] = this.tokenStart[slot]! + tokens.length;
    for (const t of tokens) {
      this.df[t]!++;
      this.postings[t]!.push(slot);
    }
    this.slotOf.set(incident.id, slot);
    this.live++;
    this.version++;
    if (this.incidents.length - this.live > Math.max(COMPACT_MIN_DEAD, this.live / 4)) this.compact();
  }

  /** Past incidents most similar to `sig`: similarity desc, then id; only those at or above `minSimilarity`
   * that share at least one token with it. */
  search(sig: IncidentSignature, k = 5, minSimilarity = 0.2): HistoryMatch[] {
    if (k <= 0 || this.live === 0) return [];
    const query = this.queryTokens(sig);
    let qNormSq = 0;
    for (const q of query) qNormSq += q.w2;
    if (qNormSq === 0) return [];
    const top = this.topSlots(query, Math.sqrt(qNormSq), k, minSimilarity);
    return top.map(({ slot, sim }) => ({
      incident: this.incidents[slot]!,
      similarity: sim,
      shared: this.sharedTokens(slot, query),
    }));
  }

  /** Similarity of two signatures under the index's current weights (what `search` computes against an entry). */
  similarity(a: IncidentSignature, b: IncidentSignature): number {
    const qa = this.queryTokens(a);
    const qb = new Map(this.queryTokens(b).map((q) => [q.key, q.w2]));
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (const q of qa) {
      na += q.w2;
      if (qb.has(q.key)) dot += q.w2;
    }
    for (const w2 of qb.values()) nb += w2;
    if (na === 0 || nb === 0) return 0;
    return roundSimilarity(dot / (Math.sqrt(na) * Math.sqrt(nb)));
  }

  private queryTokens(sig: IncidentSignature): QueryToken[] {
    const out: QueryToken[] = [];
    for (const key of tokenKeysOf(sig)) {
      const id = this.tokenIds.get(key) ?? -1;
      const df = id < 0 ? 0 : this.df[id]!;
      if (df === 0 && kindOfKey(key) === 'dependency') continue;
      const w = this.idf(df);
      out.push({ key, id: df === 0 ? -1 : id, w2: w * w });
    }
    return out;
  }

  /**
   * Candidates come from the postings of the query's tokens, rarest first; each candidate is scored in full (all
   * its shared tokens, common ones included) when first met. Before walking the next, more common token, a
   * Cauchy–Schwarz bound says how high an incident sharing only the remaining tokens could score:
   * ‖q_remaining‖ / ‖q‖. Once that is below the bar (the k-th best so far, or `minSimilarity`), no incident not
   * yet met can enter the answer and the walk stops. Ubiquitous tokens come last and are walked only when the rarer
   * ones leave the answer open (typically: nothing else matches), so the result is exact and the work is small.
   */
  private topSlots(query: QueryToken[], qNorm: number, k: number, minSimilarity: number): Array<{ slot: number; sim: number }> {
    const known = query.filter((q) => q.id >= 0);
    const byId = [...known].sort((a, b) => a.id - b.id);
    const qIds = Int32Array.from(byId, (q) => q.id);
    const qW2 = Float64Array.from(byId, (q) => q.w2);
    const walk = known.sort((a, b) => b.w2 - a.w2 || a.id - b.id);
    let remaining = 0;
    for (const q of walk) remaining += q.w2;

    if (this.searchStamp === 0xffffffff) {
      this.seen.fill(0); // the stamp would wrap onto stale marks
      this.searchStamp = 0;
    }
    const stamp = ++this.searchStamp;
    const { seen, alive, tokenData, tokenStart } = this;
    const top: Array<{ slot: number; sim: number }> = [];
    for (const q of walk) {
      let bar = top.length === k ? top[k - 1]!.sim : minSimilarity;
      if (Math.sqrt(remaining) / qNorm + 1e-9 < bar) break; // slack: similarities are rounded to 1e-9
      // An incident first met here lacks every rarer token already walked: it shares at most `remaining`.
      const reach = remaining / qNorm;
      remaining -= q.w2;
      for (const slot of this.postings[q.id]!) {
        if (seen[slot] === stamp || alive[slot] === 0) continue;
        seen[slot] = stamp;
        const dNorm = this.normOf(slot);
        if (reach / dNorm + 1e-9 < bar) continue;
        const dot = sharedWeight(tokenData, tokenStart[slot]!, tokenStart[slot + 1]!, qIds, qW2);
        const sim = roundSimilarity(dot / (qNorm * dNorm));
        if (sim < minSimilarity) continue;
        if (top.length === k && !this.better(slot, sim, top[k - 1]!)) continue;
        insertSorted(top, { slot, sim }, (a, b) => this.better(a.slot, a.sim, b));
        if (top.length > k) top.pop();
        if (top.length === k) bar = top[k - 1]!.sim;
      }
    }
    return top;
  }

  private better(slot: number, sim: number, than: { slot: number; sim: number }): boolean {
    if (sim !== than.sim) return sim > than.sim;
    return this.incidents[slot]!.id < this.incidents[than.slot]!.id;
  }

  private sharedTokens(slot: number, query: QueryToken[]): string[] {
    const tokens = this.tokenData.subarray(this.tokenStart[slot]!, this.tokenStart[slot + 1]!);
    return describeShared(query.filter((q) => q.id >= 0 && includes(tokens, q.id)), SHARED_LIMIT);
  }

  private idf(df: number): number {
    return 1 + Math.log((1 + this.live) / (1 + df));
  }

  /** Squared weight of an indexed token, cached per index version (norm recomputation after an add reuses it). */
  private weight2(t: number): number {
    if (this.w2Version[t] === this.version) return this.w2Cache[t]!;
    const w = this.idf(this.df[t]!);
    this.w2Cache[t] = w * w;
    this.w2Version[t] = this.version;
    return w * w;
  }

  private normOf(slot: number): number {
    if (this.normVersion[slot] === this.version) return this.norms[slot]!;
    let sq = 0;
    for (let i = this.tokenStart[slot]!; i < this.tokenStart[slot + 1]!; i++) sq += this.weight2(this.tokenData[i]!);
    const norm = Math.sqrt(sq);
    this.norms[slot] = norm;
    this.normVersion[slot] = this.version;
    return norm;
  }

  private tokenIdOf(key: string): number {
    let id = this.tokenIds.get(key);
    if (id === undefined) {
      id = this.tokenKeys.length;
      this.tokenIds.set(key, id);
      this.tokenKeys.push(key);
      this.df.push(0);
      this.postings.push([]);
      if (id >= this.w2Cache.length) {
        this.w2Cache = grown(this.w2Cache, Math.max(1024, id * 2));
        this.w2Version = grown(this.w2Version, Math.max(1024, id * 2));
      }
    }
    return id;
  }

  /** Tombstones a slot: its incident stops counting at once; its postings go at the next compaction. */
  private retire(slot: number): void {
    for (let i = this.tokenStart[slot]!; i < this.tokenStart[slot + 1]!; i++) this.df[this.tokenData[i]!]!--;
    this.incidents[slot] = undefined;
    this.alive[slot] = 0;
    this.live--;
  }

  /** Renumbers live slots densely and rebuilds the token store and postings without tombstones. */
  private compact(): void {
    const incidents: HistoricalIncident[] = [];
    const tokenData = new Int32Array(this.tokenData.length);
    const tokenStart = new Int32Array(this.tokenStart.length);
    const postings: number[][] = this.postings.map(() => []);
    this.slotOf.clear();
    for (let old = 0; old < this.incidents.length; old++) {
      const incident = this.incidents[old];
      if (incident === undefined) continue;
      const slot = incidents.length;
      incidents.push(incident);
      const tokens = this.tokenData.subarray(this.tokenStart[old]!, this.tokenStart[old + 1]!);
      tokenData.set(tokens, tokenStart[slot]!);
      tokenStart[slot + 1] = tokenStart[slot]! + tokens.length;
      for (const t of tokens) postings[t]!.push(slot);
      this.slotOf.set(incident.id, slot);
    }
    this.incidents = incidents;
    this.tokenData = tokenData;
    this.tokenStart = tokenStart;
    this.postings = postings;
    this.alive.fill(0);
    this.alive.fill(1, 0, incidents.length);
    this.normVersion.fill(0); // slots moved: no cached norm is valid for its new slot
  }

  /** Grows the per-slot arrays to hold `slots` slots and the token store to hold `tokens` ids (doubling). */
  private ensureCapacity(slots: number, tokens: number): void {
    if (tokens > this.tokenData.length) this.tokenData = grown(this.tokenData, Math.max(tokens, this.tokenData.length * 2));
    if (slots <= this.seen.length) return;
    const capacity = Math.max(1024, this.seen.length * 2, slots);
    this.seen = grown(this.seen, capacity);
    this.alive = grown(this.alive, capacity);
    this.norms = grown(this.norms, capacity);
    this.normVersion = grown(this.normVersion, capacity);
    this.tokenStart = grown(this.tokenStart, capacity + 1);
  }
}

type GrowableArray = Int32Array<ArrayBuffer> | Uint32Array<ArrayBuffer> | Uint8Array<ArrayBuffer> | Float64Array<ArrayBuffer>;

function grown<T extends GrowableArray>(from: T, length: number): T {
  const to = new (from.constructor as new (n: number) => T)(length);
  to.set(from);
  return to;
}

/** Sum of similarities per past root-cause service: how strongly history points at each service (for ranking). */
export function rootCauseVotes(matches: ReadonlyArray<Pick<HistoryMatch, 'incident' | 'similarity'>>): Map<string, number> {
  const votes = new Map<string, number>();
  for (const m of matches) {
    const service = m.incident.rootCause.service;
    votes.set(service, (votes.get(service) ?? 0) + m.similarity);
  }
  return votes;
}

function roundSimilarity(x: number): number {
  return Math.min(1, Math.max(0, Math.round(x * 1e9) / 1e9));
}

/** Σ w² over the query tokens an incident has: a merge of two ascending id lists. */
function sharedWeight(tokens: Int32Array, from: number, to: number, qIds: Int32Array, qW2: Float64Array): number {
  let dot = 0;
  let i = from;
  let j = 0;
  while (i < to && j < qIds.length) {
    const a = tokens[i]!;
    const b = qIds[j]!;
    if (a === b) {
      dot += qW2[j]!;
      i++;
      j++;
    } else if (a < b) i++;
    else j++;
  }
  return dot;
}

/** Binary search in a sorted Int32Array. */
function includes(sorted: Int32Array, value: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid]!;
    if (v === value) return true;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

function insertSorted<T>(list: T[], item: T, before: (a: T, b: T) => boolean): void {
  let i = list.length;
  while (i > 0 && before(item, list[i - 1]!)) i--;
  list.splice(i, 0, item);
}
