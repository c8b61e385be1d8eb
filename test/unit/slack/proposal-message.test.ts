import { describe, expect, it } from 'vitest';
import { hashPlan, planHttp, planScale, type Plan, type PlanStep } from '../../../src/remediation/plan.js';
import type { Proposal } from '../../../src/remediation/proposal.js';
import { parseRunbook } from '../../../src/runbooks/runbook-loader.js';
import type { Runbook } from '../../../src/runbooks/runbook-schema.js';
import { ActionRefs } from '../../../src/slack/action-refs.js';
import { parseRcaCommand } from '../../../src/slack/rca-command.js';
import { renderBlocksAsText } from '../../../src/slack/render/blocks-as-text.js';
import { LIMITS } from '../../../src/slack/render/block-kit.js';
import { renderDryRun, renderPlanStep, renderProposalMessage, renderVerification, splitCode } from '../../../src/slack/render/proposal-message.js';
import { expectWithinBlockKitLimits } from './block-limits.js';

const T0 = Date.parse('2026-10-14T09:00:00Z');
const MIN = 60_000;

function rb(doc: Record<string, unknown>): Runbook {
  const r = parseRunbook('t.yaml', {
    id: 'scale-up',
    title: 'Scale out',
    description: 'd',
    action: { type: 'kubernetes.scale', params: { namespace: { value: 'production' }, deployment: { from: 'rootCause.service' }, replicas: { value: 6 } } },
    approval: { groups: ['S0ONCALL'], users: ['ULEAD'], required: 2 },
    ...doc,
  });
  if ('issues' in r) throw new Error(JSON.stringify(r.issues));
  return r.runbook;
}

function proposal(steps: PlanStep[], over: Partial<Proposal> = {}): Proposal {
  const plan: Plan = { runbook: 'scale-up', action: 'kubernetes.scale', target: 'deployment/production/checkout', params: {}, steps };
  return {
    id: 'prop-1',
    incidentId: 'inc-1',
    runbookId: 'scale-up',
    proposer: 'UALICE',
    createdAt: T0,
    expiresAt: T0 + 30 * MIN,
    target: plan.target,
    params: {},
    plan,
    planHash: hashPlan(plan),
    state: 'proposed',
    approvals: [],
    dryRunAt: null,
    rejectedBy: null,
    outcome: null,
    verification: null,
    ...over,
  };
}

const buttonsOf = (blocks: unknown[]) =>
  (blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>).find((b) => b.type === 'actions')?.elements ?? [];

