// Kubernetes executor through the official client's configuration (@kubernetes/client-node 1.x): reads for
// rollback plans and sends planned patches exactly as planned (same path, patch type and body bytes). Both go
// through raw requests: a rollback must carry the ReplicaSet's template as the server holds it, and the client's
// generated models would drop every field they do not know.
import { STATUS_CODES } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { deploymentPath, type KubernetesStep } from '../plan.js';
import { deploymentSchema, replicaSetListSchema, type DeploymentObject, type ReplicaSetObject } from '../rollback-plan.js';
import type { KubernetesPort, StepResult } from './executor.js';
import { kubernetesRequest, statusMessage } from './kubernetes-request.js';
import { labelSelectorQuery } from './label-selector.js';

/** The only paths a step may patch: its own deployment, or that deployment's scale subresource. */
function expectedPath(step: KubernetesStep): string {
  const base = deploymentPath(step.namespace, step.name);
  return step.resource === 'deployment-scale' ? `${base}/scale` : base;
}

function parseWire<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(`the API server's ${what} lacks what a rollback needs: ${z.prettifyError(r.error).replace(/\n/g, '; ')}`);
  return r.data;
}

export class KubernetesExecutor implements KubernetesPort {
  constructor(private readonly kubeConfig: KubeConfig) {}

  /** `KUBECONFIG` or ~/.kube/config when present, else the in-cluster service account. */
  static fromDefault(): KubernetesExecutor {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    return new KubernetesExecutor(kc);
  }

  async readRolloutState(namespace: string, name: string): Promise<{ deployment: DeploymentObject; replicaSets: ReplicaSetObject[] }> {
    const deployment = parseWire(deploymentSchema, await this.getJson(deploymentPath(namespace, name)), 'deployment');
    const list = parseWire(
      replicaSetListSchema,
      await this.getJson(`/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/replicasets`, { labelSelector: labelSelectorQuery(deployment.spec.selector) }),
      'ReplicaSet list',
    );
    return { deployment, replicaSets: list.items };
  }

  async run(step: KubernetesStep): Promise<StepResult> {
    const where = `${step.method} ${step.path}`;
    if (step.path !== expectedPath(step)) return { ok: false, detail: `${where}: not the path of ${step.resource} ${step.namespace}/${step.name}; nothing was sent` };
    try {
      const res = await kubernetesRequest(this.kubeConfig, { method: step.method, path: step.path, contentType: step.contentType, body: JSON.stringify(step.body) });
      const ok = res.status >= 200 && res.status < 300;
      return { ok, status: res.status, detail: `${where}: ${res.status} ${ok ? (STATUS_CODES[res.status] ?? '') : statusMessage(res.body)}`.trimEnd() };
    } catch (err) {
      return { ok: false, detail: `${where}: error ${(err as Error).message}` };
    }
  }

  private async getJson(path: string, query?: Record<string, string>): Promise<unknown> {
    const res = await kubernetesRequest(this.kubeConfig, { method: 'GET', path, ...(query ? { query } : {}) });
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${statusMessage(res.body)}`);
    return JSON.parse(res.body) as unknown;
  }
}
