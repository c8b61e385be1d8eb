// One recorded event (CONTRACT §1) with the time it arrives, before it is written as an ndjson line.

export interface TimedEvent {
  at: number;
  type: string;
  payload: unknown;
}

/** Sorts by arrival (stable) and renders the ndjson lines. */
export function renderEventLines(events: TimedEvent[]): string[] {
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.at - b.e.at || a.i - b.i)
    .map(({ e }) => JSON.stringify({ type: e.type, receivedAt: new Date(Math.round(e.at)).toISOString(), payload: e.payload }));
}

/** RFC 3339 with nanoseconds, as Prometheus and Alertmanager write their timestamps. */
export function isoNano(ms: number, nanoDigits: string): string {
  return new Date(Math.floor(ms)).toISOString().replace(/\.(\d{3})Z$/, `.$1${nanoDigits}Z`);
}
