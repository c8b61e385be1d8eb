// Liveness, readiness and the Prometheus scrape endpoint.
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../telemetry/metrics.js';

/** Named readiness checks (e.g. redis, workers): true when healthy. A check that throws counts as failed. */
export type ReadinessCheck = () => Promise<Record<string, boolean>>;

export interface HealthRouteDeps {
  metrics: Metrics;
  readiness: ReadinessCheck;
}

export function registerHealthRoutes(app: FastifyInstance, deps: HealthRouteDeps): void {
  // Alive as long as the event loop answers; deliberately checks nothing else.
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    let checks: Record<string, boolean>;
    try {
      checks = await deps.readiness();
    } catch {
      checks = { readiness: false };
    }
    const failed = Object.entries(checks)
      .filter(([, ok]) => !ok)
      .map(([name]) => name);
    return reply.code(failed.length === 0 ? 200 : 503).send({ ready: failed.length === 0, checks, failed });
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await deps.metrics.render();
    return reply.code(200).type(deps.metrics.contentType).send(text);
  });
}
