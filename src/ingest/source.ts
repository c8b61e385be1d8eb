// What every ingest source is: a validator plus a pure normaliser from a sender's body to normalised events.
import type { NormalizedEvent, EventType } from '../model/event.js';

/** A problem with one field of an input, named by its path (e.g. "alerts.3.startsAt"). */
export interface InputIssue {
  path: string;
  message: string;
}

export interface IngestContext {
  /** Label names that name a service, first present wins (CONTRACT §1). */
  serviceLabels: readonly string[];
  /** When the body arrived (the replay clock). Epoch ms. */
  receivedAt: number;
}

export type ParseResult =
  /** Valid items normalised; `rejected` lists items of a batch that were invalid and skipped. */
  | { ok: true; event: NormalizedEvent; accepted: number; rejected: InputIssue[] }
  /** Nothing usable: the whole body is invalid. */
  | { ok: false; issues: InputIssue[] };

export interface IngestSource {
  type: EventType;
  /** `body` is the parsed JSON body (or, for OTLP protobuf, the decoded request in OTLP/JSON form). */
  parse(body: unknown, ctx: IngestContext): ParseResult;
}

/** Default service label list of CONTRACT §1. */
export const DEFAULT_SERVICE_LABELS = ['service', 'app', 'app_kubernetes_io_name', 'job', 'deployment', 'container'] as const;

/** Turns zod issues into our path/message pairs, optionally prefixing a path (the item's place in a batch). */
export function toInputIssues(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
  prefix: ReadonlyArray<PropertyKey> = [],
): InputIssue[] {
  return issues.map((i) => ({ path: [...prefix, ...i.path].map(String).join('.') || '(root)', message: i.message }));
}
