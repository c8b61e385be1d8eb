// Rollback like `kubectl rollout undo`, over raw JSON: through the real executor against the recording fake API
// server, and through the RemediationService (real Redis) for the dry run that must show exactly what is sent.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { V1Container, V1PodSpec } from '@kubernetes/client-node';
import { KubernetesExecutor } from '../../../src/remediation/executors/kubernetes.js';
import { planRollback } from '../../../src/remediation/rollback-plan.js';
import type { KubernetesStep } from '../../../src/remediation/plan.js';
import { FakeKubernetes, type RecordedRequest } from '../../support/fake-kubernetes.js';
import { deleteKeys, newTestRedis, uniquePrefix } from '../../support/redis.js';
import { alice, bob, incident, makeService, must, runbook, waitForState, type Harness } from './harness.js';

const REV = 'deployment.kubernetes.io/revision';
type Template = { metadata: { labels: Record<string, string> } & Record<string, unknown>; spec: { containers: Array<Record<string, unknown>> } & Record<string, unknown> };
type Json = Record<string, unknown>;

const fake = new FakeKubernetes();
let exec: KubernetesExecutor;
let redis: Redis;
const prefixes: string[] = [];
const harnesses: Harness[] = [];

beforeAll(async () => {
  await fake.start();
  exec = new KubernetesExecutor(fake.kubeConfig());
  redis = newTestRedis();
});
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.service.close()));
});
afterAll(async () => {
  for (const p of prefixes) await deleteKeys(redis, p);
  await redis.quit();
  await fake.stop();
});

function templateOf(obj: Json): Template {
  return (obj.spec as { template: Template }).template;
}

/** Revision 2 of `name` gets fields a newer API server would serve and the client's models do not know. */
function addDeploymentWithFutureFields(name: string): { revision2: Json; served: string } {
  fake.addDeployment('production', name, [`${name}:1`, `${name}:2`, `${name}:3`]);
  const revision2 = fake.replicaSetsOf('production', name)[1]!;
  const t = templateOf(revision2);
  t.metadata = { creationTimestamp: null, ...t.metadata, annotations: { 'prometheus.io/scrape': 'true' } };
  t.spec.workloadRef = { name: 'training', podGroup: 'workers' };
  t.spec.containers[0]!.futureProbe = { exec: { command: ['true'] }, periodSeconds: 7 };
  t.spec.containers[0]!.resources = { limits: { cpu: '500m', memory: '1Gi' } };
  t.spec.terminationGracePeriodSeconds = 45;
  const expected = structuredClone(t);
  delete expected.metadata.labels['pod-template-hash'];
  return { revision2, served: JSON.stringify(expected) };
}

function templateOp(body: unknown): { value: unknown } {
  return (body as Array<{ op: string; path: string; value: unknown }>).find((o) => o.path === '/spec/template')!;
}

async function planFor(name: string): Promise<KubernetesStep> {
  const state = await exec.readRolloutState('production', name);
  const step = planRollback(state.deployment, state.replicaSets);
  if (!step.ok) throw new Error(step.reason);
  return step.value;
}

