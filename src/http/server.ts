// The HTTP server: body parsing, error mapping, request metrics and every route; used by main and by tests.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppConfig } from '../config.js';
import type { IngestQueue } from '../queue/ingest-queue.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { registerApiRoutes, type IncidentReader } from './api-routes.js';
import { installErrorHandlers } from './errors.js';
import { registerHealthRoutes, type ReadinessCheck } from './health-routes.js';
import { registerIngestRoutes } from './ingest-routes.js';
import { registerBodyParsers } from './request-body.js';

export interface ServerDeps {
  config: AppConfig;
  logger: Logger;
  metrics: Metrics;
  ingestQueue: IngestQueue;
  incidentStore: IncidentReader;
  /** Named checks for /readyz, e.g. `{ redis: true, workers: false }`. */
  readiness: ReadinessCheck;
}

/** Builds (does not start) the server. `listen()` it, or `inject()` requests in tests. */
export function buildServer(deps: ServerDeps): FastifyInstance {
  const { config, metrics } = deps;
  const logger = deps.logger.child({ component: 'http' });
  const app: FastifyInstance = Fastify({
    // pino's Logger<never, boolean> is a FastifyBaseLogger; the generic parameters just differ.
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // One line per request is too much for ingest traffic; rejects and failures are logged by errors.ts.
    logController: new LogController({ disableRequestLogging: true }),
    // Answer 503 to requests that arrive while closing, so load balancers move on.
    return503OnClosing: true,
  });

  registerBodyParsers(app, config.bodyLimitBytes);
  installErrorHandlers(app, { metrics, logger, bodyLimit: config.bodyLimitBytes });

  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });

  registerHealthRoutes(app, { metrics, readiness: deps.readiness });
  registerIngestRoutes(app, { config, logger, metrics, ingestQueue: deps.ingestQueue });
  registerApiRoutes(app, { ingestToken: config.ingestToken, incidentStore: deps.incidentStore, logger });
  return app;
}
