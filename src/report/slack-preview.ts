// What Slack would show for each incident: the real channel-message renderer, drawn as text for a terminal.
import type { Engine } from '../engine/engine.js';
import type { IncidentReport } from '../model/incident.js';
import { renderChannelMessage } from '../slack/render/channel-message.js';
import { renderBlocksAsText } from '../slack/render/blocks-as-text.js';
import { describeIncidentContext, sameRootIncidents } from '../slack/incident-context.js';
import { ActionRefs } from '../slack/action-refs.js';

export function renderSlackPreview(incidents: readonly IncidentReport[], engine: Engine, now: number): string {
  if (incidents.length === 0) return 'rcabot: no incidents — nothing would be posted to Slack\n';
  const sameRoot = sameRootIncidents(incidents);
  return incidents
    .map((report) => {
      const context = describeIncidentContext(engine, report, now, sameRoot.get(report.id));
      const message = renderChannelMessage({ report, context, confirmation: null, rejected: [], now, refs: new ActionRefs() });
      return `── #incidents · ${report.id} ${'─'.repeat(40)}\n${renderBlocksAsText(message.blocks)}`;
    })
    .join('\n\n') + '\n';
}
