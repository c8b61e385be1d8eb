// Shared batch handling: validate each item on its own, keep the valid ones, name the bad ones by path.
import type { z } from 'zod';
import type { Alert } from '../model/alert.js';
import type { Change } from '../model/change.js';
import { toInputIssues, type InputIssue, type ParseResult } from './source.js';

/** Valid items, normalised, and the issues of the invalid ones (paths prefixed by the item's place). */
export interface BatchItems<T> {
  accepted: T[];
  rejected: InputIssue[];
}

/**
 * Validates `items[i]` against `schema` one by one and normalises the valid ones. An invalid item's
 * issues get the path `<prefix>.<i>.<field>` (e.g. `alerts.3.startsAt`); the other items are kept.
 * `normalise` may return null to skip an item that is valid but carries nothing (e.g. an ignored state).
 */
export function parseItems<S extends z.ZodType, T>(
  items: readonly unknown[],
  schema: S,
  prefix: readonly PropertyKey[],
  normalise: (item: z.output<S>, index: number) => T | null,
  /** A cheaper check that recognises plainly valid items with the schema's output, else undefined (labelled-alert-check.ts). */
  quickCheck?: (item: unknown) => z.output<S> | undefined,
): BatchItems<T> {
  const accepted: T[] = [];
  let rejected: InputIssue[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const quick = quickCheck?.(items[i]);
    if (quick !== undefined) {
      const value = normalise(quick, i);
      if (value !== null) accepted.push(value);
      continue;
    }
    const parsed = schema.safeParse(items[i]);
    if (parsed.success) {
      const value = normalise(parsed.data as z.output<S>, i);
      if (value !== null) accepted.push(value);
    } else {
      (rejected ??= []).push(...toInputIssues(parsed.error.issues, [...prefix, i]));
    }
  }
  return { accepted, rejected: rejected ?? [] };
}

/** Parses the envelope of a body (everything but the items); issues name the failing fields. */
export function parseEnvelope<S extends z.ZodType>(
  schema: S,
  body: unknown,
): { ok: true; data: z.output<S> } | { ok: false; issues: InputIssue[] } {
  const parsed = schema.safeParse(body);
  if (parsed.success) return { ok: true, data: parsed.data as z.output<S> };
  return { ok: false, issues: toInputIssues(parsed.error.issues) };
}

/**
 * The ParseResult of an alert batch. A batch whose every item was invalid is an invalid body (the
 * sender gets a 400 naming each item); an empty batch, or one with some valid items, is accepted.
 */
export function alertsResult(receivedAt: number, batch: BatchItems<Alert>): ParseResult {
  if (batch.accepted.length === 0 && batch.rejected.length > 0) return { ok: false, issues: batch.rejected };
  return {
    ok: true,
    event: { kind: 'alerts', receivedAt, alerts: batch.accepted },
    accepted: batch.accepted.length,
    rejected: batch.rejected,
  };
}

/** The ParseResult of zero or more changes (deploy sources send one change per body). */
export function changesResult(receivedAt: number, changes: Change[]): ParseResult {
  return { ok: true, event: { kind: 'changes', receivedAt, changes }, accepted: changes.length, rejected: [] };
}

/** A single-alert body: one alert, or none when the body is valid but carries no alert. */
export function singleAlertResult(receivedAt: number, alert: Alert | null): ParseResult {
  const alerts = alert === null ? [] : [alert];
  return { ok: true, event: { kind: 'alerts', receivedAt, alerts }, accepted: alerts.length, rejected: [] };
}
