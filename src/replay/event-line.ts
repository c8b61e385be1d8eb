// One line of the recorded event stream (CONTRACT §1): `{"type", "receivedAt", "payload"}`, validated.
import { z } from 'zod';
import { EVENT_TYPES, type EventType } from '../model/event.js';

const EventLineSchema = z.object({
  type: z.string().min(1),
  receivedAt: z.iso.datetime({ offset: true }),
  payload: z.unknown(),
});

export type EventLine =
  | { ok: true; type: EventType; receivedAt: number; payload: unknown }
  | { ok: false; unknownType?: string; reason: string };

const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);

/** Parses and validates one line; never throws. */
export function parseEventLine(line: string): EventLine {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
  }
  const parsed = EventLineSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, reason: `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}` };
  }
  const { type, receivedAt, payload } = parsed.data;
  if (!KNOWN_TYPES.has(type)) return { ok: false, unknownType: type, reason: `unknown type "${type}"` };
  if (payload === undefined) return { ok: false, reason: 'payload: required' };
  return { ok: true, type: type as EventType, receivedAt: Date.parse(receivedAt), payload };
}
