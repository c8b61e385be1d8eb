// What an executor is: it reads what it needs to plan exactly (never writes), and sends one planned step.
import type { Runbook } from '../../runbooks/runbook-schema.js';
import { planWithoutState, type HttpStep, type KubernetesStep, type Plan, type PlanStep, type ResolvedParams } from '../plan.js';
import { refuse, ok, type Result } from '../result.js';
import { planRollback, type DeploymentObject, type ReplicaSetObject } from '../rollback-plan.js';

export interface StepResult {
  ok: boolean;
  /** HTTP status when a response came back. */
  status?: number;
  /** One line for people: what was sent, what came back. */
  detail: string;
}

export interface KubernetesPort {
  /** The deployment and the ReplicaSets its selector matches, as wire-format JSON. */
  readRolloutState(namespace: string, name: string): Promise<{ deployment: DeploymentObject; replicaSets: ReplicaSetObject[] }>;
  run(step: KubernetesStep): Promise<StepResult>;
}

export interface HttpPort {
  run(step: HttpStep): Promise<StepResult>;
}

export interface Executors {
  kubernetes?: KubernetesPort;
  http?: HttpPort;
}

/** Computes the exact plan for a runbook with resolved parameters. Only rollback needs to read the cluster. */
export async function buildPlan(runbook: Runbook, params: ResolvedParams, proposedAt: number, executors: Executors): Promise<Result<Plan>> {
  const stateless = planWithoutState(runbook, params, proposedAt);
  if (stateless) {
    const needs = runbook.action.type === 'http' ? executors.http : executors.kubernetes;
    if (!needs) return refuse('plan-failed', `no executor configured for ${runbook.action.type}`);
    return ok(stateless);
  }
  if (!executors.kubernetes) return refuse('plan-failed', 'no Kubernetes executor configured');
  const namespace = String(params.namespace);
  const name = String(params.deployment);
  let state;
  try {
    state = await executors.kubernetes.readRolloutState(namespace, name);
  } catch (err) {
    return refuse('plan-failed', `cannot read deployment ${namespace}/${name}: ${(err as Error).message}`);
  }
  // `toRevision` is kubectl's --to-revision: an optional parameter, 0 or absent meaning the previous revision.
  const step = planRollback(state.deployment, state.replicaSets, params.toRevision === undefined ? 0 : Number(params.toRevision));
  if (!step.ok) return step;
  return ok({ runbook: runbook.id, action: runbook.action.type, target: `deployment/${namespace}/${name}`, params, steps: [step.value] });
}

export async function runStep(step: PlanStep, executors: Executors): Promise<StepResult> {
  if (step.kind === 'http') {
    if (!executors.http) return { ok: false, detail: 'no HTTP executor configured' };
    return executors.http.run(step);
  }
  if (!executors.kubernetes) return { ok: false, detail: 'no Kubernetes executor configured' };
  return executors.kubernetes.run(step);
}
