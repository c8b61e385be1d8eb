// The one mapping of errors to HTTP status codes and to the `{error, issues}` body; counts rejects by reason.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InputIssue } from '../ingest/source.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics, RejectReason } from '../telemetry/metrics.js';

export interface ErrorBody {
  error: string;
  issues: InputIssue[];
}

/** An expected failure of a request: status, a message the sender can act on, and the bad fields. */
export class HttpError extends Error {
  /** Fastify reads `statusCode` when an error escapes our handler (e.g. from a content-type parser). */
  readonly statusCode: number;
  constructor(
    readonly status: number,
    message: string,
    readonly reason: RejectReason | undefined,
    readonly issues: InputIssue[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = status;
  }
}

export const invalidInput = (message: string, issues: InputIssue[]) => new HttpError(400, message, 'invalid', issues);
export const malformedBody = (message: string, issues: InputIssue[] = []) => new HttpError(400, message, 'malformed', issues);
export const forbiddenKey = (path: string, key: string) =>
  new HttpError(400, `forbidden key "${key}"`, 'forbidden_key', [{ path, message: `forbidden key "${key}"` }]);
export const invalidUtf8 = () => new HttpError(400, 'invalid UTF-8', 'invalid_utf8');
export const badContentEncoding = (message: string) => new HttpError(400, message, 'bad_encoding');
export const unsupportedMediaType = (message: string) => new HttpError(415, message, 'unsupported_media_type');
export const unsupportedEncoding = (encoding: string) =>
  new HttpError(415, `unsupported Content-Encoding '${encoding}'`, 'unsupported_media_type');
export const tooLarge = (limit: number) => new HttpError(413, `payload too large (limit ${limit} bytes)`, 'too_large');
export const unauthorized = (message: string) =>
  new HttpError(401, message, 'unauthorized', [], { 'www-authenticate': 'Bearer realm="rcabot"' });
export const badSignature = (message: string) => new HttpError(401, message, 'bad_signature');
export const notFound = (message: string, issues: InputIssue[] = []) => new HttpError(404, message, undefined, issues);
/** Redis (the queue or the store) is unreachable: senders should retry. */
export const unavailable = (message: string, retryAfterSeconds = 5) =>
  new HttpError(503, message, 'unavailable', [], { 'retry-after': String(retryAfterSeconds) });

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  reason: RejectReason | undefined;
}

/** Maps any error (ours or Fastify's) to the response we send. Unknown errors are 500s. */
export function toErrorResponse(err: unknown, bodyLimit: number): ErrorResponse {
  if (err instanceof HttpError) return fromHttpError(err);
  const fe = err as Partial<FastifyError>;
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return fromHttpError(tooLarge(bodyLimit));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return fromHttpError(unsupportedMediaType('unsupported Content-Type (expected application/json, or application/x-protobuf on /v1/traces)'));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return fromHttpError(malformedBody('empty body'));
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return fromHttpError(malformedBody('Content-Length does not match the body'));
  }
  if (fe.validation) {
    return fromHttpError(invalidInput(fe.message ?? 'invalid request', []));
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return fromHttpError(new HttpError(fe.statusCode, fe.message ?? 'bad request', undefined));
  }
  return { status: 500, body: { error: 'internal error', issues: [] }, headers: {}, reason: undefined };
}

function fromHttpError(e: HttpError): ErrorResponse {
  return { status: e.status, body: { error: e.message, issues: e.issues }, headers: e.headers, reason: e.reason };
}

/** The ingest source a route serves (route config), used as the `source` label of reject metrics. */
export function routeSource(request: FastifyRequest): string | undefined {
  const cfg = request.routeOptions?.config as { source?: string } | undefined;
  return cfg?.source;
}

/** Sends an error response and counts the reject when the route is an ingest route. */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown, deps: ErrorDeps): FastifyReply {
  const res = toErrorResponse(err, deps.bodyLimit);
  const source = routeSource(request);
  if (source && res.reason) deps.metrics.ingestRejected.inc({ source, reason: res.reason });
  if (res.status >= 500 && res.status !== 503) {
    deps.logger.error({ err, url: request.url, method: request.method }, 'request failed');
  } else {
    deps.logger.info(
      { status: res.status, reason: res.reason, source, url: request.url, error: res.body.error },
      'request rejected',
    );
  }
  return reply.code(res.status).headers(res.headers).type('application/json; charset=utf-8').send(res.body);
}

export interface ErrorDeps {
  metrics: Metrics;
  logger: Logger;
  bodyLimit: number;
}

/** Installs the error and not-found handlers so every failure has the same JSON shape. */
export function installErrorHandlers(app: FastifyInstance, deps: ErrorDeps): void {
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err, deps));
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, notFound(`no route ${request.method} ${request.url.split('?')[0]}`), deps),
  );
}
