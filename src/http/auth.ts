// Who may call us: the bearer INGEST_TOKEN, and the webhook signatures of GitHub and PagerDuty.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { verifyGitHubSignature } from '../ingest/github.js';
import { verifyPagerDutySignature } from '../ingest/pagerduty.js';
import { badSignature, unauthorized } from './errors.js';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time comparison: hashing first gives equal-length inputs, so length leaks nothing either. */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Throws 401 unless `Authorization: Bearer <token>` matches; a no-op when no token is configured. */
export function checkBearer(request: FastifyRequest, token: string | undefined): void {
  if (token === undefined) return;
  const auth = header(request, 'authorization');
  if (!auth) throw unauthorized('missing Authorization: Bearer token');
  const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
  if (!m?.[1] || !tokensEqual(m[1].trim(), token)) throw unauthorized('invalid bearer token');
}

/** Throws 401 unless X-Hub-Signature-256 is GitHub's HMAC of the exact body bytes. */
export function checkGitHubSignature(request: FastifyRequest, secret: string): void {
  const ok = verifyGitHubSignature(request.rawBody ?? Buffer.alloc(0), header(request, 'x-hub-signature-256'), secret);
  if (!ok) throw badSignature('missing or invalid X-Hub-Signature-256');
}

/** Throws 401 unless X-PagerDuty-Signature holds a valid v1 signature for one of the secrets. */
export function checkPagerDutySignature(request: FastifyRequest, secrets: string[]): void {
  const ok = verifyPagerDutySignature(request.rawBody ?? Buffer.alloc(0), header(request, 'x-pagerduty-signature'), secrets);
  if (!ok) throw badSignature('missing or invalid X-PagerDuty-Signature');
}
