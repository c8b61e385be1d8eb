// Composition root of the server: wires config, telemetry, Redis, queues, workers and HTTP; owns shutdown.
import { Redis, type RedisOptions } from 'ioredis';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from './config.js';
import { buildServer } from './http/server.js';
import { createIngestQueue } from './queue/ingest-queue.js';
import { startWorkers, type IngestWorkers } from './queue/workers.js';
import { IncidentStore } from './store/incident-store.js';
import { createLogger, type Logger } from './telemetry/logger.js';
import { createMetrics } from './telemetry/metrics.js';
import { shutdownTracing, startTracing } from './telemetry/tracing.js';
import { AnalysisRunner } from './analysis/analysis-runner.js';
import { loadServiceCatalog } from './catalog/catalog-file.js';
import { loadServerRunbooks } from './runbooks/server-runbooks.js';
import { suggestRemediations } from './runbooks/runbook-matcher.js';
import { HistoryStore } from './store/history-store.js';
import { FeedbackStore } from './store/feedback-store.js';
import { ActionRefStore } from './slack/action-refs.js';
import { slackRoutes } from './slack/fastify-receiver.js';
import { createSlackApp, createSlackWebClient, slackMode, type SlackApp } from './slack/slack-app.js';
import { IncidentNotifier } from './slack/notifier.js';
import { RedisRcaQueries } from './slack/rca-queries.js';
import { ServiceOverviewStore } from './slack/service-overview-store.js';
import { createSlackAnalysisHook } from './slack/analysis-hook.js';
import { registerRemediationFlow, type RemediationFlow } from './slack/remediation-flow.js';
import { createRemediationService } from './remediation/server-remediation.js';

export interface RunningServer {
  /** The port actually listened on (useful with PORT 0 in tests). */
  port: number;
  /** Stops accepting, drains in-flight requests and jobs, closes queues and Redis. Idempotent. */
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Install SIGTERM/SIGINT handlers that close and exit (default true; tests turn it off). */
  handleSignals?: boolean;
  /** How long to wait for Redis before listening anyway (default 3000 ms). */
  redisConnectGraceMs?: number;
  /** The clock of the workers and the analyzer (default Date.now): lets a recorded outage be served as if live. */
  now?: () => number;
}

/** How long a readiness PING may take before Redis counts as unreachable. */
const PING_TIMEOUT_MS = 1000;
/** Upper bound on a graceful shutdown before a signal handler exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 15_000;
/** How long a start waits for Redis (and the workers) before listening anyway. */
const REDIS_CONNECT_GRACE_MS = 3000;
/** How long a shutdown waits for workers that are still starting. */
const WORKERS_START_GRACE_MS = 3000;

/** Waits for `p`, at most `ms`; the timer is cleared either way so it never holds the process open. */
async function waitAtMost(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

async function pingWithin(redis: Redis, ms: number): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = await Promise.race([
      redis.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('ping timeout')), ms);
      }),
    ]);
    return answer === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Logs Redis going down and coming back once per transition, not once per reconnect attempt. */
function watchRedis(redis: Redis, name: string, logger: Logger): void {
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.warn({ connection: name, err: err.message }, 'Redis unreachable; retrying');
  });
  redis.on('ready', () => {
    if (down) logger.info({ connection: name }, 'Redis reachable again');
    down = false;
  });
}

function logSlackState(config: AppConfig, logger: Logger): void {
  const { botToken, signingSecret, appToken } = config.slack;
  if (botToken && appToken) logger.info({ slack: 'socket' }, 'Slack configured: Socket Mode (SLACK_APP_TOKEN set)');
  else if (botToken && signingSecret) logger.info({ slack: 'http' }, 'Slack configured: HTTP mode (POST /slack/events)');
  else logger.info({ slack: 'off' }, 'Slack off: SLACK_BOT_TOKEN/SLACK_SIGNING_SECRET not set');
}

/**
 * Starts the HTTP listener and the queue workers. The listener comes up even while Redis is down
 * (ingest answers 503 and /readyz says why) so that an outage of Redis never takes the endpoint away.
 */
