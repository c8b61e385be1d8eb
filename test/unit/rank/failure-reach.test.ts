import { describe, it, expect } from 'vitest';
import { buildDependencyGraph } from '../../../src/topology/dependency-graph.js';
import { failureReach } from '../../../src/rank/failure-reach.js';
import { gatherFacts } from '../../../src/rank/service-facts.js';
import { DEFAULT_RANKING_OPTIONS, type RankingInput } from '../../../src/rank/ranking-input.js';
import { signalsFrom } from '../../support/trace-windows.js';
import { alert, edge, stats, T0 } from '../../support/alerts.js';

const DEPTH = DEFAULT_RANKING_OPTIONS.explainDepth;

/** The reach of a ranking over `input`, with the facts and anomalous services the ranking itself would use. */
function reachOf(input: RankingInput) {
  const facts = gatherFacts(input, DEFAULT_RANKING_OPTIONS, () => null);
  const anomalous = [...facts.values()].filter((f) => f.alerts.length > 0);
  return failureReach(input, facts, anomalous, DEPTH);
}

// web → api → cache, api → db; web and api alert.
const chain = buildDependencyGraph([edge('web', 'api'), edge('api', 'cache'), edge('api', 'db', 100, true)]);
function chainInput(traceSignals: RankingInput['traceSignals']): RankingInput {
  return { alerts: [alert('web', 'HighErrorRate', 0), alert('api', 'HighErrorRate', 0)], graph: chain, traceSignals, changes: [], history: [], onset: T0 };
}

describe('failure reach', () => {
  it('without calls to judge, counts each hop through a failing service fully', () => {
    const reach = reachOf(chainInput(new Map()));
    expect(reach.judgedByCalls).toBe(false);
    // db → api (alerting, fails) → web: every service on the way fails.
    expect(reach.strength('api', 'db')).toBe(1);
    expect(reach.strength('web', 'db')).toBe(1);
    expect(reach.strength('api', 'api')).toBe(1);
    // Nothing reaches a service from below it, and only the anomalous services are asked about.
    expect(reach.strength('web', 'web')).toBe(1);
    expect(reach.strength('cache', 'db')).toBe(0);
  });

  it('weighs each call by how bad it went, and says when a path is explained by another dependency', () => {
    // api's calls into db fail; its calls into cache cannot tell (none in the window): cache's path up through api is
    // explained away by db, and healthy web → api calls still couple at 0.15.
    const signals = signalsFrom(
      [
        { caller: 'web', callee: 'api', stats: stats(100, 1, 20) },
        { caller: 'api', callee: 'db', stats: stats(100, 60, 20) },
      ],
      [
        { caller: 'web', callee: 'api', stats: stats(100, 1, 20) },
        { caller: 'api', callee: 'db', stats: stats(100, 1, 20) },
      ],
    );
    const reach = reachOf(chainInput(signals));
    expect(reach.judgedByCalls).toBe(true);
    expect(reach.strength('api', 'db')).toBe(1);
    expect(reach.failsElsewhere('api', 'db')).toBe(false);
    expect(reach.strength('web', 'db')).toBeCloseTo(0.15, 10);
    expect(reach.strength('api', 'cache')).toBeCloseTo(0.15, 10);
    expect(reach.failsElsewhere('api', 'cache')).toBe(true);
    expect(reach.failsElsewhere('web', 'cache')).toBe(true);
    expect(reach.explainedBelow('api')).toBe(true);
  });

  it('gives each ranking its own answers, however their searches interleave', () => {
    const judged = () =>
      reachOf(
        chainInput(
          signalsFrom(
            [
              { caller: 'web', callee: 'api', stats: stats(100, 1, 20) },
              { caller: 'api', callee: 'db', stats: stats(100, 60, 20) },
            ],
            [{ caller: 'api', callee: 'db', stats: stats(100, 1, 20) }],
          ),
        ),
      );
    const other = buildDependencyGraph([edge('a', 'b'), edge('b', 'c'), edge('x', 'c')]);
    const otherInput: RankingInput = { alerts: [alert('a', 'HighErrorRate', 0), alert('x', 'HighErrorRate', 0)], graph: other, traceSignals: new Map(), changes: [], history: [], onset: T0 };
    const questions: Array<[string, string]> = [
      ['web', 'db'],
      ['api', 'cache'],
      ['web', 'cache'],
    ];
    const otherQuestions: Array<[string, string]> = [
      ['a', 'c'],
      ['x', 'c'],
      ['a', 'b'],
    ];
    const alone = questions.map(([from, to]) => [judged().strength(from, to), judged().failsElsewhere(from, to)]);
    const otherAlone = otherQuestions.map(([from, to]) => reachOf(otherInput).strength(from, to));
    const first = judged();
    const second = reachOf(otherInput);
    const interleaved: unknown[] = [];
    const otherInterleaved: number[] = [];
    for (let i = 0; i < questions.length; i++) {
      otherInterleaved.push(second.strength(...otherQuestions[i]!));
      interleaved.push([first.strength(...questions[i]!), first.failsElsewhere(...questions[i]!)]);
    }
    expect(interleaved).toEqual(alone);
    expect(otherInterleaved).toEqual(otherAlone);
    // Without calls to judge, a → b → c passes b, which does not fail: 0.8 (SILENT_HOP_FACTOR); x calls c directly.
    expect(otherAlone).toEqual([0.8, 1, 1]);
  });
});
