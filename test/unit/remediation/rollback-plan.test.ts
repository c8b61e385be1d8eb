import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { planRollback, rollbackAnnotations, type DeploymentObject, type ReplicaSetObject } from '../../../src/remediation/rollback-plan.js';
import type { KubernetesStep } from '../../../src/remediation/plan.js';

const REV = 'deployment.kubernetes.io/revision';

function template(image: string, hash?: string): Record<string, unknown> {
  return { metadata: { labels: { app: 'd', ...(hash ? { 'pod-template-hash': hash } : {}) } }, spec: { containers: [{ name: 'd', image }] } };
}

function deployment(overrides: { annotations?: Record<string, string> | null; paused?: boolean; image?: string } = {}): DeploymentObject {
  const annotations = overrides.annotations === null ? undefined : (overrides.annotations ?? { [REV]: '3' });
  return {
    metadata: { name: 'd', namespace: 'n', uid: 'u1', generation: 7, ...(annotations ? { annotations } : {}) },
    spec: { selector: { matchLabels: { app: 'd' } }, template: template(overrides.image ?? 'v3'), ...(overrides.paused ? { paused: true } : {}) },
  };
}

function rs(rev: number | string | null, image: string, opts: { owner?: string; controller?: boolean; annotations?: Record<string, string> } = {}): ReplicaSetObject {
  return {
    metadata: {
      name: `d-${String(rev)}`,
      annotations: { ...(rev === null ? {} : { [REV]: String(rev) }), ...opts.annotations },
      ownerReferences: [{ uid: opts.owner ?? 'u1', kind: 'Deployment', controller: opts.controller ?? true }],
    },
    spec: { template: template(image, `h${String(rev)}`) },
  };
}

