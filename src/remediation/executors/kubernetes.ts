// Kubernetes executor through the official client (@kubernetes/client-node 1.x): reads for rollback plans,
// and sends planned patches exactly as planned (same path, patch type and body).
import { ApiException, AppsV1Api, KubeConfig, setHeaderOptions } from '@kubernetes/client-node';
// The generated serializer is not re-exported by the package index; we need it to turn typed objects back
// into wire JSON, because a rollback patch must carry the ReplicaSet's template exactly as the server holds it.
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import type { KubernetesStep } from '../plan.js';
import type { DeploymentObject, ReplicaSetObject } from '../rollback-plan.js';
import type { KubernetesPort, StepResult } from './executor.js';

function toWire<T>(value: unknown, type: string): T {
  // JSON round trip drops the undefined fields the serializer leaves in.
  return JSON.parse(JSON.stringify(ObjectSerializer.serialize(value, type, ''))) as T;
}

function describeError(err: unknown): { status?: number; message: string } {
  if (err instanceof ApiException) {
    const body = err.body as unknown;
    const msg = typeof body === 'string' ? safeMessage(body) : ((body as { message?: string } | null)?.message ?? err.message);
    return { status: err.code, message: msg };
  }
  return { message: (err as Error).message };
}

function safeMessage(body: string): string {
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}

export class KubernetesExecutor implements KubernetesPort {
  private readonly apps: AppsV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
  }

  /** `KUBECONFIG` or ~/.kube/config when present, else the in-cluster service account. */
  static fromDefault(): KubernetesExecutor {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    return new KubernetesExecutor(kc);
  }

  async readRolloutState(namespace: string, name: string): Promise<{ deployment: DeploymentObject; replicaSets: ReplicaSetObject[] }> {
    const dep = await this.apps.readNamespacedDeployment({ name, namespace });
    const labels = dep.spec?.selector.matchLabels ?? {};
    const labelSelector = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const list = await this.apps.listNamespacedReplicaSet({ namespace, labelSelector });
    return {
      deployment: toWire<DeploymentObject>(dep, 'V1Deployment'),
      replicaSets: list.items.map((rs) => toWire<ReplicaSetObject>(rs, 'V1ReplicaSet')),
    };
  }

  async run(step: KubernetesStep): Promise<StepResult> {
    const options = setHeaderOptions('Content-Type', step.contentType);
    const req = { name: step.name, namespace: step.namespace, body: step.body as object };
    try {
      if (step.resource === 'deployment-scale') await this.apps.patchNamespacedDeploymentScale(req, options);
      else await this.apps.patchNamespacedDeployment(req, options);
      return { ok: true, status: 200, detail: `${step.method} ${step.path}: 200 OK` };
    } catch (err) {
      const e = describeError(err);
      return { ok: false, ...(e.status !== undefined ? { status: e.status } : {}), detail: `${step.method} ${step.path}: ${e.status ?? 'error'} ${e.message}` };
    }
  }
}
