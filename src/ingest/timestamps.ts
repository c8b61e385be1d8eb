// Sender times to epoch milliseconds: RFC 3339 (any fraction digits), Go's zero time, epoch s/ms.
import { z } from 'zod';

// Fraction digits beyond milliseconds (Alertmanager sends nanoseconds) are truncated, not rounded,
// so a time never moves past the instant it names.
//
// Read by hand rather than by a regular expression and a Date: every alert of every webhook carries one or two of
// these, and the expression with its match array, substrings and Date cost ~390 ns a time, several per cent of
// the ingest route's CPU (docs/benchmarks.md). The grammar is the expression's:
//   ^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$
// (test/unit/ingest/timestamps.test.ts holds the two equal on generated strings).

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const ZERO = 48;
const DAY_MS = 86_400_000;

export const RFC3339_HINT = 'expected an RFC 3339 time such as 2026-11-24T00:41:28.123456789Z';

/** The number of `n` ASCII digits at `at`, or -1 when any is not a digit. */
function digits(text: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil), for any year 0..9999. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Epoch ms of an RFC 3339 time, or undefined when `text` is not one. */
export function parseRfc3339(text: string): number | undefined {
  const len = text.length;
  if (len < 20) return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  const t = text.charCodeAt(10);
  if (
    year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 ||
    text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || (t !== 84 && t !== 116 && t !== 32) ||
    text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58
  ) {
    return undefined;
  }
  if (month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1]!) return undefined;
  if (month === 2 && day === 29 && !isLeapYear(year)) return undefined;
  // 60 is a leap second: RFC 3339 allows it; it folds onto the next second.
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  let at = 19;
  let ms = 0;
  if (text.charCodeAt(at) === 46) {
    const first = ++at;
    while (at < len) {
      const d = text.charCodeAt(at) - ZERO;
      if (d < 0 || d > 9) break;
      if (at - first < 3) ms = ms * 10 + d;
      at++;
    }
    if (at === first) return undefined;
    for (let k = Math.min(at - first, 3); k < 3; k++) ms *= 10;
  }
  let offsetMinutes = 0;
  const z = text.charCodeAt(at);
  if (z === 90 || z === 122) {
    if (at + 1 !== len) return undefined;
  } else if (z === 43 || z === 45) {
    const offH = digits(text, at + 1, 2);
    const offM = digits(text, at + 4, 2);
    if (at + 6 !== len || offH < 0 || offM < 0 || text.charCodeAt(at + 3) !== 58) return undefined;
    if (offH > 23 || offM > 59) return undefined;
    offsetMinutes = (z === 45 ? -1 : 1) * (offH * 60 + offM);
  } else return undefined;
  return daysFromCivil(year, month, day) * DAY_MS + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + ms;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Go's zero time.Time, which Alertmanager and Grafana send as `endsAt` of a firing alert.
 * Any time in year 1 is read as "no time": no real alert starts or ends then.
 */
export function isGoZeroTime(text: string): boolean {
  return text.startsWith('0001-');
}

/**
 * Epoch ms of an epoch number in seconds or milliseconds. Values below 1e11 are seconds: 1e11 s is
 * the year 5138, while 1e11 ms is March 1973, before any sender we read existed.
 */
export function epochToMs(value: number): number {
  return Math.abs(value) < 1e11 ? Math.round(value * 1000) : Math.round(value);
}

const EPOCH_DIGITS = /^-?\d+(?:\.\d+)?$/;

/** Epoch s/ms as a number or a numeric string (Datadog renders `$DATE` into a string), or RFC 3339. */
export function parseEpochOrRfc3339(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? epochToMs(value) : undefined;
  if (EPOCH_DIGITS.test(value)) return epochToMs(Number(value));
  return parseRfc3339(value);
}

/** Zod: an RFC 3339 string, output as epoch ms. */
export const rfc3339Ms = z.string().transform((text, ctx) => {
  const ms = parseRfc3339(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `${RFC3339_HINT}, got ${JSON.stringify(text.slice(0, 40))}` });
    return z.NEVER;
  }
  return ms;
});

/** Zod: an RFC 3339 end time; Go's zero time (and '') mean "no end" and become null. */
export const endTimeMs = z.string().transform((text, ctx): number | null => {
  if (text === '' || isGoZeroTime(text)) return null;
  const ms = parseRfc3339(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `${RFC3339_HINT} (or 0001-01-01T00:00:00Z for no end), got ${JSON.stringify(text.slice(0, 40))}` });
    return z.NEVER;
  }
  return ms;
});

/** Zod: epoch seconds or milliseconds (number or numeric string) or RFC 3339, output as epoch ms. */
export const epochOrRfc3339Ms = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const ms = parseEpochOrRfc3339(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected epoch seconds/milliseconds or an RFC 3339 time, got ${JSON.stringify(String(value).slice(0, 40))}`,
    });
    return z.NEVER;
  }
  return ms;
});
