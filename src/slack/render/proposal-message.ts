// A remediation proposal as a Slack message: the runbook, the target, the EXACT requests that will be sent, who
// approved so far and what is still needed, the expiry and the status; Approve / Reject / Dry run while open.
// Pure: the proposal, its runbook and `now` in, Block Kit out. Buttons carry the proposal id and nothing else.
import type { Plan, PlanStep } from '../../remediation/plan.js';
import type { Proposal } from '../../remediation/proposal.js';
import type { Runbook } from '../../runbooks/runbook-schema.js';
import { ACTION_IDS, type ActionRefs } from '../action-refs.js';
import { actions, button, context, escapeMrkdwn, fitLines, header, LIMITS, message, section, truncate, type Block, type SlackMessage } from './block-kit.js';
import { formatAge, formatTime, plural } from './text-format.js';

/** Steps shown in full; a plan with more says how many were left out (no shipped runbook has more than one). */
const MAX_STEPS = 8;
/** Room in a step's section for its heading and the truncation note around the code block. */
const STEP_OVERHEAD = 420;

export interface ProposalMessageInput {
  proposal: Proposal;
  /** The runbook as loaded now; undefined when it is no longer loaded (the stored plan still shows). */
  runbook: Runbook | undefined;
  now: number;
}

/** Whether approvals can still be given: buttons are shown only then. */
export function isOpen(p: Proposal, now: number): boolean {
  return p.state === 'proposed' && now < p.expiresAt;
}

export function renderProposalMessage({ proposal: p, runbook, now }: ProposalMessageInput): SlackMessage {
  const title = runbook?.title ?? p.runbookId;
  const blocks: Block[] = [header(`${STATE_ICON[displayState(p, now)]} Remediation: ${title}`)];
  blocks.push(
    section(
      [
        `*Target:* \`${escapeMrkdwn(p.target)}\` · *Incident:* \`${escapeMrkdwn(p.incidentId)}\` · *Runbook:* \`${escapeMrkdwn(p.runbookId)}\``,
        `*Proposed by* <@${escapeMrkdwn(p.proposer)}> at ${formatTime(p.createdAt, now)}`,
      ].join('\n'),
    ),
  );
  blocks.push(section(statusLine(p, runbook, now)));
  blocks.push(...planBlocks(p.plan, p.planHash));
  if (p.outcome) {
    const lines = p.outcome.detail.map((d) => `• ${escapeMrkdwn(d)}`);
    blocks.push(section(`*Result* (${formatTime(p.outcome.finishedAt, now)}):\n${fitLines(lines, LIMITS.sectionText - 40)}`));
  }
  if (p.verification) blocks.push(section(verificationLine(p, now)));
  blocks.push(context([policyLine(p, runbook)]));
  if (isOpen(p, now)) {
    blocks.push(
      actions(
        [
          button('Approve', ACTION_IDS.approveProposal, p.id, 'primary'),
          button('Reject', ACTION_IDS.rejectProposal, p.id, 'danger'),
          button('Dry run', ACTION_IDS.dryRunProposal, p.id),
        ],
        'proposal_actions',
      ),
    );
  }
  return message(`Remediation ${STATE_WORD[displayState(p, now)]}: ${title} on ${p.target}`, blocks);
}

/** The answer to "Dry run": the exact requests, that nothing was sent, and whether the cluster still matches. */
export function renderDryRun(input: { proposal: Proposal; plan: Plan; unchanged: boolean; by: string; now: number }): SlackMessage {
  const { proposal: p, plan, unchanged, by, now } = input;
  const verdict = unchanged
    ? ':white_check_mark: The plan computed now is the same as the proposed one.'
    : ':warning: *The plan computed now differs from the proposed one* (the target changed since). Approving still sends the proposed plan below; reject and propose again if that is no longer right.';
  const blocks: Block[] = [
    section(`:mag: *Dry run* of \`${escapeMrkdwn(p.runbookId)}\` on \`${escapeMrkdwn(p.target)}\` by <@${escapeMrkdwn(by)}> at ${formatTime(now, now)}: nothing was sent.\n${verdict}`),
    ...fullPlanBlocks(plan, p.planHash, LIMITS.blocks - 1),
  ];
  return message(`Dry run of ${p.runbookId} on ${p.target}: nothing was sent${unchanged ? '' : ' (the plan has changed since it was proposed)'}`, blocks);
}

/**
 * After `verify.after`: fixed or not, which alerts still fire, and the runbook's undo as a "Propose" button
 * (the undo goes through the same proposal and approval flow).
 */
