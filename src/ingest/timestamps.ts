// Sender times to epoch milliseconds: RFC 3339 (any fraction digits), Go's zero time, epoch s/ms.
import { z } from 'zod';

// Fraction digits beyond milliseconds (Alertmanager sends nanoseconds) are truncated, not rounded,
// so a time never moves past the instant it names.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export const RFC3339_HINT = 'expected an RFC 3339 time such as 2026-11-24T00:41:28.123456789Z';

/** Epoch ms of an RFC 3339 time, or undefined when `text` is not one. */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1]!) return undefined;
  if (month === 2 && day === 29 && !isLeapYear(year)) return undefined;
  // 60 is a leap second: RFC 3339 allows it; it folds onto the next second.
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const fraction = m[7];
  const ms = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const offH = Number(m[10]);
    const offM = Number(m[11]);
    if (offH > 23 || offM > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offH * 60 + offM);
  }
  // Date.UTC maps years 0..99 to 1900+; setUTCFullYear does not.
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms));
  date.setUTCFullYear(year);
  return date.getTime() - offsetMinutes * 60_000;
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
