// Builds Slack requests signed over the exact bytes sent: `v0=` + hex HMAC-SHA256 of `v0:{ts}:{rawBody}`.
import { createHmac } from 'node:crypto';

export function slackSignature(secret: string, timestamp: number, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/** Headers for `body` signed with `secret` at `timestamp` (seconds; default now). */
export function signedHeaders(secret: string, body: string, contentType: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  return {
    'content-type': contentType,
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': slackSignature(secret, timestamp, body),
  };
}

export function slashCommandBody(fields: { text: string; responseUrl: string; userId?: string; channelId?: string; command?: string; triggerId?: string }): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0TEST',
    team_domain: 'acme',
    channel_id: fields.channelId ?? 'C0ONCALL',
    channel_name: 'oncall',
    user_id: fields.userId ?? 'U0ALICE',
    user_name: 'alice',
    command: fields.command ?? '/rca',
    text: fields.text,
    api_app_id: 'A0TEST',
    is_enterprise_install: 'false',
    response_url: fields.responseUrl,
    trigger_id: fields.triggerId ?? '1234.5678.abcdef',
  }).toString();
}

/** A block_actions payload as Slack sends it: form-encoded `payload=<json>`. */
export function blockActionsBody(fields: { actionId: string; value: string; responseUrl: string; userId?: string; blockId?: string; triggerId?: string }): string {
  const payload = {
    type: 'block_actions',
    team: { id: 'T0TEST', domain: 'acme' },
    user: { id: fields.userId ?? 'U0ALICE', username: 'alice', team_id: 'T0TEST' },
    api_app_id: 'A0TEST',
    token: 'deprecated-verification-token',
    trigger_id: fields.triggerId ?? '1234.5678.abcdef',
    channel: { id: 'C0INCIDENTS', name: 'incidents' },
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0INCIDENTS', is_ephemeral: false },
    message: { type: 'message', ts: '1700000000.000100', text: 'incident', blocks: [] },
    response_url: fields.responseUrl,
    actions: [{ type: 'button', action_id: fields.actionId, block_id: fields.blockId ?? 'b1', value: fields.value, text: { type: 'plain_text', text: 'x' }, action_ts: '1700000001.000200' }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** A view_submission payload for a modal. */
export function viewSubmissionBody(fields: { callbackId: string; privateMetadata: string; values: Record<string, Record<string, unknown>>; userId?: string }): string {
  const payload = {
    type: 'view_submission',
    team: { id: 'T0TEST', domain: 'acme' },
    user: { id: fields.userId ?? 'U0ALICE', username: 'alice', team_id: 'T0TEST' },
    api_app_id: 'A0TEST',
    token: 'deprecated-verification-token',
    trigger_id: '1234.5678.abcdef',
    view: {
      id: 'V0TEST',
      type: 'modal',
      callback_id: fields.callbackId,
      private_metadata: fields.privateMetadata,
      state: { values: fields.values },
      hash: 'h',
      blocks: [],
    },
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export const FORM = 'application/x-www-form-urlencoded';