export function renderVerification(input: { proposal: Proposal; undo: Runbook | undefined; now: number; refs: ActionRefs }): SlackMessage {
  const { proposal: p, undo, now, refs } = input;
  const v = p.verification;
  if (!v) return message('Not verified yet', [section('_Not verified yet._')]);
  const blocks: Block[] = [section(verificationLine(p, now))];
  if (v.undo) {
    const title = undo?.title ?? v.undo;
    const ref = refs.add({ kind: 'runbook', incidentId: p.incidentId, runbook: v.undo, target: p.target });
    blocks.push(section(`Undo with *${escapeMrkdwn(title)}* (\`${escapeMrkdwn(v.undo)}\`)? It is proposed like any runbook and needs its approvals.`, button('Undo…', ACTION_IDS.proposeRunbook, ref)));
  }
  const text = v.fixed
    ? `Remediation ${p.runbookId} on ${p.target} fixed incident ${p.incidentId}`
    : `Remediation ${p.runbookId} on ${p.target} did not fix incident ${p.incidentId}${v.undo ? `; undo: ${v.undo}` : ''}`;
  return message(text, blocks);
}

/** Method, path or URL, content type or headers, and the body of a step, as they will be sent. */
function stepText(step: PlanStep): string {
  const request: string[] =
    step.kind === 'kubernetes'
      ? [`${step.method} ${step.path}`, `Content-Type: ${step.contentType}`]
      : [`${step.method} ${step.url}`, ...Object.entries(step.headers).map(([k, v]) => `${k}: ${v}`)];
  const body = step.kind === 'kubernetes' || step.body !== undefined ? JSON.stringify(step.body, null, 2) : null;
  return body === null ? request.join('\n') : `${request.join('\n')}\n\n${body}`;
}

/** One step: what it does, then method, path or URL, content type, headers and body exactly as they will be sent. */
export function renderPlanStep(step: PlanStep, index: number, planHash: string, max: number = LIMITS.sectionText): string {
  const head = truncate(`*Step ${index + 1}:* ${escapeMrkdwn(step.summary)}`, 300);
  const budget = Math.max(200, max - STEP_OVERHEAD);
  const code = codeText(stepText(step));
  if ([...code].length <= budget) return `${head}\n\`\`\`${code}\`\`\``;
  const shown = truncate(code, budget);
  const note = `_Truncated to fit Slack: ${[...shown].length - 1} of ${[...code].length} characters shown. What runs is the stored plan, exactly as proposed (plan hash \`${planHash.slice(0, 12)}…\`)._`;
  return `${head}\n\`\`\`${shown}\`\`\`\n${note}`;
}

function planBlocks(plan: Plan, planHash: string): Block[] {
  const blocks = plan.steps.slice(0, MAX_STEPS).map((s, i) => section(renderPlanStep(s, i, planHash)));
  if (plan.steps.length > MAX_STEPS) blocks.push(context([`…and ${plural(plan.steps.length - MAX_STEPS, 'more step')} (plan hash \`${planHash.slice(0, 12)}…\`)`]));
  if (plan.steps.length === 0) blocks.push(section('_The plan has no steps._'));
  return blocks;
}

/**
 * The dry run shows every request in full: a step too long for one section continues in the next ones (a
 * rollback's patch carries the whole pod template and annotations). Only past `maxBlocks` is it cut, with a note.
 */
function fullPlanBlocks(plan: Plan, planHash: string, maxBlocks: number): Block[] {
  const texts: string[] = [];
  plan.steps.forEach((step, i) => {
    const chunks = splitCode(codeText(stepText(step)), LIMITS.sectionText - STEP_OVERHEAD);
    chunks.forEach((chunk, j) => {
      const head = j === 0 ? truncate(`*Step ${i + 1}:* ${escapeMrkdwn(step.summary)}`, 300) : `_Step ${i + 1}, continued (${j + 1} of ${chunks.length})_`;
      texts.push(`${head}\n\`\`\`${chunk}\`\`\``);
    });
  });
  if (plan.steps.length === 0) texts.push('_The plan has no steps._');
  if (texts.length <= maxBlocks) return texts.map((t) => section(t));
  const kept = texts.slice(0, maxBlocks - 1).map((t) => section(t));
  const note = `_${texts.length - kept.length} more parts left out to fit Slack's limits. What runs is the stored plan, exactly as proposed (plan hash \`${planHash.slice(0, 12)}…\`)._`;
  return [...kept, section(note)];
}

/**
 * Splits escaped code text into parts of at most `max` characters, at line ends where it can and never inside
 * an HTML entity (&amp; &lt; &gt;) or a surrogate pair.
 */
export function splitCode(text: string, max: number): string[] {
  const chars = [...text];
  const parts: string[] = [];
  let start = 0;
  while (chars.length - start > max) {
    let end = start + max;
    const newline = chars.lastIndexOf('\n', end - 1);
    if (newline > start + max / 2) end = newline + 1;
    else {
      const amp = chars.lastIndexOf('&', end - 1);
      if (amp > end - 5 && amp >= start && !chars.slice(amp, end).includes(';')) end = amp;
    }
    parts.push(chars.slice(start, end).join(''));
    start = end;
  }
  parts.push(chars.slice(start).join(''));
  return parts;
}

