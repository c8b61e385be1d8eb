// GitHub `deployment_status` webhook: schema, normaliser and signature check. A status of state "success" is a
// change, and so is "failure" or "error" (a failed rollout); queued/pending/in_progress/inactive are accepted and ignored.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Change } from '../model/change.js';
import { changesResult, parseEnvelope } from './batch.js';
import { changeId } from './deploy.js';
import type { IngestSource } from './source.js';
import { rfc3339Ms } from './timestamps.js';

const user = z.object({ login: z.string() }).nullable().optional();

export const GitHubDeploymentStatusSchema = z.object({
  action: z.string().optional(),
  deployment_status: z.object({
    id: z.number().optional(),
    state: z.string().min(1),
    environment: z.string().optional(),
    created_at: rfc3339Ms,
    updated_at: rfc3339Ms.optional(),
    creator: user,
    description: z.string().nullable().optional(),
  }),
  deployment: z.object({
    id: z.number(),
    sha: z.string(),
    ref: z.string(),
    task: z.string().optional(),
    /** Free JSON given when the deployment was created; an object, or (older API clients) a JSON string. */
    payload: z.unknown().optional(),
    environment: z.string(),
    creator: user,
    created_at: rfc3339Ms.optional(),
  }),
  repository: z.object({ name: z.string().min(1), full_name: z.string().optional() }),
  sender: user,
});
export type GitHubDeploymentStatus = z.output<typeof GitHubDeploymentStatusSchema>;

/** `deployment.payload.service` when the payload (object or JSON string) names one. */
function serviceFromPayload(payload: unknown): string {
  let value = payload;
  if (typeof value === 'string') {
    if (!value.startsWith('{')) return '';
    try {
      value = JSON.parse(value);
    } catch {
      return '';
    }
  }
  if (typeof value !== 'object' || value === null) return '';
  const service = (value as Record<string, unknown>).service;
  return typeof service === 'string' ? service : '';
}

/** Deployment states that end a rollout: it completed, or it failed part-way ("rollout timed out") or before starting. */
const FINISHED_STATES: ReadonlyMap<string, boolean> = new Map([
  ['success', false],
  ['failure', true],
  ['error', true],
]);

/**
 * A finished deployment as a Change: service = `deployment.payload.service` else the repository name (CONTRACT §1);
 * version = the deployed ref, else the sha; at = when the outcome was reported. A failed rollout is a change too: part
 * of it may be serving, and an on-call engineer wants to know it was tried.
 */
export function toGitHubChange(e: GitHubDeploymentStatus): Change | null {
  const failed = FINISHED_STATES.get(e.deployment_status.state);
  if (failed === undefined) return null;
  const service = serviceFromPayload(e.deployment.payload) || e.repository.name;
  const version = e.deployment.ref || e.deployment.sha;
  const at = e.deployment_status.created_at;
  return {
    id: changeId(service, version, at),
    service,
    version,
    previousVersion: null,
    environment: e.deployment.environment || e.deployment_status.environment || null,
    at,
    author: e.deployment.creator?.login ?? e.deployment_status.creator?.login ?? e.sender?.login ?? null,
    source: 'github',
    ...(failed ? { failed } : {}),
  };
}

export const githubSource: IngestSource = {
  type: 'github.deployment_status',
  parse(body, ctx) {
    const parsed = parseEnvelope(GitHubDeploymentStatusSchema, body);
    if (!parsed.ok) return parsed;
    const change = toGitHubChange(parsed.data);
    return changesResult(ctx.receivedAt, change === null ? [] : [change]);
  },
};

const SHA256_HEADER = /^sha256=([0-9a-f]{64})$/i;

/** Checks `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, in constant time. */
export function verifyGitHubSignature(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  if (!header || !secret) return false;
  const m = SHA256_HEADER.exec(header.trim());
  if (m === null) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(m[1]!, 'hex'));
}
