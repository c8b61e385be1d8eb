import { describe, expect, it } from 'vitest';
import { checkApproval, checkScope } from '../../../src/remediation/policy.js';
import type { Proposal } from '../../../src/remediation/proposal.js';
import { parseRunbook } from '../../../src/runbooks/runbook-loader.js';
import type { Runbook } from '../../../src/runbooks/runbook-schema.js';

function rb(approval: Record<string, unknown> = {}, guardrails: Record<string, unknown> = {}): Runbook {
  const r = parseRunbook('t.yaml', {
    id: 'restart',
    title: 't',
    description: 'd',
    action: { type: 'kubernetes.restart', params: { namespace: { value: 'production' }, deployment: { from: 'rootCause.service' } } },
    approval: { users: ['UAPPROVER'], groups: ['SONCALL'], ...approval },
    guardrails,
  });
  if ('issues' in r) throw new Error(JSON.stringify(r.issues));
  return r.runbook;
}

const proposal: Proposal = {
  id: 'p1',
  incidentId: 'i1',
  runbookId: 'restart',
  proposer: 'UPROPOSER',
  createdAt: 1000,
  expiresAt: 2000,
  target: 'deployment/production/checkout',
  params: { namespace: 'production', deployment: 'checkout' },
  plan: { runbook: 'restart', action: 'kubernetes.restart', target: 'deployment/production/checkout', params: {}, steps: [] },
  planHash: 'h',
  state: 'proposed',
  approvals: [],
  dryRunAt: null,
  rejectedBy: null,
  outcome: null,
  verification: null,
};

const approver = { userId: 'UAPPROVER', groups: [] };
const member = { userId: 'UMEMBER', groups: ['SONCALL'] };

describe('checkApproval', () => {
  it('accepts a named user and a member of a named group', () => {
    expect(checkApproval(proposal, approver, rb(), 1500, false)).toEqual({ ok: true, value: true });
    expect(checkApproval(proposal, member, rb(), 1500, false).ok).toBe(true);
  });

  it.each([
    ['automation paused', proposal, approver, rb(), 1500, true, 'automation-paused'],
    ['not named', proposal, { userId: 'UX', groups: ['SOTHER'] }, rb(), 1500, false, 'not-authorised'],
    ['expired exactly at expiry', proposal, approver, rb(), 2000, false, 'expired'],
    ['already decided', { ...proposal, state: 'approved' as const }, approver, rb(), 1500, false, 'wrong-state'],
    ['proposer self-approval', { ...proposal, proposer: 'UAPPROVER' }, approver, rb(), 1500, false, 'proposer-may-not-approve'],
    ['same person twice', { ...proposal, approvals: [{ user: 'UAPPROVER', at: 1200 }] }, approver, rb({ required: 2 }), 1500, false, 'already-approved-by-you'],
    ['dry run missing', proposal, approver, rb({}, { requireDryRun: true }), 1500, false, 'dry-run-required'],
    ['namespace outside guardrails', { ...proposal, params: { namespace: 'kube-system', deployment: 'x' } }, approver, rb({}, { namespaces: ['production'] }), 1500, false, 'guardrail'],
  ])('refuses: %s', (_name, p, who, runbook, now, paused, code) => {
    const r = checkApproval(p, who, runbook, now, paused);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code);
      expect(r.reason.length).toBeGreaterThan(10);
    }
  });

  it('allows self-approval when the runbook permits it, and an approval after a dry run', () => {
    expect(checkApproval({ ...proposal, proposer: 'UAPPROVER' }, approver, rb({ allowProposer: true }), 1500, false).ok).toBe(true);
    expect(checkApproval({ ...proposal, dryRunAt: 1100 }, approver, rb({}, { requireDryRun: true }), 1500, false).ok).toBe(true);
  });

  it('checkScope enforces environments too', () => {
    const r = parseRunbook('t.yaml', {
      id: 'e',
      title: 't',
      description: 'd',
      action: { type: 'http', method: 'POST', url: 'https://x.example/{environment}', params: { environment: { from: 'deploy.environment' } } },
      approval: { users: ['U1'] },
      guardrails: { environments: ['staging'] },
    });
    if ('issues' in r) throw new Error('invalid');
    expect(checkScope(r.runbook, { environment: 'staging' }).ok).toBe(true);
    expect(checkScope(r.runbook, { environment: 'production' })).toMatchObject({ ok: false, code: 'guardrail' });
  });
});
