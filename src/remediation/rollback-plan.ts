// Pure rollback planning, exactly as `kubectl rollout undo` does it (k8s.io/kubectl/pkg/polymorphichelpers/
// rollback.go, DeploymentRollbacker): pick the ReplicaSet of the wanted revision, put its pod template back minus
// the pod-template-hash label, and carry annotations over as kubectl does. Templates stay raw JSON from the API
// server, never a client model, so fields newer than the client's models reach the patch untouched.
import { z } from 'zod';
import { canonicalJson, deploymentPatch, type KubernetesStep } from './plan.js';
import { ok, refuse, type Result } from './result.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** appsv1.DefaultDeploymentUniqueLabelKey: the controller adds it to each ReplicaSet's template, never the deployment's. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/**
 * kubectl's `annotationsToSkip`: kept from the deployment, never copied from the ReplicaSet. Besides the revision
 * bookkeeping and kubectl apply's record it includes appsv1.DeprecatedRollbackTo.
 */
export const ROLLBACK_SKIPPED_ANNOTATIONS: ReadonlySet<string> = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

export type JsonObject = Record<string, unknown>;

const stringMap = z.record(z.string(), z.string());
// A record keeps every key (in order) and every value as parsed: the template is validated as an object, not reshaped.
const rawObject = z.record(z.string(), z.unknown());

export const labelSelectorSchema = z.object({
  matchLabels: stringMap.optional(),
  matchExpressions: z
    .array(z.object({ key: z.string().min(1), operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string()).optional() }))
    .optional(),
});
export type LabelSelector = z.infer<typeof labelSelectorSchema>;

/** The fields of an apps/v1 Deployment a rollback reads; parsed from the API server's JSON. */
export const deploymentSchema = z.object({
  metadata: z.object({
    name: z.string().min(1),
    namespace: z.string().min(1),
    uid: z.string().min(1),
    generation: z.number().int().nonnegative(),
    annotations: stringMap.optional(),
  }),
  spec: z.object({ paused: z.boolean().optional(), selector: labelSelectorSchema, template: rawObject }),
});
export type DeploymentObject = z.infer<typeof deploymentSchema>;

export const replicaSetSchema = z.object({
  metadata: z.object({
    name: z.string().min(1),
    annotations: stringMap.optional(),
    ownerReferences: z.array(z.object({ uid: z.string(), kind: z.string(), controller: z.boolean().optional() })).optional(),
  }),
  spec: z.object({ template: rawObject.optional() }),
});
export type ReplicaSetObject = z.infer<typeof replicaSetSchema>;

export const replicaSetListSchema = z.object({ items: z.array(replicaSetSchema) });

/** deploymentutil.Revision: a missing annotation is revision 0; an unparsable one is an error (null). */
function revisionOf(rs: ReplicaSetObject): number | null {
  const v = rs.metadata.annotations?.[REVISION_ANNOTATION];
  if (v === undefined) return 0;
  return /^[+-]?\d{1,15}$/.test(v) ? Number(v) : null;
}

/** metav1.IsControlledBy: the deployment is the ReplicaSet's controller owner. */
function controlledBy(rs: ReplicaSetObject, uid: string): boolean {
  return rs.metadata.ownerReferences?.some((o) => o.controller === true && o.uid === uid) ?? false;
}

/** kubectl's deploymentRevision: the ReplicaSet of `toRevision`, or for 0 the second newest revision. */
function replicaSetForRevision(owned: readonly ReplicaSetObject[], toRevision: number): ReplicaSetObject | null {
  let latest: { rs: ReplicaSetObject | null; revision: number } = { rs: null, revision: -1 };
  let previous: { rs: ReplicaSetObject | null; revision: number } = { rs: null, revision: -1 };
  for (const rs of owned) {
    const v = revisionOf(rs);
    if (v === null) continue;
    if (toRevision !== 0) {
      if (v === toRevision) return rs;
    } else if (latest.revision < v) {
      previous = latest;
      latest = { rs, revision: v };
    } else if (previous.revision < v) {
      previous = { rs, revision: v };
    }
  }
  return toRevision === 0 ? previous.rs : null;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A deep copy without labels[pod-template-hash]; everything else (order included) as the server sent it. */
function withoutHashLabel(template: JsonObject): JsonObject {
  const copy = structuredClone(template);
  const labels = isObject(copy.metadata) ? copy.metadata.labels : undefined;
  if (isObject(labels)) delete labels[POD_TEMPLATE_HASH_LABEL];
  return copy;
}

/** Drops nulls and empty maps/lists, as apiequality.Semantic.DeepEqual treats nil and empty alike. */
function semantic(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(semantic);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    const s = semantic(x);
    if (s === null || s === undefined || (Array.isArray(s) && s.length === 0) || (isObject(s) && Object.keys(s).length === 0)) continue;
    out[k] = s;
  }
  return out;
}

