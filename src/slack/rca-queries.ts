// What `/rca` reads: the interface the Slack handlers depend on, and its Redis implementation over the
// IncidentStore (reports), the ServiceOverviewStore (services and incident contexts) and the FeedbackStore.
import type { Redis } from 'ioredis';
import type { IncidentReport } from '../model/incident.js';
import { IncidentStore } from '../store/incident-store.js';
import { FeedbackStore, type RootCauseConfirmation } from '../store/feedback-store.js';
import type { IncidentContext, TimelineEntry } from './incident-context.js';
import type { ServiceOverview } from './service-overview.js';
import { ServiceOverviewStore } from './service-overview-store.js';

export interface RcaQueries {
  /** Open incidents, newest first. */
  listIncidents(): Promise<IncidentReport[]>;
  getIncident(id: string): Promise<IncidentReport | null>;
  /** Every incident id currently reported (open and recently resolved), for suggestions. */
  knownIncidentIds(): Promise<string[]>;
  incidentContext(id: string): Promise<IncidentContext | null>;
  incidentContexts(ids: readonly string[]): Promise<Map<string, IncidentContext>>;
  incidentTimeline(id: string): Promise<TimelineEntry[]>;
  serviceOverview(name: string): Promise<ServiceOverview | null>;
  knownServices(): Promise<string[]>;
  confirmedRootCause(incidentId: string): Promise<RootCauseConfirmation | null>;
}

export class RedisRcaQueries implements RcaQueries {
  private readonly incidents: IncidentStore;
  private readonly overviews: ServiceOverviewStore;
  private readonly feedback: FeedbackStore;

  constructor(redis: Redis, prefix: string) {
    this.incidents = new IncidentStore(redis, prefix);
    this.overviews = new ServiceOverviewStore(redis, prefix);
    this.feedback = new FeedbackStore(redis, prefix);
  }

  async listIncidents(): Promise<IncidentReport[]> {
    return (await this.incidents.list())
      .filter((r) => r.status === 'open')
      .sort((a, b) => (a.openedAt < b.openedAt ? 1 : a.openedAt > b.openedAt ? -1 : a.id.localeCompare(b.id)));
  }

  getIncident(id: string): Promise<IncidentReport | null> {
    return this.incidents.get(id);
  }

  async knownIncidentIds(): Promise<string[]> {
    return (await this.incidents.list()).map((r) => r.id);
  }

  incidentContext(id: string): Promise<IncidentContext | null> {
    return this.overviews.context(id);
  }

  async incidentContexts(ids: readonly string[]): Promise<Map<string, IncidentContext>> {
    const out = new Map<string, IncidentContext>();
    const found = await Promise.all(ids.map((id) => this.overviews.context(id)));
    found.forEach((c, i) => c && out.set(ids[i]!, c));
    return out;
  }

  async incidentTimeline(id: string): Promise<TimelineEntry[]> {
    return (await this.overviews.context(id))?.timeline ?? [];
  }

  serviceOverview(name: string): Promise<ServiceOverview | null> {
    return this.overviews.overview(name);
  }

  knownServices(): Promise<string[]> {
    return this.overviews.services();
  }

  confirmedRootCause(incidentId: string): Promise<RootCauseConfirmation | null> {
    return this.feedback.confirmedRootCause(incidentId);
  }
}
