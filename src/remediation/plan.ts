// Pure planning: resolve a runbook's parameters from incident facts, build the exact requests, hash them.
// What is approved is the plan hash; the worker sends exactly the stored plan, nothing recomputed.
import { createHash } from 'node:crypto';
import {
  DEFAULT_PARAM_PATTERN,
  type ActionType,
  type IncidentField,
  type Runbook,
  type RunbookAction,
} from '../runbooks/runbook-schema.js';
import { ok, refuse, type Result } from './result.js';

export type ParamValue = string | number;
export type ResolvedParams = Record<string, ParamValue>;

export interface DeployFact {
  service: string;
  version: string;
  previousVersion: string | null;
  environment: string | null;
  /** Epoch ms; the latest deploy of the root-cause service wins. */
  at?: number;
}

/** The only incident data an action may see. */
export interface IncidentFacts {
  incidentId: string;
  rootCauseService: string | null;
  /** Latest recent deploy of the root-cause service, if any. */
  deploy: DeployFact | null;
}

export function incidentFacts(
  incidentId: string,
  rootCauseService: string | null,
  recentDeploys: readonly DeployFact[] = [],
): IncidentFacts {
  const mine = recentDeploys.filter((d) => d.service === rootCauseService);
  const deploy = mine.reduce<DeployFact | null>((best, d) => (best === null || (d.at ?? 0) >= (best.at ?? 0) ? d : best), null);
  return { incidentId, rootCauseService, deploy };
}

function fieldValue(facts: IncidentFacts, field: IncidentField): string | null {
  switch (field) {
    case 'rootCause.service':
      return facts.rootCauseService;
    case 'incident.id':
      return facts.incidentId;
    case 'deploy.service':
      return facts.deploy?.service ?? null;
    case 'deploy.version':
      return facts.deploy?.version ?? null;
    case 'deploy.previousVersion':
      return facts.deploy?.previousVersion ?? null;
    case 'deploy.environment':
      return facts.deploy?.environment ?? null;
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Resolves every parameter; incident values must match their pattern and the action's types. */
export function resolveParams(action: RunbookAction, facts: IncidentFacts): Result<ResolvedParams> {
  const out: ResolvedParams = {};
  for (const [name, src] of Object.entries(action.params)) {
    if ('value' in src) {
      out[name] = src.value;
      continue;
    }
    const v = fieldValue(facts, src.from);
    if (v === null || v === '') return refuse('unresolvable-params', `parameter "${name}": the incident has no ${src.from}`);
    const pattern = src.pattern ?? DEFAULT_PARAM_PATTERN;
    if (!new RegExp(pattern).test(v))
      return refuse('unresolvable-params', `parameter "${name}": ${src.from} "${v}" does not match ${pattern}`);
    out[name] = v;
  }
  if (action.type !== 'http') {
    const ns = out.namespace;
    const dep = out.deployment;
    if (typeof ns !== 'string' || !DNS_LABEL.test(ns) || ns.length > 63)
      return refuse('unresolvable-params', `parameter "namespace": "${String(ns)}" is not a Kubernetes namespace name`);
    if (typeof dep !== 'string' || !DNS_SUBDOMAIN.test(dep) || dep.length > 253)
      return refuse('unresolvable-params', `parameter "deployment": "${String(dep)}" is not a Kubernetes deployment name`);
  }
  return ok(out);
}

// ---- the exact plan ----

export interface KubernetesStep {
  kind: 'kubernetes';
  resource: 'deployment' | 'deployment-scale';
  namespace: string;
  name: string;
  method: 'PATCH';
  path: string;
  contentType: 'application/strategic-merge-patch+json' | 'application/merge-patch+json' | 'application/json-patch+json';
  body: unknown;
  /** Safe to send again if a crash leaves its outcome unknown. */
  idempotent: boolean;
  summary: string;
}

export interface HttpStep {
  kind: 'http';
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  /** Secret values appear as `${secret:NAME}` and are filled in only when sending. */
  headers: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
  idempotent: boolean;
  summary: string;
}

export type PlanStep = KubernetesStep | HttpStep;

export interface Plan {
  runbook: string;
  action: ActionType;
  target: string;
  params: ResolvedParams;
  steps: PlanStep[];
}

/** The target a runbook acts on, used for display and for the per-target rate limit. */
export function describeTarget(action: RunbookAction, params: ResolvedParams): string {
  if (action.type === 'http') return new URL(substitute(action.url, params, encodeURIComponent)).toString();
  return `deployment/${String(params.namespace)}/${String(params.deployment)}`;
}

function substitute(text: string, params: ResolvedParams, encode: (s: string) => string): string {
  return text.replace(/\{([A-Za-z][A-Za-z0-9_]*)\}/g, (_, name: string) => encode(String(params[name] ?? '')));
}

function substituteJson(value: unknown, params: ResolvedParams): unknown {
  if (typeof value === 'string') {
    const whole = /^\{([A-Za-z][A-Za-z0-9_]*)\}$/.exec(value);
    if (whole) return params[whole[1]!]; // keeps numbers numbers
    return substitute(value, params, (s) => s);
  }
  if (Array.isArray(value)) return value.map((v) => substituteJson(v, params));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteJson(v, params)]));
  return value;
}

