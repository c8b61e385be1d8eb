// rcabot's generic deploy event (CONTRACT §1): {service, version, previousVersion?, environment?,
// timestamp, author?, source?} → one Change.
import { z } from 'zod';
import type { Change } from '../model/change.js';
import { changesResult, parseEnvelope } from './batch.js';
import { stableId } from './fingerprint.js';
import type { IngestSource } from './source.js';
import { epochOrRfc3339Ms } from './timestamps.js';

const optionalText = z.string().nullable().optional();

export const DeploySchema = z.object({
  service: z.string().min(1, 'service must not be empty'),
  version: z.string().min(1, 'version must not be empty'),
  previousVersion: optionalText,
  environment: optionalText,
  /** RFC 3339, or epoch seconds/milliseconds. */
  timestamp: epochOrRfc3339Ms,
  author: optionalText,
  /** Free text naming the deploying system (e.g. "jenkins"); informational only. */
  source: optionalText,
});
export type DeployEvent = z.output<typeof DeploySchema>;

/**
 * Id of a change: hash of service, version and time (epoch ms, so "…Z" and "…+00:00" agree).
 * The same deploy reported twice (sender retry, replayed stream) gets the same id.
 */
export function changeId(service: string, version: string, at: number): string {
  return stableId([service, version, String(at)]);
}

export function toDeployChange(d: DeployEvent): Change {
  return {
    id: changeId(d.service, d.version, d.timestamp),
    service: d.service,
    version: d.version,
    previousVersion: d.previousVersion || null,
    environment: d.environment || null,
    at: d.timestamp,
    author: d.author || null,
    source: 'deploy',
  };
}

export const deploySource: IngestSource = {
  type: 'deploy',
  parse(body, ctx) {
    const parsed = parseEnvelope(DeploySchema, body);
    if (!parsed.ok) return parsed;
    return changesResult(ctx.receivedAt, [toDeployChange(parsed.data)]);
  },
};
