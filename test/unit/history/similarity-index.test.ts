import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { HistoricalIncident } from '../../../src/model/history.js';
import { signatureOfHistorical, type IncidentSignature } from '../../../src/history/incident-signature.js';
import { HistoryIndex, rootCauseVotes, type HistoryMatch } from '../../../src/history/similarity-index.js';

function past(id: string, rootCause: string, alerts: Array<[service: string, alertname: string]>, title = id): HistoricalIncident {
  return {
    id,
    title,
    openedAt: '2026-09-01T10:00:00Z',
    resolvedAt: '2026-09-01T11:00:00Z',
    rootCause: { service: rootCause, category: 'other' },
    alerts: alerts.map(([service, alertname]) => ({ service, alertname })),
  };
}

function current(alerts: Array<[string, string]>, dependencies: string[] = []): IncidentSignature {
  return {
    services: [...new Set(alerts.map(([s]) => s))],
    alerts: alerts.map(([service, alertname]) => ({ service, alertname })),
    dependencies,
  };
}

const ids = (matches: HistoryMatch[]) => matches.map((m) => m.incident.id);

/** 20 incidents that all raise the ubiquitous HighLatency, each on its own service. */
const fillers = Array.from({ length: 20 }, (_, i) => past(`F-${String(i).padStart(2, '0')}`, `f${i}`, [[`f${i}`, 'HighLatency']]));

describe('signatureOfHistorical', () => {
  it('lists alerting services plus the root cause as services, distinct alerts, and no dependencies', () => {
    const sig = signatureOfHistorical(
      past('INC-1', 'orders-db', [
        ['checkout', 'HighErrorRate'],
        ['api', 'HighLatency'],
        ['checkout', 'HighErrorRate'],
      ]),
    );
    expect(sig).toEqual({
      services: ['api', 'checkout', 'orders-db'],
      alerts: [
        { service: 'api', alertname: 'HighLatency' },
        { service: 'checkout', alertname: 'HighErrorRate' },
      ],
      dependencies: [],
    });
  });
});

describe('HistoryIndex.search', () => {
  // U shares the ubiquitous HighLatency (on api), R shares the rare DiskPressure (on worker). Unweighted, both
  // share 3 of 6 tokens with the query and would tie at 0.5; IDF must put R first.
  const U = past('U', 'billing', [['api', 'HighLatency'], ['billing', 'OOMKilled']]);
  const R = past('R', 'search', [['worker', 'DiskPressure'], ['search', 'Throttled']]);
  const query = current([['api', 'HighLatency'], ['worker', 'DiskPressure']]);

  it('weights rare alerts above ubiquitous ones', () => {
    const index = new HistoryIndex([...fillers, U, R]);
    const matches = index.search(query, 5, 0.1);
    expect(ids(matches)).toEqual(['R', 'U']);
    // N = 22; HighLatency is in 21 incidents, every other token in 1.
    const a = (1 + Math.log(23 / 22)) ** 2;
    const b = (1 + Math.log(23 / 2)) ** 2;
    const qNorm = Math.sqrt(a + 5 * b);
    expect(matches[0]!.similarity).toBeCloseTo((3 * b) / (qNorm * Math.sqrt(6 * b)), 8);
    expect(matches[1]!.similarity).toBeCloseTo((a + 2 * b) / (qNorm * Math.sqrt(a + 5 * b)), 8);
    expect(matches[0]!.similarity).toBeGreaterThan(matches[1]!.similarity + 0.05);
  });

  it('names the most informative shared tokens, without repeating what a shared pair implies', () => {
    const index = new HistoryIndex([...fillers, U, R]);
    const [r, u] = index.search(query, 5, 0.1);
    expect(r!.shared).toEqual(['DiskPressure on worker']);
    expect(u!.shared).toEqual(['HighLatency on api']);
    const other = index.search(current([['cart', 'DiskPressure']]), 5, 0);
    expect(other.map((m) => [m.incident.id, m.shared])).toEqual([['R', ['alert DiskPressure']]]);
  });

  it('still finds incidents that share only common tokens when the threshold lets them in', () => {
    const index = new HistoryIndex([...fillers, U, R]);
    const all = index.search(query, 100, 0.001);
    expect(ids(all)).toEqual(['R', 'U', ...fillers.map((f) => f.id)]);
    expect(all[2]!.shared).toEqual(['alert HighLatency']);
    // ...and not at the default threshold, where they score ~0.03.
    expect(ids(index.search(query))).toEqual(['R', 'U']);
  });

  it('gives similarity 1 to an identical signature', () => {
    const inc = past('INC-7', 'orders-db', [['checkout', 'HighErrorRate'], ['orders-db', 'SlowQueries']]);
    const index = new HistoryIndex([...fillers, inc, U, R]);
    const [top] = index.search(signatureOfHistorical(inc));
    expect(top!.incident.id).toBe('INC-7');
    expect(top!.similarity).toBe(1);
  });

  it('returns no match for a disjoint signature, whatever the threshold', () => {
    const index = new HistoryIndex([...fillers, U, R]);
    const disjoint = current([['ledger', 'QueueBacklog']]);
    expect(index.search(disjoint)).toEqual([]);
    expect(index.search(disjoint, 10, 0)).toEqual([]);
    expect(new HistoryIndex().search(query)).toEqual([]);
  });

  it('orders equal similarities by id, whatever the insertion order', () => {
    const make = (id: string) => past(id, 'db', [['api', 'Errors']]);
    const index = new HistoryIndex([make('INC-3'), make('INC-1'), make('INC-2'), U]);
    const matches = index.search(current([['api', 'Errors']]), 2);
    expect(ids(matches)).toEqual(['INC-1', 'INC-2']);
    expect(matches[0]!.similarity).toBe(matches[1]!.similarity);
  });

  it('matches a past root cause when that service alerts now, not when it is only a trace dependency', () => {
    const dbOutage = past('DB', 'orders-db', [['checkout', 'HighErrorRate']]);
    const index = new HistoryIndex([...fillers, dbOutage]);
    const alerting = index.search(current([['orders-db', 'ConnectionsExhausted']]), 5, 0);
    expect(alerting.map((m) => [m.incident.id, m.shared])).toEqual([['DB', ['service orders-db']]]);
    expect(index.search(current([['cart', 'QueueBacklog']], ['orders-db']), 5, 0)).toEqual([]);
  });

  it('ignores dependencies the index has never seen', () => {
    const index = new HistoryIndex([...fillers, U, R]);
    const withDeps = { ...query, dependencies: ['redis-cache', 'kafka'] };
    expect(index.search(withDeps)).toEqual(index.search(query));
  });

  it('respects k', () => {
    const index = new HistoryIndex([...fillers, U, R]);
    expect(ids(index.search(query, 1, 0.1))).toEqual(['R']);
    expect(index.search(query, 0, 0.1)).toEqual([]);
  });
});

