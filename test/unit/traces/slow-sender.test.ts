// Whose delay a gap between the two timings of a call is (decision 011): numbers in, verdicts out.
import { describe, it, expect } from 'vitest';
import { driftOf, gapIsCallers, senderEvidence, sendingDelayMs, type EdgeTimes } from '../../../src/traces/slow-sender.js';

/** `calls` calls the callee answered in `answerMs` each and the caller waited `waitedMs` for. */
function times(calls: number, answerMs: number, waitedMs: number, instrumented = true): EdgeTimes {
  return { calls, errors: 0, latencySumMs: calls * answerMs, clientLatencySumMs: calls * waitedMs, instrumented };
}

describe('the gap between how long a caller waited and how long the callee took', () => {
  it('counts only when it is clearly more than the network adds, on the calls of an instrumented callee', () => {
    expect(driftOf(times(10, 20, 70))).toBeCloseTo(50);
    expect(driftOf(times(10, 20, 25))).toBe(0); // 5 ms: under the 10 ms floor
    expect(driftOf(times(10, 100, 125))).toBe(0); // 25 ms on a 100 ms answer: under 30% of it
    expect(driftOf(times(10, 100, 135))).toBeCloseTo(35);
    expect(driftOf(times(1, 20, 300))).toBeCloseTo(280); // one call is a measurement: a gap has no long tail (decision 015)
    expect(driftOf(times(1, 20, 22))).toBe(0);
    expect(driftOf(times(0, 0, 0))).toBe(0); // no calls
    expect(driftOf(times(10, 300, 300, false))).toBe(0); // no server timing to compare with
  });

  it('counts gaps per direction, with their mean', () => {
    // One vote per edge, whatever its calls: the edge of 2 calls counts as much as those of 10; the one of none not at all.
    const e = senderEvidence([times(10, 5, 305), times(10, 8, 208), times(10, 8, 9), null, times(2, 1, 201), times(0, 0, 0)], [times(10, 20, 21)]);
    expect(e.out).toEqual({ gap: 3, clean: 1 });
    expect(e.in).toEqual({ gap: 0, clean: 1 });
    expect(e.meanGapMs).toBeCloseTo((300 + 200 + 200) / 3);
  });
});

describe('whose delay a gap on one call is', () => {
  const gap = times(10, 5, 305);
  const clean = times(10, 5, 6);
  it("is the caller's when its other calls out wait too, or the callee answers its other callers on time", () => {
    expect(gapIsCallers(senderEvidence([gap, gap], []), senderEvidence([], [gap]))).toBe(true); // starved: reads every answer late
    expect(gapIsCallers(senderEvidence([gap], []), senderEvidence([], [gap, clean]))).toBe(true); // another caller is served on time
    expect(gapIsCallers(senderEvidence([gap], [gap]), senderEvidence([], [gap]))).toBe(true); // its own answers leave late too
  });

  it("is the callee's when its other callers wait too, its own requests leave late, or the caller waits on nothing else", () => {
    expect(gapIsCallers(senderEvidence([gap], []), senderEvidence([], [gap, gap]))).toBe(false);
    expect(gapIsCallers(senderEvidence([gap], []), senderEvidence([gap], [gap]))).toBe(false);
    expect(gapIsCallers(senderEvidence([gap, clean], []), senderEvidence([], [gap]))).toBe(false);
    // One call and nothing to compare it with: the caller's wait is all there is.
    expect(gapIsCallers(senderEvidence([gap], []), senderEvidence([], [gap]))).toBe(false);
    // A caller's clean incoming calls say nothing: a starved process still answers on time by its own spans.
    expect(gapIsCallers(senderEvidence([gap, gap], [clean, clean, clean]), senderEvidence([], [gap]))).toBe(true);
  });

  it('takes what a slow sender adds off its calls that have no other timing', () => {
    expect(sendingDelayMs(senderEvidence([times(10, 5, 305), times(10, 5, 105)], []))).toBeCloseTo(200);
    expect(sendingDelayMs(senderEvidence([times(10, 5, 305)], [times(10, 5, 105)]))).toBeCloseTo(200);
    expect(sendingDelayMs(senderEvidence([times(10, 5, 305), times(10, 5, 6), times(10, 5, 6)], []))).toBe(0); // one slow callee among healthy ones
    expect(sendingDelayMs(senderEvidence([], []))).toBe(0);
  });
});
