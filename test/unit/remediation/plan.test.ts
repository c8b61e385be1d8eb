import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalJson, hashPlan, incidentFacts, planRestart, planWithoutState, resolveParams } from '../../../src/remediation/plan.js';
import { judgeVerification } from '../../../src/remediation/verification.js';
import { parseRunbook } from '../../../src/runbooks/runbook-loader.js';
import type { Runbook } from '../../../src/runbooks/runbook-schema.js';

function rb(action: Record<string, unknown>, extra: Record<string, unknown> = {}): Runbook {
  const r = parseRunbook('t.yaml', { id: 'r', title: 't', description: 'd', action, approval: { users: ['U1'] }, ...extra });
  if ('issues' in r) throw new Error(JSON.stringify(r.issues));
  return r.runbook;
}

const restart = rb({ type: 'kubernetes.restart', params: { namespace: { value: 'production' }, deployment: { from: 'rootCause.service' } } });

describe('plan', () => {
  it('resolves parameters from the incident and fixed values only', () => {
    expect(resolveParams(restart.action, incidentFacts('i1', 'checkout'))).toEqual({ ok: true, value: { namespace: 'production', deployment: 'checkout' } });
    expect(resolveParams(restart.action, incidentFacts('i1', null))).toMatchObject({ ok: false, code: 'unresolvable-params' });
    expect(resolveParams(restart.action, incidentFacts('i1', 'Checkout;rm'))).toMatchObject({ ok: false, code: 'unresolvable-params' });
  });

  it('the latest deploy of the root-cause service is the one deploy.* reads', () => {
    const f = incidentFacts('i', 'a', [
      { service: 'a', version: 'v2', previousVersion: 'v1', environment: null, at: 10 },
      { service: 'a', version: 'v3', previousVersion: 'v2', environment: null, at: 20 },
      { service: 'b', version: 'v9', previousVersion: null, environment: null, at: 30 },
    ]);
    expect(f.deploy?.version).toBe('v3');
  });

  it('restart plan is the exact strategic-merge patch, timestamped by the proposal', () => {
    const plan = planWithoutState(restart, { namespace: 'production', deployment: 'checkout' }, Date.parse('2026-10-14T09:00:00Z'))!;
    expect(plan.steps).toEqual([planRestart('production', 'checkout', Date.parse('2026-10-14T09:00:00Z'))]);
    expect(plan.steps[0]).toMatchObject({
      path: '/apis/apps/v1/namespaces/production/deployments/checkout',
      body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-10-14T09:00:00.000Z' } } } } },
      idempotent: true,
    });
  });

  it('URL placeholders are encoded; body placeholders keep types', () => {
    const http = rb({ type: 'http', method: 'POST', url: 'https://x.example/api/{app}', body: { app: '{app}', n: '{n}', text: 'sync {app}' }, params: { app: { from: 'rootCause.service', pattern: '.*' }, n: { value: 3 } } });
    const plan = planWithoutState(http, { app: 'a b/c', n: 3 }, 0)!;
    expect(plan.steps[0]).toMatchObject({ url: 'https://x.example/api/a%20b%2Fc', body: { app: 'a b/c', n: 3, text: 'sync a b/c' } });
  });

  it('plan hash ignores key order but not content', () => {
    const plan = planWithoutState(restart, { namespace: 'production', deployment: 'checkout' }, 0)!;
    const reordered = JSON.parse(JSON.stringify({ steps: plan.steps, params: plan.params, target: plan.target, action: plan.action, runbook: plan.runbook }));
    expect(hashPlan(reordered)).toBe(hashPlan(plan));
    expect(hashPlan(planWithoutState(restart, { namespace: 'production', deployment: 'checkout' }, 1)!)).not.toBe(hashPlan(plan));
  });

  it('canonicalJson is stable under key permutation', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.string(), fc.boolean())), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
        expect(JSON.parse(canonicalJson(obj))).toEqual(obj);
      }),
    );
  });
});

describe('judgeVerification', () => {
  const undoable = rb({ type: 'kubernetes.restart', params: { namespace: { value: 'p' }, deployment: { value: 'd' } } }, { undo: 'back' });
  const inc = { id: 'i', title: 't', status: 'open' as const, openedAt: '', alerts: ['a'], services: [], rootCauses: [], similarIncidents: [], remediations: [] };
  it('fixed when no alert still fires; not fixed otherwise, offering the undo', () => {
    expect(judgeVerification(inc, [], undoable, 5)).toEqual({ fixed: true, stillFiring: [], checkedAt: 5, undo: null });
    expect(judgeVerification(inc, ['a'], undoable, 5)).toEqual({ fixed: false, stillFiring: ['a'], checkedAt: 5, undo: 'back' });
    expect(judgeVerification(null, [], undoable, 5).fixed).toBe(false);
  });
});