export function deploymentPath(namespace: string, name: string): string {
  return `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments/${encodeURIComponent(name)}`;
}

/** The fields every PATCH of a Deployment object shares; the caller adds the body. */
export function deploymentPatch(namespace: string, name: string, contentType: KubernetesStep['contentType']) {
  return { kind: 'kubernetes', resource: 'deployment', namespace, name, method: 'PATCH', path: deploymentPath(namespace, name), contentType } as const;
}

/** `kubectl rollout restart`: bump the pod template annotation. The timestamp is the proposal's, so a resend is a no-op. */
export function planRestart(namespace: string, name: string, at: number): KubernetesStep {
  const restartedAt = new Date(at).toISOString();
  return {
    ...deploymentPatch(namespace, name, 'application/strategic-merge-patch+json'),
    body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': restartedAt } } } } },
    idempotent: true,
    summary: `restart deployment ${namespace}/${name} (restartedAt=${restartedAt})`,
  };
}

export function planScale(namespace: string, name: string, replicas: number): KubernetesStep {
  return {
    kind: 'kubernetes',
    resource: 'deployment-scale',
    namespace,
    name,
    method: 'PATCH',
    path: `${deploymentPath(namespace, name)}/scale`,
    contentType: 'application/merge-patch+json',
    body: { spec: { replicas } },
    idempotent: true,
    summary: `scale deployment ${namespace}/${name} to ${replicas} replicas`,
  };
}

export function planHttp(action: Extract<RunbookAction, { type: 'http' }>, params: ResolvedParams): HttpStep {
  const url = new URL(substitute(action.url, params, encodeURIComponent)).toString();
  const headers: Record<string, string> = {};
  for (const [name, v] of Object.entries(action.headers))
    headers[name] = 'value' in v ? v.value : `${v.prefix ?? ''}\${secret:${v.secret}}`;
  const step: HttpStep = {
    kind: 'http',
    method: action.method,
    url,
    headers,
    timeoutMs: action.timeoutMs,
    idempotent: action.idempotent,
    summary: `${action.method} ${url}`,
  };
  if (action.body !== undefined) step.body = substituteJson(action.body, params);
  return step;
}

/** Key-sorted JSON, so equal plans hash equally whatever order their fields were built in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

export function hashPlan(plan: Plan): string {
  return createHash('sha256').update(canonicalJson(plan)).digest('hex');
}

/** Plans an action that needs no cluster state (everything but rollback). */
export function planWithoutState(runbook: Runbook, params: ResolvedParams, proposedAt: number): Plan | null {
  const a = runbook.action;
  const base = { runbook: runbook.id, action: a.type, target: describeTarget(a, params), params };
  switch (a.type) {
    case 'kubernetes.restart':
      return { ...base, steps: [planRestart(String(params.namespace), String(params.deployment), proposedAt)] };
    case 'kubernetes.scale':
      return { ...base, steps: [planScale(String(params.namespace), String(params.deployment), Number(params.replicas))] };
    case 'http':
      return { ...base, steps: [planHttp(a, params)] };
    case 'kubernetes.rollback':
      return null;
  }
}
