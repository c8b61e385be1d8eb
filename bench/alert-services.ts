// Which service each alert of a recorded stream names, read by the product's own parsers (the CONTRACT's service
// labels): tells the eval whether a labelled incident's root raised an alert of its own.
import { ingestSources } from '../src/ingest/registry.js';
import { DEFAULT_SERVICE_LABELS } from '../src/ingest/source.js';
import type { EventType } from '../src/model/event.js';

/** Fingerprint → service of every alert in the stream's lines; lines that do not parse, or carry no alerts, add nothing. */
export function alertServices(lines: readonly string[]): Map<string, string> {
  const services = new Map<string, string>();
  for (const line of lines) {
    if (line.trim() === '') continue;
    let envelope: { type?: unknown; receivedAt?: unknown; payload?: unknown };
    try {
      envelope = JSON.parse(line) as typeof envelope;
    } catch {
      continue;
    }
    const source = typeof envelope.type === 'string' ? ingestSources[envelope.type as EventType] : undefined;
    if (!source || source.type === 'otlp') continue;
    const receivedAt = typeof envelope.receivedAt === 'string' ? Date.parse(envelope.receivedAt) : 0;
    const parsed = source.parse(envelope.payload, { serviceLabels: DEFAULT_SERVICE_LABELS, receivedAt });
    if (!parsed.ok || parsed.event.kind !== 'alerts') continue;
    for (const alert of parsed.event.alerts) if (alert.service) services.set(alert.fingerprint, alert.service);
  }
  return services;
}
