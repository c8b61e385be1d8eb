// Argo CD notifications webhook: schema and normaliser for the body rendered by the template in
// docs/sources.md (fixtures/payloads/argocd/). A sync whose operation phase is "Succeeded" is a change, and so is one
// that ended "Failed" or "Error" (a failed rollout).
import { z } from 'zod';
import type { Change } from '../model/change.js';
import { changesResult, parseEnvelope } from './batch.js';
import { changeId } from './deploy.js';
import type { IngestSource } from './source.js';
import { RFC3339_HINT, parseRfc3339 } from './timestamps.js';

// The template renders every value with toJson, so a field missing from the Application is null.
const optionalText = z.string().nullable().optional();

/** Go templates render a missing time as null or "": both mean "not finished" here. */
const optionalTime = z
  .string()
  .nullable()
  .optional()
  .transform((value, ctx): number | null => {
    if (value === undefined || value === null || value === '') return null;
    const ms = parseRfc3339(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `${RFC3339_HINT}, got ${JSON.stringify(value.slice(0, 40))}` });
      return z.NEVER;
    }
    return ms;
  });

/** Operation phases that end a sync: it completed, or it failed (applied in part, or not at all). */
const FINISHED_PHASES: ReadonlyMap<string, boolean> = new Map([
  ['Succeeded', false],
  ['Failed', true],
  ['Error', true],
]);

export const ArgoCdNotificationSchema = z
  .object({
    app: z.string().min(1, 'app (the Application name) must not be empty'),
    /** Overrides the service name; defaults to the Application name. */
    service: optionalText,
    project: optionalText,
    namespace: optionalText,
    server: optionalText,
    environment: optionalText,
    revision: optionalText,
    /** Multi-source Applications have `.status.sync.revisions` instead of one revision. */
    revisions: z.array(z.string()).nullable().optional(),
    previousRevision: optionalText,
    syncStatus: optionalText,
    healthStatus: optionalText,
    operationPhase: optionalText,
    /** The revision the operation synced to (`.app.status.operationState.operation.sync.revision`): a failed one's. */
    operationRevision: optionalText,
    finishedAt: optionalTime,
    initiatedBy: optionalText,
    repoURL: optionalText,
  })
  .superRefine((d, ctx) => {
    const failed = d.operationPhase ? FINISHED_PHASES.get(d.operationPhase) : undefined;
    const named = d.revision || (d.revisions && d.revisions.length > 0) || (failed && d.operationRevision);
    if (failed !== undefined && !named) {
      ctx.addIssue({ code: 'custom', path: ['revision'], message: `revision (or revisions) is required for a ${failed ? 'failed' : 'succeeded'} sync` });
    }
  });

export type ArgoCdNotification = z.output<typeof ArgoCdNotificationSchema>;

/**
 * A finished sync as a Change: a succeeded one whatever the health (a deploy that leaves the app Degraded is the change
 * an RCA most wants to see), and a failed one, marked so (what it applied may be running). Running and Terminating
 * operations are not changes. A failed sync names the revision it tried when the template sends `operationRevision`.
 */
export function toArgoCdChange(n: ArgoCdNotification, receivedAt: number): Change | null {
  const failed = n.operationPhase ? FINISHED_PHASES.get(n.operationPhase) : undefined;
  if (failed === undefined) return null;
  const service = n.service || n.app;
  const tried = failed ? n.operationRevision : null;
  const version = tried || n.revision || (n.revisions ?? []).join(',');
  const at = n.finishedAt ?? receivedAt;
  return {
    id: changeId(service, version, at),
    service,
    version,
    // Argo CD records only completed syncs in its history: after a failed one, the next-to-last entry the template sends
    // is not what ran before it.
    previousVersion: failed ? null : n.previousRevision || null,
    environment: n.environment || null,
    at,
    author: n.initiatedBy || null,
    source: 'argocd',
    ...(failed ? { failed } : {}),
  };
}

export const argocdSource: IngestSource = {
  type: 'argocd',
  parse(body, ctx) {
    const parsed = parseEnvelope(ArgoCdNotificationSchema, body);
    if (!parsed.ok) return parsed;
    const change = toArgoCdChange(parsed.data, ctx.receivedAt);
    return changesResult(ctx.receivedAt, change === null ? [] : [change]);
  },
};
