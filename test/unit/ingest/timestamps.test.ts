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

/** The definition parseRfc3339 is read by hand from: a regular expression and Date (as implemented until session 13). */
function referenceRfc3339(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  const leap = (year! % 4 === 0 && year! % 100 !== 0) || year! % 400 === 0;
  if (month! < 1 || month! > 12 || day! < 1 || day! > [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month! - 1]!) return undefined;
  if (month === 2 && day === 29 && !leap) return undefined;
  if (hour! > 23 || minute! > 59 || second! > 60) return undefined;
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    if (Number(m[10]) > 23 || Number(m[11]) > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  }
  // The seconds are added after the year is set: a leap second on 31 December rolls into the next year (the old
  // implementation rolled 2000's date over first, then set the year, and read it as 1 January of the same year).
  const date = new Date(Date.UTC(2000, month! - 1, day, hour, minute));
  date.setUTCFullYear(year!);
  return date.getTime() + second! * 1000 + ms - offsetMinutes * 60_000;
}

describe('parseRfc3339 read by hand', () => {
  const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
  // Near-RFC 3339 text: every part in and out of range, every separator right and wrong, fractions of any length,
  // every kind of zone and some malformed ones, and now and then a character dropped, swapped or added.
  const nearly = fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
      fc.constantFrom('-', '-', '/', ''),
      two(14),
      two(33),
      fc.constantFrom('T', 't', ' ', 'T', '_'),
      two(25),
      fc.constantFrom(':', ':', '.'),
      two(61),
      two(62),
      fc.option(fc.stringMatching(/^[0-9]{0,12}$/)),
      fc.constantFrom('Z', 'z', '+02:00', '-05:30', '+23:59', '-24:00', '+12:60', '+2:00', '+0200', 'Z ', '', 'UTC'),
      fc.option(fc.tuple(fc.nat(), fc.constantFrom('', 'x', '9', '\u0663'))),
    )
    .map(([y, dash, mo, d, t, h, colon, mi, sec, frac, zone, edit]) => {
      let text = `${y}${dash}${mo}${dash}${d}${t}${h}${colon}${mi}:${sec}${frac === null ? '' : `.${frac}`}${zone}`;
      if (edit !== null) {
        const at = edit[0] % (text.length + 1);
        text = text.slice(0, at) + edit[1] + text.slice(at + (edit[1] === '' ? 1 : 0));
      }
      return text;
    });

  it('reads exactly what the regular expression and Date read (property)', () => {
    fc.assert(
      fc.property(nearly, (text) => {
        expect(parseRfc3339(text)).toBe(referenceRfc3339(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it('agrees on leap seconds, day-crossing offsets and years before 100', () => {
    for (const text of ['2016-12-31T23:59:60Z', '2026-11-24T00:30:00+05:30', '2026-11-23T23:30:00-01:00', '0050-06-15T12:00:00Z', '0000-02-29T00:00:00Z', '9999-12-31T23:59:59.999Z']) {
      expect(parseRfc3339(text), text).toBe(referenceRfc3339(text));
      expect(parseRfc3339(text), text).not.toBeUndefined();
    }
    expect(parseRfc3339('2016-12-31T23:59:60Z')).toBe(Date.parse('2017-01-01T00:00:00Z'));
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
