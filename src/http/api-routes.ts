// Read API over the incidents the analyzer stored: the JSON shape of CONTRACT §2.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncidentReport } from '../model/incident.js';
import type { Logger } from '../telemetry/logger.js';
import { checkBearer } from './auth.js';
import { notFound, unavailable } from './errors.js';

/** The part of the incident store the API reads. */
export interface IncidentReader {
  list(): Promise<IncidentReport[]>;
  get(id: string): Promise<IncidentReport | null>;
}

export interface ApiRouteDeps {
  ingestToken: string | undefined;
  incidentStore: IncidentReader;
  logger: Logger;
}

async function read<T>(deps: ApiRouteDeps, what: () => Promise<T>): Promise<T> {
  try {
    return await what();
  } catch (err) {
    deps.logger.warn({ err }, 'incident store unreachable');
    throw unavailable('incident store unavailable, retry later');
  }
}

export function registerApiRoutes(app: FastifyInstance, deps: ApiRouteDeps): void {
  const auth = async (request: FastifyRequest) => checkBearer(request, deps.ingestToken);

  app.get('/api/incidents', { onRequest: auth }, async () => ({ incidents: await read(deps, () => deps.incidentStore.list()) }));

  app.get<{ Params: { id: string } }>('/api/incidents/:id', { onRequest: auth }, async (request) => {
    const { id } = request.params;
    const incident = await read(deps, () => deps.incidentStore.get(id));
    if (!incident) throw notFound(`incident '${id}' not found`, [{ path: 'id', message: 'no incident with this id' }]);
    return incident;
  });
}
