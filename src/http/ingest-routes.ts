// The ingest endpoints of CONTRACT §1: validate and normalise a body, queue one job, answer 202 once queued.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config.js';
import type { EventType } from '../model/event.js';
import { ingestSources } from '../ingest/registry.js';
import { parseOtlpTraceProtobuf } from '../ingest/otlp-protobuf.js';
import type { IngestContext, ParseResult } from '../ingest/source.js';
import type { IngestQueue } from '../queue/ingest-queue.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { extractTraceContext, injectTraceContext, withSpan } from '../telemetry/tracing.js';
import { checkBearer, checkGitHubSignature, checkPagerDutySignature } from './auth.js';
import { invalidInput, malformedBody, unavailable, unsupportedMediaType } from './errors.js';

/** Endpoint of each event type (CONTRACT §1 table). */
export const INGEST_ROUTES: ReadonlyArray<{ url: string; type: EventType }> = [
  { url: '/webhooks/alertmanager', type: 'alertmanager' },
  { url: '/webhooks/grafana', type: 'grafana' },
  { url: '/webhooks/pagerduty', type: 'pagerduty' },
  { url: '/webhooks/datadog', type: 'datadog' },
  { url: '/webhooks/alerts', type: 'alert' },
  { url: '/v1/traces', type: 'otlp' },
  { url: '/webhooks/deploy', type: 'deploy' },
  { url: '/webhooks/github', type: 'github.deployment_status' },
  { url: '/webhooks/argocd', type: 'argocd' },
];

export interface IngestRouteDeps {
  config: AppConfig;
  logger: Logger;
  metrics: Metrics;
  ingestQueue: IngestQueue;
}

/** What a 202 says: how many items were queued, and which items of a batch were skipped and why. */
export interface AcceptedBody {
  accepted: number;
  rejected: Array<{ path: string; message: string }>;
}

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Who may post. GitHub cannot send custom headers and PagerDuty signs its webhooks, so for those two a
 * configured signing secret replaces the bearer token (a valid signature is required, the token is not);
 * without a secret they fall back to the bearer token like every other source.
 */
function signedBy(type: EventType, config: AppConfig): 'github' | 'pagerduty' | undefined {
  if (type === 'github.deployment_status' && config.githubWebhookSecret !== undefined) return 'github';
  if (type === 'pagerduty' && config.pagerdutyWebhookSecrets.length > 0) return 'pagerduty';
  return undefined;
}

/** Signatures cover the body, so they are checked once it is read (the bearer token is checked before). */
function checkSignature(request: FastifyRequest, type: EventType, config: AppConfig): void {
  const signer = signedBy(type, config);
  if (signer === 'github') checkGitHubSignature(request, config.githubWebhookSecret!);
  else if (signer === 'pagerduty') checkPagerDutySignature(request, config.pagerdutyWebhookSecrets);
}

/** OTLP arrives as JSON (already parsed) or as protobuf bytes, decoded straight to spans (no JSON detour). */
function parseBody(request: FastifyRequest, type: EventType, ctx: IngestContext): ParseResult {
  const body = request.body;
  if (body === undefined || body === null) throw malformedBody('missing body');
  if (!Buffer.isBuffer(body)) return ingestSources[type].parse(body, ctx);
  if (type !== 'otlp') throw unsupportedMediaType('protobuf bodies are accepted only on /v1/traces');
  try {
    return parseOtlpTraceProtobuf(body, ctx);
  } catch (e) {
    throw malformedBody((e as Error).message, [{ path: '(root)', message: (e as Error).message }]);
  }
}

async function ingest(request: FastifyRequest, reply: FastifyReply, type: EventType, deps: IngestRouteDeps): Promise<FastifyReply> {
  const { config, metrics, ingestQueue, logger } = deps;
  const parent = extractTraceContext(request.headers);
  return withSpan(`ingest ${type}`, parent, async (span, ctx) => {
    span.setAttribute('rcabot.source', type);
    checkSignature(request, type, config);

    if (type === 'github.deployment_status') {
      const event = headerOf(request, 'x-github-event');
      if (event === 'ping') return reply.code(200).send({ ok: true });
      // Other GitHub events (push, deployment, ...) are not ours; 2xx so GitHub does not report failures.
      if (event !== 'deployment_status') return reply.code(202).send({ accepted: 0, rejected: [] } satisfies AcceptedBody);
    }

    const result = await withSpan('ingest.parse', ctx, () =>
      parseBody(request, type, { serviceLabels: config.serviceLabels, receivedAt: Date.now() }),
    );
    if (!result.ok) throw invalidInput(`invalid ${type} payload`, result.issues);
    span.setAttribute('rcabot.accepted', result.accepted);
    if (result.rejected.length > 0) metrics.ingestRejected.inc({ source: type, reason: 'invalid' }, result.rejected.length);

    if (result.accepted > 0) {
      await withSpan('ingest.enqueue', ctx, async (_s, enqueueCtx) => {
        try {
          await ingestQueue.enqueue({ type, event: result.event, traceContext: injectTraceContext(enqueueCtx) });
        } catch (err) {
          logger.warn({ err, source: type }, 'enqueue failed: Redis unreachable?');
          throw unavailable('queue unavailable, retry later');
        }
      });
      metrics.ingestAccepted.inc({ source: type }, result.accepted);
    }
    return reply.code(202).send({ accepted: result.accepted, rejected: result.rejected } satisfies AcceptedBody);
  });
}

/** Registers every ingest endpoint; `config.source` labels the reject metrics of the route. */
export function registerIngestRoutes(app: FastifyInstance, deps: IngestRouteDeps): void {
  for (const { url, type } of INGEST_ROUTES) {
    // The bearer token is checked on request, before the body is read: strangers cannot make us parse.
    const onRequest = signedBy(type, deps.config)
      ? []
      : [async (request: FastifyRequest) => checkBearer(request, deps.config.ingestToken)];
    app.post(url, { config: { source: type }, onRequest }, (request, reply) => ingest(request, reply, type, deps));
  }
}
