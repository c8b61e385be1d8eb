import { describe, it, expect } from 'vitest';
import { addCall, emptyCallStats, latencyQuantileMs, mergeCallStats } from '../../../src/model/trace-aggregate.js';

describe('call statistics', () => {
  it('counts calls, errors and latency buckets, and merges them', () => {
    const a = emptyCallStats();
    addCall(a, 3, false);
    addCall(a, 700, true);
    const b = emptyCallStats();
    addCall(b, 40, false);
    mergeCallStats(a, b);
    expect(a.calls).toBe(3);
    expect(a.errors).toBe(1);
    expect(a.latencySumMs).toBe(743);
    expect(latencyQuantileMs(a, 0.5)).toBe(50);
    expect(latencyQuantileMs(a, 0.99)).toBe(1000);
  });
});