function plan(dep: DeploymentObject, sets: ReplicaSetObject[], toRevision?: number): KubernetesStep {
  const r = planRollback(dep, sets, toRevision);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

describe('planRollback (kubectl rollout undo)', () => {
  it('restores the second newest revision the deployment controls, without pod-template-hash, in one guarded JSON patch', () => {
    const step = plan(deployment(), [rs(1, 'v1'), rs(3, 'v3'), rs(2, 'v2'), rs(9, 'other', { owner: 'u2' }), rs(8, 'not-controller', { controller: false })]);
    expect(step).toMatchObject({
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/n/deployments/d',
      contentType: 'application/json-patch+json',
      idempotent: false,
      summary: 'roll back deployment n/d from revision 3 to revision 2 (ReplicaSet d-2)',
    });
    expect(step.body).toEqual([
      { op: 'test', path: '/metadata/generation', value: 7 },
      { op: 'test', path: '/metadata/annotations', value: { [REV]: '3' } },
      { op: 'replace', path: '/spec/template', value: template('v2') },
      { op: 'replace', path: '/metadata/annotations', value: { [REV]: '3' } },
    ]);
  });

  it('picks the second newest ReplicaSet even when the deployment annotation lags behind, as kubectl does', () => {
    const step = plan(deployment({ annotations: { [REV]: '2' }, image: 'v4' }), [rs(2, 'v2'), rs(4, 'v4'), rs(3, 'v3')]);
    expect(step.summary).toContain('to revision 3');
  });

  it('a ReplicaSet without the revision annotation is revision 0; an unparsable one is ignored', () => {
    expect(plan(deployment(), [rs(null, 'v0'), rs(3, 'v3')]).summary).toContain('to revision 0 (ReplicaSet d-null)');
    expect(plan(deployment(), [rs('1', 'v1'), rs('2x', 'bad'), rs(3, 'v3')]).summary).toContain('to revision 1');
  });

  it('rolls back to a requested revision (--to-revision), and says so when it is not in the history', () => {
    const sets = [rs(1, 'v1'), rs(2, 'v2'), rs(3, 'v3')];
    expect((plan(deployment(), sets, 1).body as Array<{ value: unknown }>)[2]!.value).toEqual(template('v1'));
    expect(planRollback(deployment(), sets, 5)).toEqual({ ok: false, code: 'plan-failed', reason: 'unable to find revision 5 in the history of deployment n/d' });
    expect(planRollback(deployment(), sets, -1)).toMatchObject({ ok: false, code: 'plan-failed' });
    expect(planRollback(deployment(), sets, 1.5)).toMatchObject({ ok: false, code: 'plan-failed' });
  });

  it('refuses without history, when paused, and when the current template already matches (hash label and empty maps aside)', () => {
    expect(planRollback(deployment(), [rs(3, 'v3')])).toMatchObject({ ok: false, reason: expect.stringContaining('no rollout history found for deployment n/d') });
    expect(planRollback(deployment({ paused: true }), [rs(2, 'v2'), rs(3, 'v3')])).toMatchObject({ ok: false, reason: 'deployment n/d is paused; resume it before rolling back' });
    const same = rs(2, 'v3');
    (same.spec.template!.metadata as Record<string, unknown>).annotations = {};
    expect(planRollback(deployment(), [same, rs(3, 'v3')])).toMatchObject({ ok: false, reason: 'deployment n/d: the current template already matches revision 2; nothing to roll back' });
  });

  it('copies the ReplicaSet annotations onto the deployment except the ones kubectl skips, which keep the deployment values', () => {
    const deploymentAnnotations = {
      [REV]: '3',
      'deployment.kubernetes.io/revision-history': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
      'kubectl.kubernetes.io/last-applied-configuration': '{"now":true}',
      'deprecated.deployment.rollback.to': '1',
      'kubernetes.io/change-cause': 'deploy v3',
      'team.example.com/owner': 'payments', // not on the ReplicaSet: kubectl replaces the map, so it goes
    };
    const old = rs(2, 'v2', {
      annotations: {
        'deployment.kubernetes.io/revision-history': '0',
        'deployment.kubernetes.io/desired-replicas': '2',
        'deployment.kubernetes.io/max-replicas': '3',
        'kubectl.kubernetes.io/last-applied-configuration': '{"then":true}',
        'deprecated.deployment.rollback.to': '9',
        'kubernetes.io/change-cause': 'deploy v2',
        'example.com/new': 'x',
      },
    });
    const step = plan(deployment({ annotations: deploymentAnnotations }), [old, rs(3, 'v3')]);
    const ops = step.body as Array<{ op: string; path: string; value: unknown }>;
    expect(ops[1]).toEqual({ op: 'test', path: '/metadata/annotations', value: deploymentAnnotations });
    expect(ops[3]).toEqual({
      op: 'replace',
      path: '/metadata/annotations',
      value: {
        [REV]: '3',
        'deployment.kubernetes.io/revision-history': '1',
        'deployment.kubernetes.io/desired-replicas': '3',
        'deployment.kubernetes.io/max-replicas': '4',
        'kubectl.kubernetes.io/last-applied-configuration': '{"now":true}',
        'deprecated.deployment.rollback.to': '1',
        'kubernetes.io/change-cause': 'deploy v2',
        'example.com/new': 'x',
      },
    });
    // A skipped annotation the deployment lacks is not taken from the ReplicaSet either.
    expect(rollbackAnnotations({ [REV]: '3' }, { 'deployment.kubernetes.io/max-replicas': '9', a: 'b' })).toEqual({ a: 'b', [REV]: '3' });
  });

  it('a deployment without annotations gets them added, with nothing to test', () => {
    const ops = plan(deployment({ annotations: null }), [rs(1, 'v1'), rs(2, 'v2')]).body as Array<{ op: string; path: string }>;
    expect(ops.map((o) => `${o.op} ${o.path}`)).toEqual(['test /metadata/generation', 'replace /spec/template', 'add /metadata/annotations']);
  });

  it('the restored template is the ReplicaSet JSON as served, unknown fields and key order included, minus only the hash label', () => {
    const extra = fc.dictionary(
      fc.string({ minLength: 1 }).filter((k) => !/^\d+$/.test(k) && k !== '__proto__' && k !== 'metadata'),
      fc.jsonValue(),
    );
    fc.assert(
      fc.property(extra, extra, (specExtra, metaExtra) => {
        const old = rs(2, 'v2');
        const t = old.spec.template!;
        Object.assign(t.spec as object, specExtra);
        const meta = t.metadata as Record<string, unknown>;
        Object.assign(meta, Object.fromEntries(Object.entries(metaExtra).filter(([k]) => k !== 'labels')));
        const served = JSON.parse(JSON.stringify(t)) as { metadata: { labels: Record<string, string> } };
        delete served.metadata.labels['pod-template-hash'];
        const sent = (plan(deployment(), [old, rs(3, 'v3')]).body as Array<{ value: unknown }>)[2]!.value;
        expect(JSON.stringify(sent)).toBe(JSON.stringify(served));
        expect((t.metadata as { labels: Record<string, string> }).labels['pod-template-hash']).toBe('h2'); // the input is not modified
      }),
    );
  });
});