export async function startServer(config: AppConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config);
  const tracing = startTracing(config);
  const metrics = createMetrics();

  // HTTP side: fail fast while Redis is down (no offline queue, one retry) so senders get 503 at once.
  const clientOptions: RedisOptions = { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 };
  const clientRedis = new Redis(config.redisUrl, clientOptions);
  watchRedis(clientRedis, 'http', logger);

  // Runbooks are validated before anything starts: a bad file stops the process with file, field and reason.
  const runbooks = loadServerRunbooks(config.runbooksDir, logger);
  // A bad catalog stops the start, like a bad runbook: the operator asked for it.
  const declaredTopology = config.serviceCatalogFile ? loadServiceCatalog(config.serviceCatalogFile) : undefined;
  if (declaredTopology) logger.info({ file: config.serviceCatalogFile, services: declaredTopology.length }, 'service catalog loaded');

  // Analyzer, Slack and their stores: commands wait for Redis instead of failing fast like ingest does.
  const stateRedis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  watchRedis(stateRedis, 'state', logger);
  const prefix = config.redisPrefix;
  const feedback = new FeedbackStore(stateRedis, prefix);
  const refs = new ActionRefStore(stateRedis, prefix);
  const notifier =
    slackMode(config.slack) && config.slack.incidentChannel
      ? new IncidentNotifier({ redis: stateRedis, prefix, client: createSlackWebClient(config.slack, logger), channel: config.slack.incidentChannel, refs, feedback, logger })
      : undefined;
  // Remediation: proposals, approvals and executions; its Slack flow is registered once the app exists.
  let flow: RemediationFlow | undefined;
  const remediation = createRemediationService(config, stateRedis, runbooks, logger, (e) => flow?.onEvent(e));
  const slack: SlackApp | null = createSlackApp({
    config: config.slack,
    logger,
    queries: new RedisRcaQueries(stateRedis, prefix),
    refs,
    feedback,
    onFeedback: notifier ? (id) => notifier.refresh(id) : undefined,
    // Slack only delivers clicks after start(), by which time the flow is registered.
    proposeRemediation: (...args) => flow!.propose(...args),
    automationCommand: (...args) => flow!.automationCommand(...args),
  });
  if (slack) flow = registerRemediationFlow(slack.app, { service: remediation, runbooks, refs, redis: stateRedis, prefix, logger });
  const history = new HistoryStore(stateRedis, prefix);
  const slackHook = createSlackAnalysisHook({
    engine: () => analysis.analyzer.state,
    now: options.now ?? Date.now,
    overviews: new ServiceOverviewStore(stateRedis, prefix),
    notifier,
    feedback,
    saveHistory: (h) => history.add(h),
    addToIndex: (h) => analysis.analyzer.addHistory(h),
    fixOf: (incidentId, resolvedAt) => remediation.fixOf(incidentId, resolvedAt),
    logger,
  });
  const analysis = new AnalysisRunner({
    ...(options.now ? { now: options.now } : {}),
    redis: stateRedis,
    prefix,
    logger,
    engine: {
      ...(runbooks.length > 0 ? { suggestRemediations: (incident: Parameters<typeof suggestRemediations>[0]) => suggestRemediations(incident, runbooks) } : {}),
      ...(declaredTopology ? { declaredTopology } : {}),
    },
    onAnalysis: slackHook,
    metrics: metrics.analysis,
    // The notifier sends in order per incident from one process: the analyzing one.
    onLeadership: (leader) => {
      if (leader) notifier?.startWorker();
    },
  });

  const ingestQueue = createIngestQueue({ connection: clientRedis, prefix: config.redisPrefix });
  const incidentStore = new IncidentStore(clientRedis, config.redisPrefix);
  metrics.setQueueWaitingSource(() => ingestQueue.waitingCounts());

  let workers: IngestWorkers | undefined;
  let stopping = false;
  let cancelWait: () => void = () => {};
  // Workers start once Redis first answers: startWorkers waits for its connections without limit, and
  // neither the listener nor a shutdown during a Redis outage may wait with it.
  const workersStarted = new Promise<boolean>((resolve) => {
    cancelWait = () => resolve(false);
    if (clientRedis.status === 'ready') resolve(true);
    else clientRedis.once('ready', () => resolve(true));
  })
    .then((ready) =>
      ready && !stopping
        ? startWorkers({
            // The workers open their own duplicates of the connection (with the options BullMQ workers need).
            connection: clientRedis,
            prefix: config.redisPrefix,
            serviceLabels: config.serviceLabels,
            traces: config.tracesWorker,
            logger,
            metrics,
            ...(options.now ? { now: options.now } : {}),
          })
        : undefined,
    )
    .then(
      async (w) => {
        if (w && stopping) return w.close();
        workers = w;
        if (w) logger.info('queue workers running');
        if (w) await analysis.start();
        if (w) remediation.startWorker();
      },
      (err: unknown) => logger.fatal({ err }, 'queue workers failed to start; /readyz will report it'),
    );

  const app = buildServer({
    config,
    logger,
    metrics,
    ingestQueue,
    incidentStore,
    readiness: async () => ({
      redis: await pingWithin(clientRedis, PING_TIMEOUT_MS),
      workers: workers?.running() ?? false,
    }),
  });

  if (slack?.receiver) await app.register(slackRoutes, { receiver: slack.receiver });
  if (slack) {
    // A Slack outage or a revoked token must not take ingest down: log it loudly and run without Slack.
    await slack.start().catch((err: unknown) => logger.error({ err }, 'Slack failed to start (check SLACK_BOT_TOKEN); running with Slack off'));
  }

  // Give Redis a moment so the first requests after a start do not get 503; listen regardless.
  await waitAtMost(workersStarted, options.redisConnectGraceMs ?? REDIS_CONNECT_GRACE_MS);
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    stopping = true;
    cancelWait();
    await waitAtMost(workersStarted, WORKERS_START_GRACE_MS);
    await Promise.allSettled([workers?.close(), ingestQueue.close(), analysis.close(), remediation.close(), notifier?.close(), slack?.stop()]);
    clientRedis.disconnect();
    stateRedis.disconnect();
    throw err;
  }
  const port = (app.server.address() as AddressInfo).port;
  logger.info({ port, host: config.host, redisPrefix: config.redisPrefix, tracing }, 'rcabot listening');
  logSlackState(config, logger);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      logger.info('shutting down');
      stopping = true;
      cancelWait();
      await app.close(); // stop accepting, let in-flight requests finish
      // Workers caught mid-start by a Redis outage cannot be waited for; the process exits anyway.
      await waitAtMost(workersStarted, WORKERS_START_GRACE_MS);
      await workers?.close(); // finish the jobs in hand
      await ingestQueue.close();
      await analysis.close();
      await remediation.close();
      await slackHook.idle();
      await notifier?.close();
      await slack?.stop().catch(() => undefined);
      await stateRedis.quit().catch(() => stateRedis.disconnect());
      await shutdownTracing();
      await clientRedis.quit().catch(() => clientRedis.disconnect());
      logger.info('stopped');
    })();
    return closing;
  };

  function onSignal(signal: NodeJS.Signals): void {
    logger.info({ signal }, 'signal received');
    const force = setTimeout(() => {
      logger.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    force.unref();
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  }
  if (options.handleSignals ?? true) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  return { port, close };
}