describe('HistoryIndex.add', () => {
  it('replaces an incident with the same id: old tokens stop matching and counting', () => {
    const index = new HistoryIndex([...fillers, past('X', 'a', [['a', 'OldAlert']])]);
    index.add(past('X', 'b', [['b', 'NewAlert']], 'replacement'));
    expect(index.size).toBe(21);
    expect(index.search(current([['a', 'OldAlert']]), 5, 0)).toEqual([]);
    const [m] = index.search(current([['b', 'NewAlert']]));
    expect(m!.incident.title).toBe('replacement');
    expect(m!.similarity).toBe(1);
  });

  it('after many replacements (compaction) answers exactly like an index built from the final incidents', () => {
    const index = new HistoryIndex(fillers);
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 800; i++) index.add(past(`R-${i}`, `svc${(i + round) % 37}`, [[`svc${(i * 7 + round) % 37}`, `alert${(i + round) % 11}`]]));
    }
    const final = [...fillers, ...Array.from({ length: 800 }, (_, i) => past(`R-${i}`, `svc${(i + 3) % 37}`, [[`svc${(i * 7 + 3) % 37}`, `alert${(i + 3) % 11}`]]))];
    const fresh = new HistoryIndex(final);
    expect(index.size).toBe(fresh.size);
    for (const q of [current([['svc3', 'alert3']]), current([['f1', 'HighLatency'], ['svc9', 'alert0']]), signatureOfHistorical(final[100]!)]) {
      expect(index.search(q, 10, 0.05)).toEqual(fresh.search(q, 10, 0.05));
    }
  });
});

describe('rootCauseVotes', () => {
  it('sums similarities per past root-cause service', () => {
    const m = (id: string, rc: string, similarity: number) => ({ incident: past(id, rc, []), similarity });
    const votes = rootCauseVotes([m('1', 'db', 0.9), m('2', 'cache', 0.5), m('3', 'db', 0.25)]);
    expect([...votes]).toEqual([
      ['db', 1.15],
      ['cache', 0.5],
    ]);
  });
});

