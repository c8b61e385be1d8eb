// Short human formats shared by the Slack views: ages, percentages, scores, severities, name lists.
import type { Severity } from '../../model/alert.js';
import { escapeMrkdwn } from './block-kit.js';

const MINUTE = 60_000;

/** "under a minute", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatAge(ms: number): string {
  const m = Math.floor(Math.max(0, ms) / MINUTE);
  if (m < 1) return 'under a minute';
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** "09:41 UTC" (with the date when it is not the day of `now`). */
export function formatTime(ms: number, now: number): string {
  const iso = new Date(ms).toISOString();
  const sameDay = iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10);
  return sameDay ? `${iso.slice(11, 16)} UTC` : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export function formatPct(x: number): string {
  const p = x * 100;
  return p > 0 && p < 1 ? `${p.toFixed(1)}%` : `${Math.round(p)}%`;
}

export function formatScore(score: number): string {
  return score.toFixed(2);
}

export const SEVERITY_ICON: Record<Severity, string> = {
  critical: ':red_circle:',
  error: ':large_orange_circle:',
  warning: ':large_yellow_circle:',
  info: ':large_blue_circle:',
  unknown: ':white_circle:',
};

export function severityLabel(s: Severity): string {
  return `${SEVERITY_ICON[s]} ${s.toUpperCase()}`;
}

/** "a, b, c and 12 more", names escaped and in code style. */
export function listNames(names: readonly string[], max: number): string {
  const shown = names.slice(0, max).map((n) => `\`${escapeMrkdwn(n)}\``);
  return names.length > max ? `${shown.join(', ')} and ${names.length - max} more` : shown.join(', ');
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
