// Pure approval policy: may this person approve this proposal now? Every refusal says why.
import type { Runbook } from '../runbooks/runbook-schema.js';
import type { ResolvedParams } from './plan.js';
import type { Actor, Proposal } from './proposal.js';
import { ok, refuse, type Result } from './result.js';

/** Guardrails on where a runbook may act: allowed namespaces and environments. */
export function checkScope(runbook: Runbook, params: ResolvedParams): Result<true> {
  const g = runbook.guardrails;
  if (g.namespaces && params.namespace !== undefined && !g.namespaces.includes(String(params.namespace)))
    return refuse('guardrail', `namespace "${String(params.namespace)}" is not allowed by runbook ${runbook.id} (allowed: ${g.namespaces.join(', ')})`);
  if (g.environments && !g.environments.includes(String(params.environment ?? '')))
    return refuse('guardrail', `environment "${String(params.environment ?? '')}" is not allowed by runbook ${runbook.id} (allowed: ${g.environments.join(', ')})`);
  return ok(true);
}

/** Whether the actor is named by the runbook, directly or through a user group. */
export function isApprover(runbook: Runbook, actor: Actor): boolean {
  return runbook.approval.users.includes(actor.userId) || actor.groups.some((g) => runbook.approval.groups.includes(g));
}

/**
 * The checks that do not need Redis. The per-target rate limit and the final "count distinct approvals"
 * are re-checked atomically in Redis, where concurrent approvals meet.
 */
export function checkApproval(
  proposal: Proposal,
  approver: Actor,
  runbook: Runbook,
  now: number,
  automationPaused: boolean,
): Result<true> {
  if (automationPaused) return refuse('automation-paused', 'automated remediation is paused by an administrator');
  if (runbook.id !== proposal.runbookId) return refuse('unknown-runbook', `proposal ${proposal.id} is for runbook ${proposal.runbookId}`);
  if (proposal.state !== 'proposed' && proposal.state !== 'expired') return refuse('wrong-state', `proposal ${proposal.id} is already ${proposal.state}`);
  if (proposal.state === 'expired' || now >= proposal.expiresAt) return refuse('expired', `proposal ${proposal.id} expired at ${new Date(proposal.expiresAt).toISOString()}; propose it again`);
  if (!isApprover(runbook, approver)) return refuse('not-authorised', `<@${approver.userId}> may not approve runbook ${runbook.id}`);
  if (!runbook.approval.allowProposer && approver.userId === proposal.proposer)
    return refuse('proposer-may-not-approve', `runbook ${runbook.id} needs someone other than the proposer to approve`);
  if (proposal.approvals.some((a) => a.user === approver.userId))
    return refuse('already-approved-by-you', `you already approved; runbook ${runbook.id} needs ${runbook.approval.required} different people`);
  if (runbook.guardrails.requireDryRun && proposal.dryRunAt === null)
    return refuse('dry-run-required', `runbook ${runbook.id} requires a dry run before approval`);
  return checkScope(runbook, proposal.params);
}