// Small pools so that many tokens are "common" (> 20% of incidents) and the candidate cap is exercised.
const service = fc.constantFrom('api', 'web', 'db', 'cache', 'queue', 'auth', 'search', 'pay');
const alertname = fc.constantFrom('HighLatency', 'Errors', 'OOMKilled', 'DiskFull', 'CrashLoop', 'Saturation', 'Rare1', 'Rare2');
const alertPairs = fc.array(fc.tuple(service, alertname), { minLength: 0, maxLength: 5 });
const incidentArb = fc.record({ id: fc.integer({ min: 0, max: 40 }), rc: service, alerts: alertPairs });
const signatureArb = fc.record({
  alerts: alertPairs,
  extra: fc.array(service, { maxLength: 2 }),
  deps: fc.array(service, { maxLength: 3 }),
});
const toIncident = (x: { id: number; rc: string; alerts: Array<[string, string]> }) => past(`INC-${x.id}`, x.rc, x.alerts);
const toSignature = (x: { alerts: Array<[string, string]>; extra: string[]; deps: string[] }): IncidentSignature => ({
  services: [...new Set([...x.alerts.map(([s]) => s), ...x.extra])],
  alerts: x.alerts.map(([service, alertname]) => ({ service, alertname })),
  dependencies: x.deps,
});

/** Deterministic PRNG (mulberry32) for a larger, skewed history. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('HistoryIndex on a larger skewed history', () => {
  it('answers exactly like a brute-force scan (the early stop and candidate bounds lose nothing)', () => {
    const random = prng(7);
    // Skewed: alert i has weight ~1/(i+1), so Alert0 is in most incidents and others are rare.
    const alert = () => `Alert${Math.floor(40 ** random() - 1)}`;
    const svc = () => `svc${Math.floor(120 * random() * random())}`;
    const outage = (): Array<[string, string]> => Array.from({ length: 1 + Math.floor(random() * 5) }, () => [svc(), alert()]);
    const incidents = Array.from({ length: 1200 }, (_, i) => past(`INC-${i}`, svc(), outage()));
    const index = new HistoryIndex(incidents);
    for (let n = 0; n < 80; n++) {
      const sig = current(outage());
      const k = 1 + (n % 7);
      const minSimilarity = [0.05, 0.2, 0.4][n % 3]!;
      const expected = incidents
        .map((incident) => ({ id: incident.id, similarity: index.similarity(sig, signatureOfHistorical(incident)) }))
        .filter((m) => m.similarity > 0 && m.similarity >= minSimilarity)
        .sort((x, y) => y.similarity - x.similarity || (x.id < y.id ? -1 : 1))
        .slice(0, k);
      const got = index.search(sig, k, minSimilarity);
      expect(got.map((m) => m.incident.id)).toEqual(expected.map((m) => m.id));
      got.forEach((m, i) => expect(m.similarity).toBeCloseTo(expected[i]!.similarity, 8));
    }
  });
});

describe('HistoryIndex properties', () => {
  it('similarity is in [0, 1], symmetric, and 1 against itself', () => {
    fc.assert(
      fc.property(fc.array(incidentArb, { maxLength: 30 }), signatureArb, signatureArb, (incs, a, b) => {
        const index = new HistoryIndex(incs.map(toIncident));
        const sa = toSignature(a);
        const sb = toSignature(b);
        const s = index.similarity(sa, sb);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
        expect(index.similarity(sb, sa)).toBe(s);
        if (sa.services.length > 0) expect(index.similarity(sa, sa)).toBe(1);
      }),
      { numRuns: 300 },
    );
  });

  it('search equals brute force over all incidents, for any insertion order and replacements', () => {
    fc.assert(
      fc.property(
        fc.array(incidentArb, { maxLength: 60 }),
        signatureArb,
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(0.01, 0.2, 0.5),
        (incs, q, k, minSimilarity) => {
          const index = new HistoryIndex(incs.map(toIncident));
          const finals = new Map(incs.map((x) => [x.id, toIncident(x)]));
          const sig = toSignature(q);
          const expected = [...finals.values()]
            .map((incident) => ({ id: incident.id, similarity: index.similarity(sig, signatureOfHistorical(incident)) }))
            .filter((m) => m.similarity > 0 && m.similarity >= minSimilarity)
            .sort((x, y) => y.similarity - x.similarity || (x.id < y.id ? -1 : 1))
            .slice(0, k);
          const got = index.search(sig, k, minSimilarity);
          expect(index.size).toBe(finals.size);
          expect(got.map((m) => m.incident.id)).toEqual(expected.map((m) => m.id));
          got.forEach((m, i) => expect(m.similarity).toBeCloseTo(expected[i]!.similarity, 8));
          // Rebuilding from the final incidents in another order answers the same.
          expect(new HistoryIndex([...finals.values()].reverse()).search(sig, k, minSimilarity)).toEqual(got);
        },
      ),
      { numRuns: 300 },
    );
  });
});
