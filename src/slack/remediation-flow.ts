// The Slack side of approved remediation: "Propose" posts a proposal message (Approve / Reject / Dry run, each
// carrying only the proposal id), clicks call the RemediationService and either refuse privately (saying why,
// changing nothing) or update that message in place; execution results and the verification verdict follow in
// place and in the thread, with the runbook's undo offered as a new proposal; a proposal the sweep expires loses
// its buttons in place. `/rca automation` is the kill switch.
import type { App, BlockButtonAction, RespondFn, webApi } from '@slack/bolt';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RemediationEvent, RemediationService } from '../remediation/remediation-service.js';
import type { Actor, Proposal } from '../remediation/proposal.js';
import type { Refusal } from '../remediation/result.js';
import type { Runbook } from '../runbooks/runbook-schema.js';
import type { Logger } from '../telemetry/logger.js';
import { ACTION_IDS, ActionRefs, type ActionRefStore } from './action-refs.js';
import type { ProposePlace, ProposeRemediation } from './feedback.js';
import type { AutomationCommand } from './rca-handlers.js';
import { renderAutomationRefusal, renderAutomationState } from './render/automation-status.js';
import { renderDryRun, renderProposalMessage, renderVerification } from './render/proposal-message.js';
import { slackKeys } from './slack-keys.js';
import { UserGroupDirectory, type GroupMembership } from './user-group-directory.js';

