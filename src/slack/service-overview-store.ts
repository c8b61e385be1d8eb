// Service overviews and incident contexts in Redis, written by the analyzer after an analysis (changed entries
// only) and read by `/rca` from any replica, so a slash command never waits for an analysis.
import type { Redis } from 'ioredis';
import type { IncidentReport } from '../model/incident.js';
import type { Engine } from '../engine/engine.js';
import { describeIncidentContext, sameRootIncidents, type IncidentContext } from './incident-context.js';
import { ServiceIndex, type ServiceOverview } from './service-overview.js';
import { HashMirror } from './hash-mirror.js';
import { slackKeys } from './slack-keys.js';

export class ServiceOverviewStore {
  private readonly overviews: HashMirror;
  private readonly contexts: HashMirror;

  constructor(redis: Redis, prefix: string) {
    const keys = slackKeys(prefix);
    this.overviews = new HashMirror(redis, keys.serviceOverviews);
    this.contexts = new HashMirror(redis, keys.incidentContexts);
  }

  /**
   * Describes every reported incident, and (unless `services` is false) every known service, from the engine;
   * writes what changed. Service overviews cost a pass over the trace aggregates (~0.1 s at 1,000 services),
   * so callers may refresh them less often than the incident contexts.
   */
  async record(
    engine: Engine,
    reports: readonly IncidentReport[],
    now: number,
    what: { services?: boolean } = {},
  ): Promise<{ services: number; contexts: Map<string, IncidentContext>; written: number }> {
    const overviews: Array<[string, ServiceOverview]> = [];
    if (what.services ?? true) {
      const index = new ServiceIndex(engine, reports, now);
      for (const name of index.serviceNames()) {
        const o = index.describe(name);
        if (o) overviews.push([name, o]);
      }
    }
    const sameRoot = sameRootIncidents(reports);
    const contexts: Array<[string, IncidentContext]> = reports.map((r) => [r.id, describeIncidentContext(engine, r, now, sameRoot.get(r.id))]);
    const written = (overviews.length > 0 ? await this.overviews.write(overviews) : 0) + (await this.contexts.write(contexts));
    return { services: overviews.length, contexts: new Map(contexts), written };
  }

  overview(service: string): Promise<ServiceOverview | null> {
    return this.overviews.get<ServiceOverview>(service);
  }

  context(incidentId: string): Promise<IncidentContext | null> {
    return this.contexts.get<IncidentContext>(incidentId);
  }

  services(): Promise<string[]> {
    return this.overviews.fields();
  }
}