/** Text inside a ``` block: mrkdwn's control characters escaped, and no run of backticks that could end it. */
function codeText(text: string): string {
  return escapeMrkdwn(text).replace(/`{3,}/g, (run) => run.split('').join('\u200b'));
}

type DisplayState = Proposal['state'] | 'expired';

function displayState(p: Proposal, now: number): DisplayState {
  return p.state === 'proposed' && now >= p.expiresAt ? 'expired' : p.state;
}

const STATE_ICON: Record<DisplayState, string> = {
  proposed: ':hourglass_flowing_sand:',
  expired: ':hourglass:',
  approved: ':white_check_mark:',
  rejected: ':no_entry_sign:',
  running: ':gear:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  verified: ':tada:',
  'not-fixed': ':warning:',
};

const STATE_WORD: Record<DisplayState, string> = {
  proposed: 'waiting for approval',
  expired: 'expired',
  approved: 'approved and queued',
  rejected: 'rejected',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  verified: 'fixed the incident',
  'not-fixed': 'did not fix the incident',
};

function mentions(users: readonly string[]): string {
  return users.map((u) => `<@${escapeMrkdwn(u)}>`).join(', ');
}

function statusLine(p: Proposal, runbook: Runbook | undefined, now: number): string {
  const required = runbook?.approval.required ?? null;
  const given = p.approvals.map((a) => a.user);
  const count = `${given.length} of ${required ?? '?'} approval${required === 1 ? '' : 's'}${given.length > 0 ? ` (${mentions(given)})` : ''}`;
  switch (displayState(p, now)) {
    case 'proposed':
      return `${STATE_ICON.proposed} *Waiting for approval:* ${count} · expires at ${formatTime(p.expiresAt, now)} (in ${formatAge(p.expiresAt - now)})`;
    case 'expired':
      return `${STATE_ICON.expired} *Expired* at ${formatTime(p.expiresAt, now)} with ${count}; propose it again if it is still needed.`;
    case 'rejected':
      return `${STATE_ICON.rejected} *Rejected*${p.rejectedBy ? ` by <@${escapeMrkdwn(p.rejectedBy)}>` : ''}; nothing was sent.`;
    case 'approved':
      return `${STATE_ICON.approved} *Approved* by ${mentions(given)}: queued to run once.`;
    case 'running':
      return `${STATE_ICON.running} *Running* (approved by ${mentions(given)})…`;
    case 'succeeded': {
      const after = runbook ? ` I will check the incident at ${formatTime((p.outcome?.finishedAt ?? now) + runbook.verify.after, now)}.` : '';
      return `${STATE_ICON.succeeded} *Succeeded* (approved by ${mentions(given)}).${after}`;
    }
    case 'failed':
      return `${STATE_ICON.failed} *Failed* (approved by ${mentions(given)}). See the result below.`;
    case 'verified':
    case 'not-fixed':
      return `${STATE_ICON[p.state]} *Ran* (approved by ${mentions(given)}) and was checked afterwards, see below.`;
  }
}

function verificationLine(p: Proposal, now: number): string {
  const v = p.verification!;
  if (v.fixed) return `:tada: *Fixed:* checked at ${formatTime(v.checkedAt, now)}, every alert of incident \`${escapeMrkdwn(p.incidentId)}\` has resolved.`;
  const firing = v.stillFiring.length > 0 ? `${plural(v.stillFiring.length, 'alert')} still firing` : 'the incident could not be found to confirm it';
  return `:warning: *Not fixed:* checked at ${formatTime(v.checkedAt, now)}, ${firing} on incident \`${escapeMrkdwn(p.incidentId)}\`.`;
}

function policyLine(p: Proposal, runbook: Runbook | undefined): string {
  if (!runbook) return `Plan hash \`${p.planHash.slice(0, 12)}…\` · runbook \`${escapeMrkdwn(p.runbookId)}\` is no longer loaded`;
  const a = runbook.approval;
  const who = [...a.users.map((u) => `<@${escapeMrkdwn(u)}>`), ...a.groups.map((g) => `group \`${escapeMrkdwn(g)}\``)].join(', ');
  const rules = [
    `needs ${plural(a.required, 'distinct approver')} from ${who}`,
    a.allowProposer ? 'the proposer may approve' : 'not the proposer',
    ...(runbook.guardrails.requireDryRun ? [p.dryRunAt === null ? 'a dry run first (not yet)' : 'a dry run first (done)'] : p.dryRunAt !== null ? ['dry run seen'] : []),
  ];
  return truncate(`Plan hash \`${p.planHash.slice(0, 12)}…\` · ${rules.join(' · ')}`, LIMITS.contextText);
}
