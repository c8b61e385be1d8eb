// Shared set-up for the remediation integration tests: fake Kubernetes, runbooks, incidents, a controllable clock.
import type { Redis } from 'ioredis';
import type { IncidentReport } from '../../../src/model/incident.js';
import { parseRunbook } from '../../../src/runbooks/runbook-loader.js';
import type { Runbook } from '../../../src/runbooks/runbook-schema.js';
import { KubernetesExecutor } from '../../../src/remediation/executors/kubernetes.js';
import type { Executors } from '../../../src/remediation/executors/executor.js';
import { exportAudit, type AuditEntry, type ExportedAuditEntry } from '../../../src/remediation/audit-log.js';
import { RemediationService, type RemediationEvent, type RemediationServiceOptions } from '../../../src/remediation/remediation-service.js';
import type { Actor, Proposal, ProposalState } from '../../../src/remediation/proposal.js';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { registerRemediationFlow, type RemediationFlow } from '../../../src/slack/remediation-flow.js';
import { recordingLogger, type SlackHarness } from '../slack/slack-harness.js';
import { FakeKubernetes } from '../../support/fake-kubernetes.js';
import { deleteKeys, newTestRedis, uniquePrefix } from '../../support/redis.js';

export const T0 = Date.parse('2026-10-14T09:00:00Z');
export const ONCALL = 'S0ONCALL';
export const alice: Actor = { userId: 'UALICE', groups: [ONCALL] };
export const bob: Actor = { userId: 'UBOB', groups: [ONCALL] };
export const carol: Actor = { userId: 'UCAROL', groups: [ONCALL] };
export const mallory: Actor = { userId: 'UMALLORY', groups: ['SOTHER'] };
export const admin: Actor = { userId: 'UADMIN', groups: [] };

/** A valid runbook document with overrides merged one level deep (per top-level section). */
export function runbook(overrides: Record<string, unknown> = {}): Runbook {
  const base: Record<string, unknown> = {
    id: 'restart',
    title: 'Restart',
    description: 'Restart the deployment',
    action: { type: 'kubernetes.restart', params: { namespace: { value: 'production' }, deployment: { from: 'rootCause.service' } } },
    approval: { groups: [ONCALL], required: 1, allowProposer: false, expiresAfter: '30m' },
    guardrails: { namespaces: ['production'], maxRunsPerTargetPerHour: 5 },
    verify: { after: '1s' },
  };
  const doc: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides))
    doc[k] = v && typeof v === 'object' && !Array.isArray(v) && base[k] && typeof base[k] === 'object' ? { ...(base[k] as object), ...(v as object) } : v;
  const r = parseRunbook('test.yaml', doc);
  if ('issues' in r) throw new Error(JSON.stringify(r.issues));
  return r.runbook;
}

export function incident(id: string, service: string, status: 'open' | 'resolved' = 'open'): IncidentReport {
  return {
    id,
    title: `HighErrorRate on ${service}`,
    status,
    openedAt: new Date(T0).toISOString(),
    alerts: [`fp-${id}-1`, `fp-${id}-2`],
    services: [service],
    rootCauses: [{ service, score: 0.9, evidence: [{ kind: 'deploy', detail: 'deployed 3 minutes before' }] }],
    similarIncidents: [],
    remediations: [],
  };
}

export interface Harness {
  service: RemediationService;
  incidents: Map<string, IncidentReport>;
  events: RemediationEvent[];
  clock: { now: number };
}

export function makeService(
  redis: Redis,
  prefix: string,
  fake: FakeKubernetes,
  runbooks: Runbook[],
  extra: Partial<Omit<RemediationServiceOptions, 'clock'>> & { incidents?: Map<string, IncidentReport>; clock?: { now: number } } = {},
): Harness {
  const { incidents: givenIncidents, clock: givenClock, ...options } = extra;
  const incidents = givenIncidents ?? new Map<string, IncidentReport>();
  const clock = givenClock ?? { now: T0 };
  const events: RemediationEvent[] = [];
  const executors: Executors = { kubernetes: new KubernetesExecutor(fake.kubeConfig()) };
  const service = new RemediationService({
    redis,
    prefix,
    runbooks,
    executors,
    getIncident: async (id) => incidents.get(id) ?? null,
    admins: [admin.userId],
    clock: () => clock.now,
    onEvent: (e) => void events.push(e),
    ...options,
  });
  return { service, incidents, events, clock };
}

export async function waitForState(service: RemediationService, id: string, states: ProposalState[], timeoutMs = 10_000): Promise<Proposal> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const p = await service.get(id);
    if (p && states.includes(p.state)) return p;
    if (Date.now() > until) throw new Error(`proposal ${id} stayed ${p?.state ?? 'missing'}; wanted ${states.join('|')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function must<T>(r: { ok: true; value: T } | { ok: false; reason: string }): T {
  if (!r.ok) throw new Error(`unexpected refusal: ${r.reason}`);
  return r.value;
}

/** The chained audit entries, in chain order (what `rcabot audit export` prints). */
export async function auditEntries(redis: Redis, prefix: string): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const line of exportAudit(redis, prefix)) out.push((JSON.parse(line) as ExportedAuditEntry).entry);
  return out;
}

/**
 * The lifecycle every multi-instance remediation test file needs, registered as vitest hooks: one fake
 * Kubernetes API, a Redis connection per app instance, a key prefix per test (all deleted at the end), and the
 * instances' services closed after each test.
 */
export function useRemediationTestBed(name: string): {
  fake: FakeKubernetes;
  connection(): Redis;
  newPrefix(label?: string): string;
  track(...h: Harness[]): void;
} {
  const fake = new FakeKubernetes();
  const redises: Redis[] = [];
  const prefixes: string[] = [];
  const harnesses: Harness[] = [];
  const connection = (): Redis => {
    const r = newTestRedis();
    redises.push(r);
    return r;
  };
  beforeAll(async () => {
    await fake.start();
  });
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((h) => h.service.close()));
  });
  afterAll(async () => {
    const cleaner = connection();
    for (const p of prefixes) await deleteKeys(cleaner, p);
    await fake.stop();
    await Promise.all(redises.map((r) => r.quit()));
  });
  return {
    fake,
    connection,
    newPrefix(label = name) {
      const p = uniquePrefix(label);
      prefixes.push(p);
      return p;
    },
    track: (...h) => void harnesses.push(...h),
  };
}

/**
 * The remediation flow on a Slack harness as the server wires it (groups not cached, so a test's user-group
 * change counts at once), with the on-call group of alice, bob and carol; the service's worker started.
 */
export function registerTestFlow(h: SlackHarness, service: RemediationService, runbooks: readonly Runbook[], now: () => number): RemediationFlow {
  const flow = registerRemediationFlow(h.slack.app, {
    service,
    runbooks: [...runbooks],
    refs: h.refs,
    redis: h.redis,
    prefix: h.prefix,
    logger: recordingLogger().logger,
    now,
    groupCacheMs: 0,
  });
  h.fake.userGroups.set(ONCALL, ['UALICE', 'UBOB', 'UCAROL']);
  service.startWorker({ stalledIntervalMs: 1000 });
  return flow;
}

/** The usual end of a Slack remediation test file. */
export async function closeAll(service: RemediationService | undefined, h: SlackHarness | undefined, redis: Redis | undefined, kube: FakeKubernetes): Promise<void> {
  await service?.close();
  await h?.close();
  await redis?.quit();
  await kube.stop();
}
