// The generator's truth: which fault a rule's firing is attributed to, by counterfactual (alert-emitter.ts).
import { describe, expect, it } from 'vitest';
import { attributeFiring, type RuleCondition, type WindowStats } from '../../../bench/scenarios/alert-emitter.js';
import { LATENCY_BUCKET_BOUNDS, latencyBucket, type CallCounts } from '../../../bench/scenarios/traffic-generator.js';

/** Calls with `errors` of them failed and `slow` of them taking 800 ms (the rest 20 ms). */
function counts(calls: number, errors: number, slow = 0): CallCounts {
  const hist = new Array<number>(LATENCY_BUCKET_BOUNDS.length).fill(0);
  hist[latencyBucket(20)] = calls - slow;
  hist[latencyBucket(800)] = slow;
  return { calls, errors, latencyHist: hist };
}

/** A window whose totals include the calls each fault touched. */
function window(untouched: CallCounts, touched: Record<number, CallCounts> = {}): WindowStats {
  const total = { calls: untouched.calls, errors: untouched.errors, latencyHist: [...untouched.latencyHist] };
  const byCause = new Map<number, CallCounts>();
  for (const [k, c] of Object.entries(touched)) {
    byCause.set(Number(k), c);
    total.calls += c.calls;
    total.errors += c.errors;
    c.latencyHist.forEach((n, i) => (total.latencyHist[i]! += n));
  }
  return { ...total, byCause };
}

const errorRule: RuleCondition = { signal: 'errors', threshold: 0.05, minCalls: 10, minErrors: 2 };
const latencyRule: RuleCondition = { signal: 'latency', threshold: 300, minCalls: 10, minErrors: 0 };

describe('attributeFiring', () => {
  it('gives a firing to the fault whose touched calls pushed it over the threshold, however few they were', () => {
    // 2 % errors among the untouched calls; the fault touched 4 % of the calls and failed them all: 6 % > 5 %.
    const w = window(counts(96, 2), { 0: counts(4, 4) });
    expect(attributeFiring(errorRule, [w])).toBe(0);
  });

  it('calls a firing a false positive when the untouched calls alone hold the condition', () => {
    // A badly tuned rule: 8 % errors among the untouched calls, whatever the fault did to a third of them.
    const w = window(counts(60, 5), { 0: counts(30, 30) });
    expect(attributeFiring(errorRule, [w])).toBe(-1);
  });

  it('prefers the fault without which it would not have fired over one that touched more calls', () => {
    // Fault 1 touched many calls but made none fail; fault 0 touched few and made them fail.
    const w = window(counts(60, 1), { 0: counts(6, 6), 1: counts(34, 0) });
    expect(attributeFiring(errorRule, [w])).toBe(0);
  });

  it('gives an overdetermined firing (either fault alone would do) to the fault that touched most calls', () => {
    const w = window(counts(80, 0), { 0: counts(8, 8), 1: counts(12, 12) });
    expect(attributeFiring(errorRule, [w])).toBe(1);
  });

  it('reads latency the same way: the p95 of the untouched calls decides', () => {
    const slowBecauseOfFault = window(counts(90, 0, 0), { 0: counts(10, 0, 10) });
    expect(attributeFiring(latencyRule, [slowBecauseOfFault])).toBe(0);
    const slowAnyway = window(counts(90, 0, 9), { 0: counts(10, 0, 10) });
    expect(attributeFiring(latencyRule, [slowAnyway])).toBe(-1);
  });

  it('asks about every evaluation of the pending period: one that would have failed without the fault is enough', () => {
    const holdsAnyway = window(counts(60, 5), { 0: counts(30, 30) });
    const needsTheFault = window(counts(96, 2), { 0: counts(4, 4) });
    expect(attributeFiring(errorRule, [holdsAnyway, needsTheFault])).toBe(0);
    expect(attributeFiring(errorRule, [holdsAnyway, holdsAnyway])).toBe(-1);
  });

  it('asks the untouched calls alone to pass the rule minimum of calls: too few of them is no evidence of firing anyway', () => {
    // 2 errors in 8 untouched calls is 25 %, but the rule wants 10 calls before it judges a ratio.
    const w = window(counts(8, 2), { 0: counts(92, 92) });
    expect(attributeFiring(errorRule, [w])).toBe(0);
  });

  it('calls a firing no fault touched a false positive', () => {
    expect(attributeFiring(errorRule, [window(counts(100, 9))])).toBe(-1);
  });
});
