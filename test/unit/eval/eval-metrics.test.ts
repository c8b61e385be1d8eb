import { describe, it, expect } from 'vitest';
import { scoreScenario, pairwiseF1, accuracyAtK, averageAt5, summarize, type PredictedLike } from '../../../bench/eval-metrics.js';

const rc = (...services: string[]): PredictedLike['rootCauses'] => services.map((service) => ({ service }));

describe('scoreScenario', () => {
  // Truth: A = {a1,a2,a3} rooted at db, B = {b1,b2} rooted at svc, noise n1.
  const truth = { incidents: [ { rootCause: 'db', alerts: ['a1', 'a2', 'a3'] }, { rootCause: 'svc', alerts: ['b1', 'b2'] } ], noise: ['n1'] };
  const predicted = [
    { alerts: ['a1', 'a2', 'n1'], rootCauses: rc('x', 'db') },
    { alerts: ['a3', 'b1', 'b2'], rootCauses: rc('svc', 'db') },
  ];
  const score = scoreScenario(truth, predicted);

  it('matches each true incident to the predicted incident holding most of its alerts and ranks its root', () => {
    expect(score.incidents).toEqual([
      { rootCause: 'db', matchedIndex: 0, rank: 2 },
      { rootCause: 'svc', matchedIndex: 1, rank: 1 },
    ]);
  });

  it('computes AC@k and Avg@5 from the ranks', () => {
    expect(accuracyAtK(score.incidents, 1)).toBe(0.5);
    expect(accuracyAtK(score.incidents, 2)).toBe(1);
    expect(accuracyAtK(score.incidents, 3)).toBe(1);
    expect(averageAt5(score.incidents)).toBeCloseTo((0.5 + 1 + 1 + 1 + 1) / 5, 10);
  });

  it('counts alert pairs with noise as singletons: 4 true, 6 predicted, 2 agreeing -> F1 0.4', () => {
    expect(score.pairs).toEqual({ truePairs: 4, predictedPairs: 6, agreeingPairs: 2 });
    expect(pairwiseF1(score.pairs)).toBeCloseTo(0.4, 10);
  });

  it('counts a noise alert grouped with a true incident alert as absorbed', () => {
    expect(score.noise).toEqual({ total: 1, absorbed: 1 });
  });

  it('leaves a true incident unmatched when no predicted incident holds any of its alerts', () => {
    const s = scoreScenario({ incidents: [{ rootCause: 'db', alerts: ['a1'] }], noise: [] }, [{ alerts: ['zz'], rootCauses: rc('db') }]);
    expect(s.incidents).toEqual([{ rootCause: 'db', matchedIndex: null, rank: null }]);
    expect(accuracyAtK(s.incidents, 5)).toBe(0);
    // Nothing to pair and (among known alerts) nothing paired.
    expect(s.pairs).toEqual({ truePairs: 0, predictedPairs: 0, agreeingPairs: 0 });
    expect(pairwiseF1(s.pairs)).toBe(1);
  });

  it('breaks a tie between predicted incidents in favour of the earlier one', () => {
    const s = scoreScenario({ incidents: [{ rootCause: 'r', alerts: ['a1', 'a2'] }], noise: [] }, [
      { alerts: ['a1'], rootCauses: rc('r') },
      { alerts: ['a2'], rootCauses: rc('q') },
    ]);
    expect(s.incidents[0]).toEqual({ rootCause: 'r', matchedIndex: 0, rank: 1 });
    expect(s.pairs).toEqual({ truePairs: 1, predictedPairs: 0, agreeingPairs: 0 });
    expect(pairwiseF1(s.pairs)).toBe(0);
  });

  it('gives a rank of null when the matched incident does not list the root cause', () => {
    const s = scoreScenario({ incidents: [{ rootCause: 'db', alerts: ['a1', 'a2'] }], noise: [] }, [{ alerts: ['a1', 'a2'], rootCauses: rc('a', 'b', 'c', 'd', 'e', 'f') }]);
    expect(s.incidents[0]!.rank).toBeNull();
    expect(averageAt5(s.incidents)).toBe(0);
    expect(pairwiseF1(s.pairs)).toBe(1);
  });

  it('treats an alert in two predicted incidents as paired with the members of both', () => {
    const s = scoreScenario({ incidents: [{ rootCause: 'r', alerts: ['a1', 'a2'] }], noise: ['n1'] }, [
      { alerts: ['a1', 'n1'], rootCauses: rc('r') },
      { alerts: ['a1', 'a2'], rootCauses: rc('r') },
    ]);
    // Predicted pairs: a1-n1, a1-a2 (a2-n1 share no incident); true pair: a1-a2.
    expect(s.pairs).toEqual({ truePairs: 1, predictedPairs: 2, agreeingPairs: 1 });
    expect(pairwiseF1(s.pairs)).toBeCloseTo(2 / 3, 10);
    expect(s.noise).toEqual({ total: 1, absorbed: 1 });
  });

  it('does not count noise grouped only with other noise as absorbed', () => {
    const s = scoreScenario({ incidents: [{ rootCause: 'r', alerts: ['a1', 'a2'] }], noise: ['n1', 'n2', 'n3'] }, [
      { alerts: ['a1', 'a2'], rootCauses: rc('r') },
      { alerts: ['n1', 'n2'], rootCauses: rc('x') },
    ]);
    expect(s.noise).toEqual({ total: 3, absorbed: 0 });
    // 10 pairs among 5 alerts; true: a1-a2; predicted: a1-a2, n1-n2.
    expect(s.pairs).toEqual({ truePairs: 1, predictedPairs: 2, agreeingPairs: 1 });
  });
});

