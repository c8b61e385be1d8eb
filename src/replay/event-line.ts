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

/**
 * The last receivedAt the schema accepted, and its time. Recorders stamp many lines alike (a batch, a second), so
 * a line whose receivedAt is that same string needs no second run of the schema: the hand check below accepts
 * exactly what the schema would for such a line (an object whose type is a non-empty string, with a payload);
 * anything else goes through the schema for its verdict and message.
 */
let lastReceivedAt: string | null = null;
let lastReceivedMs = 0;

/** Parses and validates one line; never throws. */
export function parseEventLine(line: string): EventLine {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
  }
  let type: string;
  let receivedAt: number;
  let payload: unknown;
  const fields = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : null;
  if (
    fields !== null &&
    typeof fields.receivedAt === 'string' &&
    fields.receivedAt === lastReceivedAt &&
    typeof fields.type === 'string' &&
    fields.type.length > 0 &&
    fields.payload !== undefined
  ) {
    type = fields.type;
    receivedAt = lastReceivedMs;
    payload = fields.payload;
  } else {
    const parsed = EventLineSchema.safeParse(raw);
    if (!parsed.success) {
      // Every problem of the line at once, an unknown type first: a line of another recorder's format says so.
      const reasons = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
      const named = fields?.type;
      if (typeof named === 'string' && named !== '' && !KNOWN_TYPES.has(named)) {
        return { ok: false, unknownType: named, reason: [`unknown type "${named}"`, ...reasons].join('; ') };
      }
      return { ok: false, reason: reasons.join('; ') };
    }
    type = parsed.data.type;
    payload = parsed.data.payload;
    receivedAt = Date.parse(parsed.data.receivedAt);
    lastReceivedAt = parsed.data.receivedAt;
    lastReceivedMs = receivedAt;
  }
  if (!KNOWN_TYPES.has(type)) return { ok: false, unknownType: type, reason: `unknown type "${type}"` };
  if (payload === undefined) return { ok: false, reason: 'payload: required' };
  return { ok: true, type: type as EventType, receivedAt, payload };
}
