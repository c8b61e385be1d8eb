// Plugs Bolt into our own fastify listener: POST /slack/events verifies Slack's signature over the exact bytes,
// parses form or JSON bodies, hands the event to Bolt and answers with whatever the listener acks (3 s at most).
import { parse as parseQuery } from 'node:querystring';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import { verifySlackRequest } from '@slack/bolt';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../telemetry/logger.js';

/** Slack refuses requests older than this; so do we (and ones this far in the future). */
export const MAX_REQUEST_AGE_SECONDS = 5 * 60;
/** Slack gives up on an unacknowledged request after 3 s; we answer just before. */
const ACK_DEADLINE_MS = 2900;
/** Slack's payloads are small; a larger body is not from Slack. */
const SLACK_BODY_LIMIT = 1024 * 1024;

export interface FastifyReceiverOptions {
  signingSecret: string;
  logger: Logger;
  /** Injected clock (ms) for the timestamp check; Date.now by default. */
  now?: () => number;
}

type AckBody = string | Record<string, unknown> | undefined;

export type SlackVerification = { ok: true } | { ok: false; reason: string };

/**
 * Checks Slack's request signature: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` (compared in
 * constant time by Bolt's verifySlackRequest), with a timestamp no more than 5 minutes away from now.
 */
export function verifySlackSignature(args: { signingSecret: string; rawBody: string; signature: unknown; timestamp: unknown; nowMs: number }): SlackVerification {
  if (typeof args.signature !== 'string' || args.signature === '') return { ok: false, reason: 'missing x-slack-signature' };
  if (typeof args.timestamp !== 'string' || !/^\d{1,12}$/.test(args.timestamp)) return { ok: false, reason: 'missing or malformed x-slack-request-timestamp' };
  const ts = Number(args.timestamp);
  // Bolt refuses old timestamps only; a timestamp far in the future is just as replayable, so refuse both.
  if (Math.abs(Math.floor(args.nowMs / 1000) - ts) > MAX_REQUEST_AGE_SECONDS) return { ok: false, reason: 'stale x-slack-request-timestamp' };
  try {
    verifySlackRequest({
      signingSecret: args.signingSecret,
      body: args.rawBody,
      headers: { 'x-slack-signature': args.signature, 'x-slack-request-timestamp': ts },
      nowMilliseconds: args.nowMs,
    });
    return { ok: true };
  } catch {
    return { ok: false, reason: 'signature mismatch' };
  }
}

/** Slash commands and interactivity are form-encoded (interactivity as a JSON `payload` field); events JSON. */
export function parseSlackBody(rawBody: string, contentType: string | undefined): Record<string, unknown> {
  if ((contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const fields = parseQuery(rawBody);
    if (typeof fields.payload === 'string') return JSON.parse(fields.payload) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  }
  const value = JSON.parse(rawBody) as unknown;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SyntaxError('expected a JSON object');
  return value as Record<string, unknown>;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export class FastifyReceiver implements Receiver {
  private app: App | undefined;
  private readonly now: () => number;

  constructor(private readonly o: FastifyReceiverOptions) {
    this.now = o.now ?? Date.now;
  }

  init(app: App): void {
    this.app = app;
  }

  /** The listener belongs to the HTTP server; start/stop have nothing of their own to do. */
  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async handle(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const log = this.o.logger;
    const raw = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
    const contentType = header(request, 'content-type');

    // ssl_check needs no signature; answer it and look at nothing else in the body.
    if ((contentType ?? '').startsWith('application/x-www-form-urlencoded') && parseQuery(raw).ssl_check === '1') {
      await reply.code(200).send();
      return;
    }
    const verified = verifySlackSignature({
      signingSecret: this.o.signingSecret,
      rawBody: raw,
      signature: header(request, 'x-slack-signature'),
      timestamp: header(request, 'x-slack-request-timestamp'),
      nowMs: this.now(),
    });
    if (!verified.ok) {
      log.warn({ reason: verified.reason, ip: request.ip }, 'Slack request refused');
      await reply.code(401).send({ error: 'invalid Slack request signature' });
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = parseSlackBody(raw, contentType);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'Slack request body unreadable');
      await reply.code(400).send({ error: 'unreadable Slack payload' });
      return;
    }
    if (body.type === 'url_verification') {
      await reply.code(200).send({ challenge: body.challenge });
      return;
    }
    if (!this.app) {
      await reply.code(503).send({ error: 'Slack app not initialised' });
      return;
    }

    let acked = false;
    let resolveAck!: (b: AckBody) => void;
    const ackBody = new Promise<AckBody>((resolve) => (resolveAck = resolve));
    const event: ReceiverEvent = {
      body,
      ack: async (response?: AckBody) => {
        if (acked) return; // a second ack is a listener bug, never worth a crash
        acked = true;
        resolveAck(response);
      },
      retryNum: numberOrUndefined(header(request, 'x-slack-retry-num')),
      retryReason: header(request, 'x-slack-retry-reason'),
      customProperties: {},
    };
    const NOT_ACKED = Symbol('not acked');
    let timer: NodeJS.Timeout | undefined;
    const processing = this.app.processEvent(event).then(
      () => NOT_ACKED,
      (err: unknown) => {
        log.error({ err }, 'Slack listener failed');
        return NOT_ACKED;
      },
    );
    const deadline = new Promise<typeof NOT_ACKED>((resolve) => (timer = setTimeout(() => resolve(NOT_ACKED), ACK_DEADLINE_MS)));
    const answer = await Promise.race([ackBody, processing, deadline]);
    clearTimeout(timer);
    if (answer === NOT_ACKED && !acked) {
      log.warn({ type: body.type, command: body.command }, 'Slack request not acknowledged by any listener');
      await reply.code(404).send();
      return;
    }
    const response = answer === NOT_ACKED ? await ackBody : answer;
    if (response === undefined || response === '') await reply.code(200).send();
    else if (typeof response === 'string') await reply.code(200).type('text/plain; charset=utf-8').send(response);
    else await reply.code(200).type('application/json').send(JSON.stringify(response));
  }
}

function numberOrUndefined(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number.parseInt(v, 10);
  return Number.isNaN(n) ? undefined : n;
}

/**
 * The fastify plugin for `POST /slack/events`. Register it on the server (`app.register(slackRoutes,
 * { receiver })`); it keeps the raw bytes in its own encapsulated scope, so the server's JSON parser is
 * untouched elsewhere.
 */
export async function slackRoutes(app: FastifyInstance, opts: { receiver: FastifyReceiver; path?: string }): Promise<void> {
  app.removeAllContentTypeParsers();
  const keepBytes = async (_req: FastifyRequest, body: Buffer) => body;
  app.addContentTypeParser(['application/x-www-form-urlencoded', 'application/json'], { parseAs: 'buffer', bodyLimit: SLACK_BODY_LIMIT }, keepBytes);
  app.post(opts.path ?? '/slack/events', (request, reply) => opts.receiver.handle(request, reply));
}
