// Answers a parsed `/rca` intent from the queries: the message to send back, plus the button refs it uses.
import type { RcaIntent } from './rca-command.js';
import type { RcaQueries } from './rca-queries.js';
import { ActionRefs } from './action-refs.js';
import { suggestNames } from './name-suggestions.js';
import type { SlackMessage } from './render/block-kit.js';
import { renderError, renderHelp, renderUnknownCommand, renderUnknownIncident, renderUnknownService } from './render/help.js';
import { renderIncidentDetail } from './render/incident-detail.js';
import { renderIncidentList } from './render/incident-list.js';
import { renderServiceOverview } from './render/service-view.js';

export async function answerRca(intent: RcaIntent, q: RcaQueries, now: number): Promise<{ message: SlackMessage; refs: ActionRefs }> {
  const refs = new ActionRefs();
  switch (intent.kind) {
    case 'help':
      return { message: renderHelp(), refs };
    case 'unknown':
      return { message: renderUnknownCommand(intent.text), refs };
    case 'automation':
      return { message: renderError('Remediation is not enabled on this rcabot, so there is no automation to pause or resume.'), refs };
    case 'list': {
      const open = await q.listIncidents();
      const contexts = await q.incidentContexts(open.slice(0, 15).map((r) => r.id));
      return { message: renderIncidentList(open, contexts, now), refs };
    }
    case 'incident': {
      const report = await q.getIncident(intent.id);
      if (!report) {
        // A service name typed without "service" is a common slip: answer it rather than scold.
        const services = await q.knownServices();
        if (services.includes(intent.id)) {
          const overview = await q.serviceOverview(intent.id);
          if (overview) return { message: renderServiceOverview(overview, now), refs };
        }
        return { message: renderUnknownIncident(intent.id, suggestNames(intent.id, await q.knownIncidentIds())), refs };
      }
      const [ctx, confirmed] = await Promise.all([q.incidentContext(report.id), q.confirmedRootCause(report.id)]);
      return { message: renderIncidentDetail(report, ctx, now, refs, confirmed?.service ?? null), refs };
    }
    case 'service': {
      const overview = await q.serviceOverview(intent.name);
      if (!overview) return { message: renderUnknownService(intent.name, suggestNames(intent.name, await q.knownServices(), 5)), refs };
      return { message: renderServiceOverview(overview, now), refs };
    }
  }
}
