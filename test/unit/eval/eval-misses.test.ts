import { describe, it, expect } from 'vitest';
import { scoreScenario } from '../../../bench/eval-metrics.js';
import { describeClusteringMiss, describeRankingMiss, scenarioMisses } from '../../../bench/eval-misses.js';

describe('scenarioMisses', () => {
  // Truth: A = {a1,a2,a3} rooted at db, B = {b1,b2} rooted at svc, noise n1.
  const truth = { incidents: [ { rootCause: 'db', alerts: ['a1', 'a2', 'a3'] }, { rootCause: 'svc', alerts: ['b1', 'b2'] } ], noise: ['n1'] };
  const predicted = [
    { alerts: ['a1', 'a2', 'n1'], rootCauses: [ { service: 'x', score: 0.61 }, { service: 'db', score: 0.4 } ] },
    { alerts: ['a3', 'b1', 'b2'], rootCauses: [ { service: 'svc', score: 0.7 }, { service: 'db', score: 0.3 } ] },
  ];
  const misses = scenarioMisses('storm-4', truth, predicted, scoreScenario(truth, predicted));

  it('lists each incident whose root is not ranked first, with the incident it was matched to and its first suspects', () => {
    expect(misses.ranking).toEqual([
      { scenario: 'storm-4', rootCause: 'db', rank: 2, matched: { alerts: 3, holding: 2, of: 3, suspects: [ { service: 'x', score: 0.61 }, { service: 'db', score: 0.4 } ] } },
    ]);
    expect(describeRankingMiss(misses.ranking[0]!)).toBe('storm-4: db ranked 2; incident of 3 alerts (2 of its 3): x 0.61, db 0.40');
  });

  it('lists a clustering below F1 0.8 with what went wrong: splits, mixes, absorbed noise', () => {
    // F1 0.4 (eval-metrics.test.ts): A is split in two, the second predicted incident mixes A and B, n1 is absorbed.
    expect(misses.clustering).toEqual({ scenario: 'storm-4', f1: expect.closeTo(0.4, 10), split: 1, merged: 1, absorbed: 1 });
    expect(describeClusteringMiss(misses.clustering!)).toBe('storm-4: F1 0.40; incidents split: 1, predicted incidents mixing several: 1, noise alerts absorbed: 1');
  });

  it('lists nothing for a scenario clustered and ranked right, and says when no incident holds an incident\'s alerts', () => {
    const right = [ { alerts: ['a1', 'a2', 'a3'], rootCauses: [ { service: 'db', score: 0.5 } ] }, { alerts: ['b1', 'b2'], rootCauses: [ { service: 'svc', score: 0.5 } ] }, { alerts: ['n1'], rootCauses: [] } ];
    expect(scenarioMisses('s', truth, right, scoreScenario(truth, right))).toEqual({ ranking: [], clustering: null });
    const lost = [ { alerts: ['a1', 'a2', 'a3'], rootCauses: [ { service: 'db', score: 0.5 } ] } ];
    const m = scenarioMisses('s', truth, lost, scoreScenario(truth, lost));
    expect(m.ranking.map(describeRankingMiss)).toEqual(['s: svc: no incident holds its alerts']);
  });

  it('says whether the missed root raised an alert of its own, when the truth says', () => {
    const told = { incidents: [ { rootCause: 'db', alerts: ['a1', 'a2', 'a3'], rootAlerts: false }, { rootCause: 'svc', alerts: ['b1', 'b2'], rootAlerts: true } ], noise: ['n1'] };
    const wrong = [ { alerts: ['a1', 'a2', 'a3', 'b1', 'b2'], rootCauses: [ { service: 'x', score: 0.6 }, { service: 'svc', score: 0.5 } ] } ];
    expect(scenarioMisses('s', told, wrong, scoreScenario(told, wrong)).ranking.map(describeRankingMiss)).toEqual([
      's: db (silent) not listed; incident of 5 alerts (3 of its 3): x 0.60, svc 0.50',
      's: svc (alerts) ranked 2; incident of 5 alerts (2 of its 2): x 0.60, svc 0.50',
    ]);
  });
});
