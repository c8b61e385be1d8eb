import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesExecutor } from '../../../src/remediation/executors/kubernetes.js';
import { planRestart, planScale } from '../../../src/remediation/plan.js';
import { planRollback } from '../../../src/remediation/rollback-plan.js';
import { FakeKubernetes } from '../../support/fake-kubernetes.js';

describe('KubernetesExecutor against a recording fake API server', () => {
  const fake = new FakeKubernetes();
  let exec: KubernetesExecutor;
  beforeAll(async () => {
    await fake.start();
    exec = new KubernetesExecutor(fake.kubeConfig());
  });
  afterAll(() => fake.stop());

  it('restart sends a strategic-merge patch of the restartedAt pod-template annotation', async () => {
    fake.addDeployment('shop', 'checkout');
    const step = planRestart('shop', 'checkout', Date.parse('2026-10-14T09:05:00Z'));
    const r = await exec.run(step);
    expect(r.ok).toBe(true);
    const sent = fake.writes().at(-1)!;
    expect(sent.method).toBe('PATCH');
    expect(sent.path).toBe('/apis/apps/v1/namespaces/shop/deployments/checkout');
    expect(sent.contentType).toContain('application/strategic-merge-patch+json');
    expect(sent.body).toEqual({ spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-10-14T09:05:00.000Z' } } } } });
    const dep = fake.deployment('shop', 'checkout') as unknown as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
    expect(dep.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBe('2026-10-14T09:05:00.000Z');
  });

  it('scale patches the scale subresource', async () => {
    fake.addDeployment('shop', 'cart');
    const r = await exec.run(planScale('shop', 'cart', 6));
    expect(r.ok).toBe(true);
    const sent = fake.writes().at(-1)!;
    expect(sent.path).toBe('/apis/apps/v1/namespaces/shop/deployments/cart/scale');
    expect(sent.contentType).toContain('application/merge-patch+json');
    expect(sent.body).toEqual({ spec: { replicas: 6 } });
    expect((fake.deployment('shop', 'cart')!.spec as { replicas: number }).replicas).toBe(6);
  });

  it('rollback restores the previous ReplicaSet template without pod-template-hash, guarded by generation', async () => {
    fake.addDeployment('shop', 'payments', ['payments:1.0', 'payments:1.1', 'payments:1.2']);
    const state = await exec.readRolloutState('shop', 'payments');
    expect(state.replicaSets).toHaveLength(3);
    const step = planRollback(state.deployment, state.replicaSets);
    if (!step.ok) throw new Error(step.reason);
    expect(step.value.summary).toContain('from revision 3 to revision 2');
    const before = fake.writes().length;
    const r = await exec.run(step.value);
    expect(r.ok).toBe(true);
    expect(fake.writes()).toHaveLength(before + 1);
    const sent = fake.writes().at(-1)!;
    expect(sent.contentType).toContain('application/json-patch+json');
    expect((sent.body as { op: string; path: string }[]).map((o) => `${o.op} ${o.path}`)).toEqual([
      'test /metadata/generation',
      'test /metadata/annotations',
      'replace /spec/template',
      'replace /metadata/annotations',
    ]);
    const dep = fake.deployment('shop', 'payments') as unknown as { spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: { image: string }[] } } } };
    expect(dep.spec.template.spec.containers[0]!.image).toBe('payments:1.1');
    expect(dep.spec.template.metadata.labels).toEqual({ app: 'payments' });
    // Sending the same patch again fails the generation test instead of applying twice.
    const again = await exec.run(step.value);
    expect(again.ok).toBe(false);
    expect(again.status).toBe(422);
  });

  it('reports the API error of a missing deployment', async () => {
    const r = await exec.run(planScale('shop', 'nope', 2));
    expect(r.ok).toBe(false);
    expect(r.status).toBe(404);
    expect(r.detail).toContain('not found');
  });
});
