import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { endTimeMs, epochOrRfc3339Ms, epochToMs, isGoZeroTime, parseEpochOrRfc3339, parseRfc3339, rfc3339Ms } from '../../../src/ingest/timestamps.js';

describe('parseRfc3339', () => {
  it('reads Alertmanager nanoseconds, truncating below the millisecond', () => {
    expect(parseRfc3339('2026-11-24T00:41:28.123456789Z')).toBe(Date.parse('2026-11-24T00:41:28.123Z'));
    expect(parseRfc3339('2026-11-24T00:30:21.650159106Z')).toBe(Date.parse('2026-11-24T00:30:21.650Z'));
    expect(parseRfc3339('2026-11-24T00:30:21.9999Z')).toBe(Date.parse('2026-11-24T00:30:21.999Z'));
  });

  it('reads offsets, short fractions and no fraction', () => {
    expect(parseRfc3339('2021-10-12T09:51:03.157076+02:00')).toBe(Date.parse('2021-10-12T07:51:03.157Z'));
    expect(parseRfc3339('2026-11-24T00:00:00.5-05:30')).toBe(Date.parse('2026-11-24T05:30:00.500Z'));
    expect(parseRfc3339('2026-11-24T00:41:28Z')).toBe(Date.parse('2026-11-24T00:41:28Z'));
  });

  it('rejects what is not a valid RFC 3339 time', () => {
    for (const bad of ['2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-11-24T24:00:00Z',
      '2026-11-24', '2026-11-24T00:00:00', 'yesterday', '1795481280000', '2026-11-24T00:00:00+2:00']) {
      expect(parseRfc3339(bad), bad).toBeUndefined();
    }
    expect(parseRfc3339('2024-02-29T12:00:00Z')).toBe(Date.parse('2024-02-29T12:00:00Z'));
  });

  it('agrees with Date for any millisecond-precision time (property)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true }), (d) => {
        expect(parseRfc3339(d.toISOString())).toBe(d.getTime());
      }),
    );
  });
});

describe('Go zero time and epochs', () => {
  it('reads 0001-01-01T00:00:00Z as "no end"', () => {
    expect(isGoZeroTime('0001-01-01T00:00:00Z')).toBe(true);
    expect(endTimeMs.parse('0001-01-01T00:00:00Z')).toBeNull();
    expect(endTimeMs.parse('2026-11-24T00:52:13Z')).toBe(Date.parse('2026-11-24T00:52:13Z'));
  });

  it('tells epoch seconds from milliseconds', () => {
    expect(epochToMs(1795481280)).toBe(1795481280000);
    expect(epochToMs(1795481280000)).toBe(1795481280000);
    expect(epochToMs(1795481280.5)).toBe(1795481280500);
    expect(parseEpochOrRfc3339('1795481280000')).toBe(1795481280000);
    expect(parseEpochOrRfc3339('1795481280')).toBe(1795481280000);
    expect(parseEpochOrRfc3339('2026-11-24T00:48:00Z')).toBe(1795481280000);
    expect(parseEpochOrRfc3339('soon')).toBeUndefined();
    expect(parseEpochOrRfc3339(Number.NaN)).toBeUndefined();
  });
});

describe('zod time schemas', () => {
  it('name the field and say what was expected', () => {
    const schema = z.object({ startsAt: rfc3339Ms, at: epochOrRfc3339Ms });
    const result = schema.safeParse({ startsAt: '24/11/2026', at: 'later' });
    expect(result.success).toBe(false);
    const issues = result.error!.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    expect(issues).toEqual([
      { path: 'startsAt', message: 'expected an RFC 3339 time such as 2026-11-24T00:41:28.123456789Z, got "24/11/2026"' },
      { path: 'at', message: 'expected epoch seconds/milliseconds or an RFC 3339 time, got "later"' },
    ]);
  });
});