/** Where a proposal's message is, and the plan hash it showed: approvals are bound to that hash, not to the button. */
export const ProposalMessageSchema = z.object({
  channel: z.string().min(1),
  ts: z.string().min(1),
  threadTs: z.string().min(1).nullable(),
  planHash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ProposalMessage = z.infer<typeof ProposalMessageSchema>;

const IncidentMessageSchema = z.object({ channel: z.string().min(1), ts: z.string().min(1) });

/** What a proposal id looks like (random UUIDs by default); anything else in a button value is not ours. */
const PROPOSAL_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** Kept as long as the proposal itself is (its expiry plus 30 days). */
const RECORD_RETAIN_MS = 30 * 86_400_000;

const NO_LONGER_VALID = 'This button is no longer valid: I do not know that proposal (it may have been removed). Propose the runbook again from the incident.';

export interface RemediationFlowOptions {
  service: RemediationService;
  /** The same runbooks the service was given: titles for messages, user groups to check for approvers. */
  runbooks: readonly Runbook[];
  refs: ActionRefStore;
  redis: Redis;
  prefix: string;
  logger: Logger;
  now?: () => number;
  /** Where the incident's channel message is; default: the notifier's record in Redis. */
  incidentMessage?: (incidentId: string) => Promise<{ channel: string; ts: string } | null>;
  /** How long user-group memberships are cached (default 60 s). */
  groupCacheMs?: number;
}

type Place = { channel: string; threadTs: string | null };

export class RemediationFlow {
  private readonly client: webApi.WebClient;
  private readonly runbooks: Map<string, Runbook>;
  private readonly directory: UserGroupDirectory;
  private readonly now: () => number;
  private readonly log: Logger;
  /** Per proposal: the running message update, and whether another was asked for meanwhile. */
  private readonly updating = new Map<string, Promise<void>>();
  private readonly updateAgain = new Set<string>();

  constructor(
    app: App,
    private readonly o: RemediationFlowOptions,
  ) {
    this.client = app.client;
    this.runbooks = new Map(o.runbooks.map((r) => [r.id, r]));
    this.now = o.now ?? Date.now;
    this.log = o.logger.child({ component: 'slack-remediation' });
    const groups = [...new Set(o.runbooks.flatMap((r) => r.approval.groups))].sort();
    this.directory = new UserGroupDirectory(this.client, groups, this.now, o.groupCacheMs);
  }

  /** The "Propose" hook for createSlackApp: records the proposal and posts it; returns the line shown to the clicker. */
  readonly propose: ProposeRemediation = async (incidentId, runbookId, userId, where) => {
    const place = await this.placeFor(incidentId, where);
    if (!place) return `I do not know where to post a proposal for \`${incidentId}\`; use the incident's message or a channel I am in.`;
    const { actor } = await this.actor(userId);
    const r = await this.o.service.propose(incidentId, runbookId, actor);
    if (!r.ok) return `:no_entry: Could not propose \`${runbookId}\`: ${r.reason}.`;
    const p = r.value;
    const m = renderProposalMessage({ proposal: p, runbook: this.runbooks.get(p.runbookId), now: this.now() });
    try {
      const res = await this.client.chat.postMessage({ channel: place.channel, ...(place.threadTs ? { thread_ts: place.threadTs } : {}), text: m.text, blocks: m.blocks, unfurl_links: false });
      await this.saveRecord(p, { channel: res.channel ?? place.channel, ts: res.ts!, threadTs: place.threadTs, planHash: p.planHash });
    } catch (err) {
      this.log.error({ err, proposalId: p.id, incidentId, channel: place.channel }, 'could not post the remediation proposal');
      return `Proposal \`${p.id}\` was recorded but I could not post it in <#${place.channel}> (${slackError(err)}), so it cannot be approved; it expires unused.`;
    }
    this.log.info({ proposalId: p.id, incidentId, runbookId, user: userId }, 'remediation proposed in Slack');
    return `Proposed *${this.titleOf(p.runbookId)}* on \`${p.target}\`${place.threadTs ? ' in the incident thread' : ''}: it needs approval there.`;
  };

  /** The `/rca automation …` hook for createSlackApp. Who is an admin is the service's decision. */
  readonly automationCommand: AutomationCommand = async (intent, userId) => {
    const actor: Actor = { userId, groups: [] };
    const s = this.o.service;
    if (intent.action === 'status') return renderAutomationState(await s.automation.state(), this.now());
    const r = intent.action === 'pause' ? await s.pauseAutomation(actor, intent.reason || 'no reason given') : await s.resumeAutomation(actor);
    if (!r.ok) return renderAutomationRefusal(`${r.reason}: only remediation administrators may ${intent.action} automation.`);
    this.log.warn({ user: userId, action: intent.action, ...(intent.action === 'pause' ? { reason: intent.reason } : {}) }, `remediation automation ${intent.action}d from Slack`);
    return renderAutomationState(r.value, this.now(), intent.action === 'pause' ? 'paused' : 'resumed');
  };

  /** The RemediationService's onEvent: results, verdicts and expiries to Slack. Never throws (it runs inside queue jobs and sweeps). */
  readonly onEvent = async (e: RemediationEvent): Promise<void> => {
    try {
      await this.refresh(e.proposal.id);
      if (e.type === 'verified') await this.postVerification(e.proposal);
    } catch (err) {
      this.log.error({ err, proposalId: e.proposal.id, event: e.type }, 'could not report a remediation event in Slack');
    }
  };

  /** Registers the Approve / Reject / Dry run listeners. */
  register(app: App): void {
    app.action<BlockButtonAction>(ACTION_IDS.approveProposal, async ({ ack, action, body, respond }) => {
      await ack();
      await this.click('approve', action.value, body, respond);
    });
    app.action<BlockButtonAction>(ACTION_IDS.rejectProposal, async ({ ack, action, body, respond }) => {
      await ack();
      await this.click('reject', action.value, body, respond);
    });
    app.action<BlockButtonAction>(ACTION_IDS.dryRunProposal, async ({ ack, action, body, respond }) => {
      await ack();
      await this.click('dry-run', action.value, body, respond);
    });
  }

  /** The stored record of a proposal's message, or null. */
  async messageOf(proposalId: string): Promise<ProposalMessage | null> {
    const raw = await this.o.redis.get(slackKeys(this.o.prefix).proposalMessage(proposalId));
    if (raw === null) return null;
    const parsed = ProposalMessageSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  private async click(kind: 'approve' | 'reject' | 'dry-run', value: string | undefined, body: BlockButtonAction, respond: RespondFn): Promise<void> {
    const user = body.user.id;
    const threadTs = typeof body.message?.thread_ts === 'string' ? body.message.thread_ts : null;
    const id = typeof value === 'string' && PROPOSAL_ID.test(value) ? value : null;
    const record = id ? await this.messageOf(id) : null;
    const tell = (text: string) => this.ephemeral(body.channel?.id ?? record?.channel, threadTs, user, text, respond);
    if (!id || !record) {
      this.log.warn({ user, action: kind, value: typeof value === 'string' ? value.slice(0, 80) : null }, 'remediation button with an unknown proposal id');
      return tell(NO_LONGER_VALID);
    }
    const log = this.log.child({ proposalId: id, user, action: kind });
    try {
      const { actor, membership } = await this.actor(user);
      if (kind === 'approve') {
        const r = await this.o.service.approve(id, actor, record.planHash);
        if (!r.ok) {
          // Expired or already decided: the message may still show buttons, so bring it up to date too.
          if (r.code === 'expired' || r.code === 'wrong-state') await this.refresh(id);
          return await tell(refusalText(r, membership));
        }
        log.info({ status: r.value.status, approvals: r.value.approvals, required: r.value.required }, 'remediation approval recorded');
        await this.refresh(id);
        if (r.value.status === 'recorded') await tell(`Your approval is recorded: ${r.value.approvals} of ${r.value.required}. It runs when ${r.value.required - r.value.approvals} more ${r.value.required - r.value.approvals === 1 ? 'person approves' : 'people approve'}.`);
        return;
      }
      if (kind === 'reject') {
        const r = await this.o.service.reject(id, actor);
        if (!r.ok) return await tell(refusalText(r, membership));
        log.info('remediation proposal rejected');
        return await this.refresh(id);
      }
      const r = await this.o.service.dryRun(id, actor);
      if (!r.ok) return await tell(refusalText(r, membership));
      const m = renderDryRun({ proposal: r.value.proposal, plan: r.value.plan, unchanged: r.value.unchanged, by: user, now: this.now() });
      await this.client.chat.postMessage({ channel: record.channel, thread_ts: record.threadTs ?? record.ts, text: m.text, blocks: m.blocks, unfurl_links: false });
      await this.refresh(id);
    } catch (err) {
      log.error({ err }, 'remediation action failed');
      await tell(`Something went wrong on my side (${(err as Error).message}); nothing was approved by this click. Try again in a moment.`);
    }
  }

  /** Brings the proposal message up to date. Concurrent requests coalesce: each update renders what is stored when it runs. */
  refresh(proposalId: string): Promise<void> {
    const running = this.updating.get(proposalId);
    if (running) {
      this.updateAgain.add(proposalId);
      return running;
    }
    const loop = (async () => {
      do {
        this.updateAgain.delete(proposalId);
        await this.update(proposalId).catch((err: unknown) => this.log.warn({ err, proposalId }, 'could not update the proposal message'));
      } while (this.updateAgain.has(proposalId));
      this.updating.delete(proposalId);
    })();
    this.updating.set(proposalId, loop);
    return loop;
  }

  private async update(proposalId: string): Promise<void> {
    const [record, p] = await Promise.all([this.messageOf(proposalId), this.o.service.get(proposalId)]);
    if (!record || !p) return;
    const m = renderProposalMessage({ proposal: p, runbook: this.runbooks.get(p.runbookId), now: this.now() });
    await this.client.chat.update({ channel: record.channel, ts: record.ts, text: m.text, blocks: m.blocks });
  }

  private async postVerification(p: Proposal): Promise<void> {
    const record = await this.messageOf(p.id);
    if (!record) return;
    const refs = new ActionRefs();
    const m = renderVerification({ proposal: p, undo: p.verification?.undo ? this.runbooks.get(p.verification.undo) : undefined, now: this.now(), refs });
    await this.o.refs.save(refs);
    await this.client.chat.postMessage({ channel: record.channel, thread_ts: record.threadTs ?? record.ts, text: m.text, blocks: m.blocks, unfurl_links: false });
    this.log.info({ proposalId: p.id, fixed: p.verification?.fixed ?? null, undo: p.verification?.undo ?? null }, 'remediation verification posted');
  }

  /** In the incident's thread when its message is known, else where the button was clicked. */
  private async placeFor(incidentId: string, where: ProposePlace | undefined): Promise<Place | null> {
    const incident = await (this.o.incidentMessage ?? ((id: string) => this.notifiedMessage(id)))(incidentId);
    if (incident) return { channel: incident.channel, threadTs: incident.ts };
    if (where?.channelId) return { channel: where.channelId, threadTs: where.threadTs ?? null };
    return null;
  }

  /** The notifier's record of the incident message (slackKeys.messages), if it posted one. */
  private async notifiedMessage(incidentId: string): Promise<{ channel: string; ts: string } | null> {
    const raw = await this.o.redis.hget(slackKeys(this.o.prefix).messages, incidentId);
    if (raw === null) return null;
    const parsed = IncidentMessageSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  private async saveRecord(p: Proposal, record: ProposalMessage): Promise<void> {
    const ttl = Math.max(0, p.expiresAt - p.createdAt) + RECORD_RETAIN_MS;
    await this.o.redis.set(slackKeys(this.o.prefix).proposalMessage(p.id), JSON.stringify(ProposalMessageSchema.parse(record)), 'PX', ttl);
  }

  private async actor(userId: string): Promise<{ actor: Actor; membership: GroupMembership }> {
    const membership = await this.directory.membership(userId);
    if (membership.unreadable.length > 0) this.log.warn({ unreadable: membership.unreadable }, 'could not read Slack user-group members');
    return { actor: { userId, groups: membership.groups }, membership };
  }

  private titleOf(runbookId: string): string {
    return this.runbooks.get(runbookId)?.title ?? runbookId;
  }

  /** A private answer to the clicker; through response_url when chat.postEphemeral is not possible. */
  private async ephemeral(channel: string | undefined, threadTs: string | null, user: string, text: string, respond: RespondFn): Promise<void> {
    try {
      if (!channel) throw new Error('no channel');
      await this.client.chat.postEphemeral({ channel, user, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
    } catch (err) {
      this.log.warn({ err, user }, 'chat.postEphemeral failed; answering through response_url');
      await respond({ response_type: 'ephemeral', replace_original: false, text }).catch((e: unknown) => this.log.warn({ err: e }, 'could not answer a remediation click'));
    }
  }
}

/** A refusal as the clicker reads it; when user groups could not be read, says so (it may be why). */
export function refusalText(r: Refusal, membership: GroupMembership): string {
  const lines = [r.code === 'unknown-proposal' ? NO_LONGER_VALID : `:no_entry: ${r.reason}. Nothing changed.`];
  if (r.code === 'not-authorised' && membership.unreadable.length > 0) {
    const errors = [...new Set(membership.unreadable.map((u) => u.error))].join(', ');
    lines.push(`_I could not read Slack user-group membership (${errors}; the app needs the \`usergroups:read\` scope), so only approvers named by user id count._`);
  }
  return lines.join('\n');
}

function slackError(err: unknown): string {
  const e = err as { data?: { error?: string }; message?: string };
  return e.data?.error ?? e.message ?? 'unknown error';
}

/**
 * Wires the remediation flow onto the Bolt app and returns it. createSlackApp takes `flow.propose` and
 * `flow.automationCommand`, and the RemediationService takes `flow.onEvent`; both exist before the flow does,
 * so pass late-bound closures: `proposeRemediation: (...a) => flow.propose(...a)`, `onEvent: (e) => flow.onEvent(e)`.
 */
export function registerRemediationFlow(app: App, options: RemediationFlowOptions): RemediationFlow {
  const flow = new RemediationFlow(app, options);
  flow.register(app);
  return flow;
}