describe('summarize', () => {
  it('pools incidents for AC@k, averages F1 over scenarios and pools absorbed noise', () => {
    const perfect = scoreScenario({ incidents: [{ rootCause: 'r', alerts: ['a', 'b'] }], noise: ['n'] }, [{ alerts: ['a', 'b'], rootCauses: rc('r') }]);
    const poor = scoreScenario({ incidents: [{ rootCause: 'r', alerts: ['a', 'b'] }, { rootCause: 's', alerts: ['c'] }], noise: ['n', 'm'] }, [
      { alerts: ['a', 'b', 'c', 'n'], rootCauses: rc('x', 'y', 'r') },
    ]);
    const sum = summarize([perfect, poor]);
    expect(sum.scenarios).toBe(2);
    expect(sum.incidents).toBe(3);
    // Ranks: 1 (perfect), 3 (r in poor), null (s not listed) -> AC@1 = 1/3, AC@3 = 2/3.
    expect(sum.ac1).toBeCloseTo(1 / 3, 10);
    expect(sum.ac3).toBeCloseTo(2 / 3, 10);
    expect(sum.avg5).toBeCloseTo((1 / 3 + 1 / 3 + 2 / 3 + 2 / 3 + 2 / 3) / 5, 10);
    // poor: true pairs a-b (1); predicted pairs among a,b,c,n = 6; agreeing 1 -> P 1/6, R 1, F1 2/7.
    expect(sum.clusteringF1).toBeCloseTo((1 + 2 / 7) / 2, 10);
    expect(sum.noiseAlerts).toBe(3);
    expect(sum.absorbedAlerts).toBe(1);
    expect(sum.absorbedShare).toBeCloseTo(1 / 3, 10);
    // No truth says whether roots alert: none counts as alerting, all with the rest.
    expect(sum.alertingRoots).toBe(0);
    expect(sum.ac1AlertingRoot).toBe(0);
    expect(sum.ac1SilentRoot).toBeCloseTo(1 / 3, 10);
  });

  it('reports AC@1 apart for incidents whose root alerts and those whose root is silent', () => {
    const score = scoreScenario(
      {
        incidents: [
          { rootCause: 'api', alerts: ['a'], rootAlerts: true },
          { rootCause: 'db', alerts: ['b'], rootAlerts: false },
          { rootCause: 'cache', alerts: ['c'], rootAlerts: false },
        ],
        noise: [],
      },
      [
        { alerts: ['a'], rootCauses: rc('api') },
        { alerts: ['b'], rootCauses: rc('db') },
        { alerts: ['c'], rootCauses: rc('web', 'cache') },
      ],
    );
    expect(score.incidents.map((i) => i.rootAlerts)).toEqual([true, false, false]);
    const sum = summarize([score]);
    expect(sum.alertingRoots).toBe(1);
    expect(sum.ac1AlertingRoot).toBe(1);
    expect(sum.ac1SilentRoot).toBeCloseTo(1 / 2, 10);
    expect(sum.ac1).toBeCloseTo(2 / 3, 10);
  });
});