/** kubectl's equalIgnoreHash. */
function sameTemplate(a: JsonObject, b: JsonObject): boolean {
  return canonicalJson(semantic(withoutHashLabel(a))) === canonicalJson(semantic(withoutHashLabel(b)));
}

/** The deployment's skipped annotations, then every other annotation of the ReplicaSet (kubectl's order; keys sorted). */
export function rollbackAnnotations(deployment: Record<string, string> | undefined, replicaSet: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ROLLBACK_SKIPPED_ANNOTATIONS) if (deployment && Object.hasOwn(deployment, k)) out[k] = deployment[k]!;
  for (const [k, v] of Object.entries(replicaSet ?? {})) if (!ROLLBACK_SKIPPED_ANNOTATIONS.has(k)) out[k] = v;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * One JSON patch, kubectl's two `replace` operations (the template, then the whole annotation map) preceded by
 * two `test`s, so it applies only to the deployment the approvers saw: metadata.generation catches any spec change
 * since the plan, the annotation map catches edits the annotation `replace` would silently undo. resourceVersion is
 * not used: status updates bump it every few seconds, so a plan approved minutes later could never apply.
 */
export function planRollback(deployment: DeploymentObject, replicaSets: readonly ReplicaSetObject[], toRevision = 0): Result<KubernetesStep> {
  const { name, namespace, uid, generation, annotations } = deployment.metadata;
  const where = `deployment ${namespace}/${name}`;
  if (!Number.isSafeInteger(toRevision) || toRevision < 0) return refuse('plan-failed', `toRevision must be a revision number (0 = the previous one), not ${toRevision}`);
  const target = replicaSetForRevision(
    replicaSets.filter((rs) => controlledBy(rs, uid)),
    toRevision,
  );
  if (!target) {
    return refuse('plan-failed', toRevision > 0 ? `unable to find revision ${toRevision} in the history of ${where}` : `no rollout history found for ${where}: there is no previous revision to roll back to`);
  }
  const revision = revisionOf(target) ?? 0;
  if (!target.spec.template) return refuse('plan-failed', `ReplicaSet ${target.metadata.name} of ${where} has no pod template`);
  if (deployment.spec.paused) return refuse('plan-failed', `${where} is paused; resume it before rolling back`);
  if (sameTemplate(target.spec.template, deployment.spec.template))
    return refuse('plan-failed', `${where}: the current template already matches revision ${revision}; nothing to roll back`);
  const restored = rollbackAnnotations(annotations, target.metadata.annotations);
  return ok({
    ...deploymentPatch(namespace, name, 'application/json-patch+json'),
    body: [
      { op: 'test', path: '/metadata/generation', value: generation },
      // Without annotations there is nothing to guard, and `replace` needs the member to exist: `add` creates it.
      ...(annotations ? [{ op: 'test', path: '/metadata/annotations', value: annotations }] : []),
      { op: 'replace', path: '/spec/template', value: withoutHashLabel(target.spec.template) },
      { op: annotations ? 'replace' : 'add', path: '/metadata/annotations', value: restored },
    ],
    // A resend after success fails the generation test: harmless, but its outcome would read as a failure.
    idempotent: false,
    summary: `roll back ${where} from revision ${annotations?.[REVISION_ANNOTATION] ?? '?'} to revision ${revision} (ReplicaSet ${target.metadata.name})`,
  });
}