describe('rollback over raw JSON (executor and fake API server)', () => {
  it('fields unknown to the client models survive: read, planned, sent and applied byte for byte', async () => {
    // The premise: @kubernetes/client-node's models lack these fields, so a round trip through them drops them.
    expect(V1PodSpec.getAttributeTypeMap().map((a) => a.name)).not.toContain('workloadRef');
    expect(V1Container.getAttributeTypeMap().map((a) => a.name)).not.toContain('futureProbe');

    const { served } = addDeploymentWithFutureFields('ledger');
    const step = await planFor('ledger');
    expect(step.summary).toBe('roll back deployment production/ledger from revision 3 to revision 2 (ReplicaSet ledger-h26)');
    expect(JSON.stringify(templateOp(step.body).value)).toBe(served);

    const before = fake.writes().length;
    const result = await exec.run(step);
    expect(result).toEqual({ ok: true, status: 200, detail: 'PATCH /apis/apps/v1/namespaces/production/deployments/ledger: 200 OK' });
    expect(fake.writes()).toHaveLength(before + 1);
    const sent = fake.writes().at(-1)!;
    expect(sent.raw).toBe(JSON.stringify(step.body));
    expect(sent.contentType).toBe('application/json-patch+json');
    expect(JSON.stringify(templateOp(sent.body).value)).toBe(served);
    expect(JSON.stringify(templateOf(fake.deployment('production', 'ledger')!))).toBe(served);
  });

  it('annotations are carried over as kubectl does, and the controller then renumbers the restored revision', async () => {
    const dep = fake.addDeployment('production', 'invoices', ['invoices:1', 'invoices:2']);
    const current = {
      [REV]: '2',
      'kubectl.kubernetes.io/last-applied-configuration': '{"image":"invoices:2"}',
      'kubernetes.io/change-cause': 'release 2',
      'team.example.com/owner': 'billing',
    };
    dep.metadata.annotations = current;
    const [first] = fake.replicaSetsOf('production', 'invoices');
    Object.assign(first!.metadata.annotations as Json, {
      'kubernetes.io/change-cause': 'release 1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
      'example.com/checksum': 'abc',
    });

    const step = await planFor('invoices');
    const restored = { [REV]: '2', 'kubectl.kubernetes.io/last-applied-configuration': '{"image":"invoices:2"}', 'example.com/checksum': 'abc', 'kubernetes.io/change-cause': 'release 1' };
    expect((step.body as Json[]).filter((o) => o.path === '/metadata/annotations')).toEqual([
      { op: 'test', path: '/metadata/annotations', value: current },
      { op: 'replace', path: '/metadata/annotations', value: restored },
    ]);
    expect((await exec.run(step)).ok).toBe(true);
    const after = fake.deployment('production', 'invoices')!;
    expect(after.metadata.annotations).toEqual({ ...restored, [REV]: '3' });
    expect(templateOf(after).spec.containers[0]!.image).toBe('invoices:1');
    // The old ReplicaSet is now the newest revision, so a second undo puts release 2 back, like kubectl.
    expect(first!.metadata.annotations).toMatchObject({ [REV]: '3', 'deployment.kubernetes.io/revision-history': '1' });
    const again = await planFor('invoices');
    expect(again.summary).toBe('roll back deployment production/invoices from revision 3 to revision 2 (ReplicaSet invoices-h28)');
    expect((await exec.run(again)).ok).toBe(true);
    expect(templateOf(fake.deployment('production', 'invoices')!).spec.containers[0]!.image).toBe('invoices:2');
  });

  it('an annotation edited after the plan makes the API server refuse the whole patch: nothing is rolled back', async () => {
    fake.addDeployment('production', 'tax', ['tax:1', 'tax:2']);
    const step = await planFor('tax');
    const dep = fake.deployment('production', 'tax')!;
    dep.metadata.annotations = { ...(dep.metadata.annotations as Json), 'kubernetes.io/change-cause': 'hotfix by hand' };
    const r = await exec.run(step);
    expect(r).toMatchObject({ ok: false, status: 422 });
    expect(r.detail).toContain('testing value /metadata/annotations failed');
    expect(templateOf(fake.deployment('production', 'tax')!).spec.containers[0]!.image).toBe('tax:2');
  });

  it('refuses to send a step whose path is not its own deployment', async () => {
    fake.addDeployment('production', 'fees', ['fees:1', 'fees:2']);
    const step = await planFor('fees');
    const before = fake.writes().length;
    const r = await exec.run({ ...step, path: '/api/v1/namespaces/production/secrets/x' });
    expect(r).toEqual({ ok: false, detail: 'PATCH /api/v1/namespaces/production/secrets/x: not the path of deployment production/fees; nothing was sent' });
    expect(fake.writes()).toHaveLength(before);
  });
});

describe('rollback through the remediation service (real Redis)', () => {
  const rollback = runbook({
    id: 'rollback',
    action: { type: 'kubernetes.rollback', params: { namespace: { value: 'production' }, deployment: { from: 'rootCause.service' } } },
    guardrails: { requireDryRun: true },
  });

  function setup(): Harness {
    const prefix = uniquePrefix('rollback');
    prefixes.push(prefix);
    const h = makeService(redis, prefix, fake, [rollback]);
    harnesses.push(h);
    return h;
  }

  it('the dry run shows exactly the patch that is then sent, unknown fields included', async () => {
    const h = setup();
    h.service.startWorker();
    const { served } = addDeploymentWithFutureFields('payouts');
    h.incidents.set('inc-r1', incident('inc-r1', 'payouts'));
    const p = must(await h.service.propose('inc-r1', 'rollback', alice));

    const writes = fake.writes().length;
    const dry = must(await h.service.dryRun(p.id, bob));
    expect(fake.writes()).toHaveLength(writes);
    expect(dry.unchanged).toBe(true);
    const shown = dry.plan.steps[0] as KubernetesStep;
    expect(JSON.stringify(templateOp(shown.body).value)).toBe(served);

    must(await h.service.approve(p.id, bob, p.planHash));
    expect((await waitForState(h.service, p.id, ['succeeded', 'failed'])).state).toBe('succeeded');
    const sent: RecordedRequest[] = fake.writes().slice(writes);
    expect(sent).toHaveLength(1);
    expect({ method: sent[0]!.method, path: sent[0]!.path, contentType: sent[0]!.contentType }).toEqual({ method: shown.method, path: shown.path, contentType: shown.contentType });
    expect(sent[0]!.raw).toBe(JSON.stringify(shown.body));
  });

  it('a rollback with nothing to go back to is refused at proposal, with kubectl reason', async () => {
    const h = setup();
    fake.addDeployment('production', 'fresh', ['fresh:1']);
    h.incidents.set('inc-r2', incident('inc-r2', 'fresh'));
    expect(await h.service.propose('inc-r2', 'rollback', alice)).toEqual({
      ok: false,
      code: 'plan-failed',
      reason: 'no rollout history found for deployment production/fresh: there is no previous revision to roll back to',
    });
  });
});