describe('renderProposalMessage', () => {
  it('shows the exact request, the approvals so far and the expiry, with three buttons carrying only the proposal id', () => {
    const p = proposal([planScale('production', 'checkout', 6)], { approvals: [{ user: 'UBOB', at: T0 + MIN }] });
    const m = renderProposalMessage({ proposal: p, runbook: rb({}), now: T0 + 10 * MIN });
    expectWithinBlockKitLimits(m.blocks);
    const text = renderBlocksAsText(m.blocks);
    expect(text).toContain('PATCH /apis/apps/v1/namespaces/production/deployments/checkout/scale\nContent-Type: application/merge-patch+json\n\n{\n  "spec": {\n    "replicas": 6\n  }\n}');
    expect(text).toContain('*Waiting for approval:* 1 of 2 approvals (@UBOB) · expires at 09:30 UTC (in 20 min)');
    expect(text).toContain('needs 2 distinct approvers from @ULEAD, group `S0ONCALL` · not the proposer');
    expect(buttonsOf(m.blocks).map((b) => [b.action_id, b.value])).toEqual([
      ['rca_approve_proposal', 'prop-1'],
      ['rca_reject_proposal', 'prop-1'],
      ['rca_dry_run_proposal', 'prop-1'],
    ]);
    expect(m.text).toBe('Remediation waiting for approval: Scale out on deployment/production/checkout');
  });

  it('an expired or decided proposal has no buttons and says what happened', () => {
    const p = proposal([planScale('production', 'checkout', 6)]);
    const expired = renderProposalMessage({ proposal: p, runbook: rb({}), now: T0 + 30 * MIN });
    expect(buttonsOf(expired.blocks)).toEqual([]);
    expect(renderBlocksAsText(expired.blocks)).toContain('*Expired* at 09:30 UTC with 0 of 2 approvals; propose it again');
    const failed = renderProposalMessage({
      proposal: { ...p, state: 'failed', approvals: [{ user: 'UBOB', at: T0 }, { user: 'UCAROL', at: T0 }], outcome: { ok: false, detail: ['step 1: PATCH … → 422 <b>Invalid</b>'], finishedAt: T0 + MIN } },
      runbook: rb({}),
      now: T0 + 2 * MIN,
    });
    expect(buttonsOf(failed.blocks)).toEqual([]);
    const text = renderBlocksAsText(failed.blocks);
    expect(text).toContain('*Failed* (approved by @UBOB, @UCAROL)');
    expect(text).toContain('• step 1: PATCH … → 422 <b>Invalid</b>');
    expect(JSON.stringify(failed.blocks)).toContain('&lt;b&gt;Invalid&lt;/b&gt;'); // escaped in mrkdwn
  });

  it('truncates a huge patch inside its code block with a note, within Block Kit limits', () => {
    const huge = { ...planScale('production', 'checkout', 6), body: { spec: { template: { data: 'x'.repeat(20_000) } } } };
    const p = proposal([huge, huge]);
    const m = renderProposalMessage({ proposal: p, runbook: rb({}), now: T0 });
    expectWithinBlockKitLimits(m.blocks);
    const step = renderPlanStep(huge, 0, p.planHash);
    expect([...step].length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(step.match(/```/g)).toHaveLength(2); // the block is closed after the cut
    expect(step).toMatch(/_Truncated to fit Slack: \d+ of \d+ characters shown\. What runs is the stored plan, exactly as proposed \(plan hash `[0-9a-f]{12}…`\)\._$/);
  });

  it('cannot be broken out of: backticks and mrkdwn controls inside a body stay inside the code block', () => {
    const step = { ...planScale('production', 'checkout', 6), body: { note: '```<!channel> <https://evil|click>```' } };
    const text = renderPlanStep(step, 0, 'a'.repeat(64));
    expect(text.match(/```/g)).toHaveLength(2);
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).not.toContain('<!channel>');
  });

  it('an HTTP step shows method, URL, headers (secrets by name only) and body', () => {
    const httpBook = parseRunbook('h.yaml', {
      id: 'sync',
      title: 'Sync',
      description: 'd',
      action: { type: 'http', method: 'POST', url: 'https://argocd.example.com/api/v1/applications/{app}/sync', headers: { Authorization: { secret: 'ARGOCD_TOKEN', prefix: 'Bearer ' } }, body: { prune: false }, params: { app: { from: 'rootCause.service' } } },
      approval: { groups: ['S0ONCALL'] },
    });
    if ('issues' in httpBook) throw new Error('bad runbook');
    const a = httpBook.runbook.action;
    if (a.type !== 'http') throw new Error('not http');
    const text = renderPlanStep(planHttp(a, { app: 'checkout' }), 0, 'a'.repeat(64));
    expect(text).toContain('POST https://argocd.example.com/api/v1/applications/checkout/sync\nAuthorization: Bearer ${secret:ARGOCD_TOKEN}\n\n{\n  "prune": false\n}');
  });
});

describe('renderDryRun and renderVerification', () => {
  it('a dry run says nothing was sent and warns when the plan changed', () => {
    const p = proposal([planScale('production', 'checkout', 6)]);
    const same = renderBlocksAsText(renderDryRun({ proposal: p, plan: p.plan, unchanged: true, by: 'UBOB', now: T0 }).blocks);
    expect(same).toContain('by @UBOB at 09:00 UTC: nothing was sent.');
    expect(same).toContain('same as the proposed one');
    const changed = renderBlocksAsText(renderDryRun({ proposal: p, plan: p.plan, unchanged: false, by: 'UBOB', now: T0 }).blocks);
    expect(changed).toContain('The plan computed now differs from the proposed one');
  });

  it('a dry run shows a long request in full, continued over several sections, each a closed code block', () => {
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i} <&> ${'y'.repeat(20)}`);
    const long = { ...planScale('production', 'checkout', 6), body: { spec: { lines, blob: 'z&'.repeat(4000) } } };
    const p = proposal([long]);
    const m = renderDryRun({ proposal: p, plan: p.plan, unchanged: true, by: 'UBOB', now: T0 });
    expectWithinBlockKitLimits(m.blocks);
    const sections = m.blocks.slice(1).map((b) => (b as { text: { text: string } }).text.text);
    expect(sections.length).toBeGreaterThan(3);
    expect(sections[1]).toMatch(/^_Step 1, continued \(2 of \d+\)_\n```/);
    for (const t of sections) expect(t.match(/```/g)).toHaveLength(2);
    // Gluing the code parts back gives exactly the escaped request: nothing left out, no entity cut in two.
    const code = sections.map((t) => t.slice(t.indexOf('```') + 3, t.lastIndexOf('```'))).join('');
    expect(code).toContain('line 399 &lt;&amp;&gt; ');
    expect(code.endsWith(`${'z&amp;'.repeat(3)}"\n  }\n}`)).toBe(true);
    expect(code.split('\n\n')[1]).toBe(JSON.stringify(long.body, null, 2).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
  });

  it('splitCode never cuts an entity or a surrogate pair, and keeps every character', () => {
    const text = `${'a'.repeat(7)}&amp;${'b'.repeat(3)}😀&lt;`;
    for (const max of [5, 8, 9, 10, 11, 12]) {
      const parts = splitCode(text, max);
      expect(parts.join('')).toBe(text);
      for (const part of parts) {
        expect([...part].length).toBeLessThanOrEqual(max);
        expect(part).not.toMatch(/&[a-z]*$/);
      }
    }
  });

  it('not fixed offers the undo runbook as a Propose button with an opaque ref; fixed offers nothing', () => {
    const p = proposal([planScale('production', 'checkout', 6)], { state: 'not-fixed', verification: { fixed: false, stillFiring: ['a', 'b'], checkedAt: T0 + 5 * MIN, undo: 'scale-back' } });
    const refs = new ActionRefs();
    const m = renderVerification({ proposal: p, undo: rb({ id: 'scale-back', title: 'Scale back' }), now: T0 + 5 * MIN, refs });
    const text = renderBlocksAsText(m.blocks);
    expect(text).toContain('*Not fixed:* checked at 09:05 UTC, 2 alerts still firing on incident `inc-1`.');
    expect(text).toContain('Undo with *Scale back* (`scale-back`)?');
    expect(refs.entries()).toEqual([[expect.stringMatching(/^r[0-9a-f]{16}$/), { kind: 'runbook', incidentId: 'inc-1', runbook: 'scale-back', target: 'deployment/production/checkout' }]]);
    const fixed = renderVerification({ proposal: { ...p, state: 'verified', verification: { fixed: true, stillFiring: [], checkedAt: T0, undo: null } }, undo: undefined, now: T0, refs: new ActionRefs() });
    expect(renderBlocksAsText(fixed.blocks)).toContain('*Fixed:* checked at 09:00 UTC, every alert of incident `inc-1` has resolved.');
    expect(fixed.blocks).toHaveLength(1);
  });
});

describe('/rca automation', () => {
  it('parses pause with its reason, resume and status; anything else is explained', () => {
    expect(parseRcaCommand('automation pause  deploy freeze until 17:00 ')).toEqual({ kind: 'automation', action: 'pause', reason: 'deploy freeze until 17:00' });
    expect(parseRcaCommand('AUTOMATION Pause')).toEqual({ kind: 'automation', action: 'pause', reason: '' });
    expect(parseRcaCommand('automation resume')).toEqual({ kind: 'automation', action: 'resume' });
    expect(parseRcaCommand('automation')).toEqual({ kind: 'automation', action: 'status' });
    expect(parseRcaCommand('automation status')).toEqual({ kind: 'automation', action: 'status' });
    expect(parseRcaCommand('automation resume now').kind).toBe('unknown');
    expect(parseRcaCommand('automation stop').kind).toBe('unknown');
  });
});
