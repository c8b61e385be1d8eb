// The server's remediation service: runbooks, executors (Kubernetes when a cluster is configured, HTTP always),
// incidents and deploys from Redis, and the periodic sweep (audit outbox, proposal expiry). Kept out of main.ts so
// the composition root stays a list of parts.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '../config.js';
import type { Runbook } from '../runbooks/runbook-schema.js';
import { IncidentStore } from '../store/incident-store.js';
import { ChangeStore } from '../store/change-store.js';
import { RemediationService, type RemediationServiceOptions } from './remediation-service.js';
import { HttpExecutor } from './executors/http.js';
import { KubernetesExecutor } from './executors/kubernetes.js';
import type { Executors } from './executors/executor.js';

/** How far before an incident's opening a deploy still counts for `deploy.*` runbook parameters. */
const DEPLOY_LOOKBACK_MS = 60 * 60_000;
/**
 * How often each replica sweeps: chains audit entries a crashed process left in the outbox and expires proposals
 * past their expiry (their Slack message then loses its buttons). A proposal shows as expired within this long.
 */
const SWEEP_EVERY_MS = 15_000;

function kubernetesExecutor(runbooks: readonly Runbook[], logger: Logger): KubernetesExecutor | undefined {
  if (!runbooks.some((r) => r.action.type.startsWith('kubernetes.'))) return undefined;
  try {
    // The client's own loader: KUBECONFIG, else the in-cluster service account, else ~/.kube/config.
    return KubernetesExecutor.fromDefault();
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'no Kubernetes configuration: Kubernetes runbooks will fail with a clear message');
    return undefined;
  }
}

export function createRemediationService(
  config: AppConfig,
  redis: Redis,
  runbooks: readonly Runbook[],
  logger: Logger,
  onEvent: RemediationServiceOptions['onEvent'],
): RemediationService {
  const incidents = new IncidentStore(redis, config.redisPrefix);
  const changes = new ChangeStore(redis, config.redisPrefix);
  const executors: Executors = {
    http: new HttpExecutor({ secret: (name) => config.runbookSecrets[name] }),
    kubernetes: kubernetesExecutor(runbooks, logger),
  };
  return new RemediationService({
    redis,
    prefix: config.redisPrefix,
    runbooks,
    executors,
    getIncident: (id) => incidents.get(id),
    getRecentDeploys: async (incident) => changes.since(Date.parse(incident.openedAt) - DEPLOY_LOOKBACK_MS),
    admins: config.automationAdmins,
    onEvent,
    sweepEveryMs: SWEEP_EVERY_MS,
    logger,
  });
}
