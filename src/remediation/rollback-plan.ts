// Pure rollback planning, as `kubectl rollout undo` does it: find the deployment's previous revision among its
// ReplicaSets and put that ReplicaSet's pod template back. Inputs are wire-format (JSON) Kubernetes objects.
import { deploymentPatch, type KubernetesStep } from './plan.js';
import { ok, refuse, type Result } from './result.js';

const REVISION = 'deployment.kubernetes.io/revision';

export interface DeploymentObject {
  metadata: { name?: string; namespace?: string; uid?: string; generation?: number; annotations?: Record<string, string> };
  spec?: { paused?: boolean };
}

export interface ReplicaSetObject {
  metadata: {
    name?: string;
    annotations?: Record<string, string>;
    ownerReferences?: { uid?: string; kind?: string }[];
  };
  spec?: { template?: { metadata?: { labels?: Record<string, string> } & Record<string, unknown> } & Record<string, unknown> };
}

function revisionOf(annotations: Record<string, string> | undefined): number | null {
  const n = Number(annotations?.[REVISION]);
  return Number.isInteger(n) && n > 0 ? n : null;
}

/**
 * One JSON-patch step. It starts with a `test` of metadata.generation, so the patch applies only to the
 * deployment the approvers saw: if anyone changed its spec since, the server refuses the patch (422).
 */
export function planRollback(deployment: DeploymentObject, replicaSets: readonly ReplicaSetObject[]): Result<KubernetesStep> {
  const { name, namespace, uid, generation } = deployment.metadata;
  if (!name || !namespace || !uid || generation === undefined) return refuse('plan-failed', 'deployment metadata is incomplete');
  if (deployment.spec?.paused) return refuse('plan-failed', `deployment ${namespace}/${name} is paused; resume it before rolling back`);
  const current = revisionOf(deployment.metadata.annotations);
  if (current === null) return refuse('plan-failed', `deployment ${namespace}/${name} has no revision annotation`);
  const owned = replicaSets
    .filter((rs) => rs.metadata.ownerReferences?.some((o) => o.uid === uid && o.kind === 'Deployment'))
    .map((rs) => ({ rs, revision: revisionOf(rs.metadata.annotations) }))
    .filter((x): x is { rs: ReplicaSetObject; revision: number } => x.revision !== null && x.revision < current)
    .sort((a, b) => b.revision - a.revision);
  const previous = owned[0];
  if (!previous || !previous.rs.spec?.template)
    return refuse('plan-failed', `deployment ${namespace}/${name} has no previous revision to roll back to`);
  // The controller adds pod-template-hash to each ReplicaSet's template; the deployment must not carry it.
  const template = structuredClone(previous.rs.spec.template);
  if (template.metadata?.labels) {
    delete template.metadata.labels['pod-template-hash'];
  }
  return ok({
    ...deploymentPatch(namespace, name, 'application/json-patch+json'),
    body: [
      { op: 'test', path: '/metadata/generation', value: generation },
      { op: 'replace', path: '/spec/template', value: template },
    ],
    // A resend after success fails the generation test: harmless, but its outcome would read as a failure.
    idempotent: false,
    summary: `roll back deployment ${namespace}/${name} from revision ${current} to revision ${previous.revision} (ReplicaSet ${previous.rs.metadata.name ?? '?'})`,
  });
}
