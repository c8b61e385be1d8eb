// Test support for ingest parsers: fixture payloads and a parse context.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Alert } from '../../../src/model/alert.js';
import type { Change } from '../../../src/model/change.js';
import { DEFAULT_SERVICE_LABELS, type IngestContext, type ParseResult } from '../../../src/ingest/source.js';

const ROOT = fileURLToPath(new URL('../../../fixtures/payloads/', import.meta.url));

export function rawPayload(source: string, file: string): Buffer {
  return readFileSync(`${ROOT}${source}/${file}`);
}

/** Parsed fixture, untyped on purpose: tests break fields of it to check the issues reported. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function payload(source: string, file: string): any {
  return JSON.parse(rawPayload(source, file).toString('utf8'));
}

export const RECEIVED_AT = Date.parse('2026-11-24T01:00:00.000Z');

export function context(serviceLabels: readonly string[] = DEFAULT_SERVICE_LABELS, receivedAt = RECEIVED_AT): IngestContext {
  return { serviceLabels, receivedAt };
}

/** The alerts of an ok result; throws (failing the test) with the issues otherwise. */
export function alertsOf(result: ParseResult): Alert[] {
  if (!result.ok) throw new Error(`expected ok, got issues ${JSON.stringify(result.issues)}`);
  if (result.event.kind !== 'alerts') throw new Error(`expected alerts, got ${result.event.kind}`);
  return result.event.alerts;
}

export function changesOf(result: ParseResult): Change[] {
  if (!result.ok) throw new Error(`expected ok, got issues ${JSON.stringify(result.issues)}`);
  if (result.event.kind !== 'changes') throw new Error(`expected changes, got ${result.event.kind}`);
  return result.event.changes;
}

export function issuesOf(result: ParseResult): { path: string; message: string }[] {
  if (result.ok) throw new Error('expected the body to be rejected');
  return result.issues;
}
