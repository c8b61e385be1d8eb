// `/rca`: the open incidents, newest first — title, age, alert count and the top 3 suspects with scores.
import type { IncidentReport } from '../../model/incident.js';
import type { IncidentContext } from '../incident-context.js';
import { context, divider, escapeMrkdwn, header, message, section, type Block, type SlackMessage } from './block-kit.js';
import { formatAge, formatScore, plural, SEVERITY_ICON } from './text-format.js';

/** Incidents shown in full; the rest are counted (3 blocks each keeps us far from 50). */
const MAX_LISTED = 15;

export function renderIncidentList(reports: readonly IncidentReport[], contexts: ReadonlyMap<string, IncidentContext>, now: number): SlackMessage {
  const open = reports
    .filter((r) => r.status === 'open')
    .sort((a, b) => (a.openedAt < b.openedAt ? 1 : a.openedAt > b.openedAt ? -1 : a.id.localeCompare(b.id)));
  if (open.length === 0) {
    return message('No open incidents.', [section(':white_check_mark: *No open incidents.* Use `/rca service <name>` to look at a service.')]);
  }
  const blocks: Block[] = [header(`Open incidents (${open.length})`)];
  for (const r of open.slice(0, MAX_LISTED)) {
    const ctx = contexts.get(r.id);
    const icon = ctx ? `${SEVERITY_ICON[ctx.severity]} ` : '';
    const suspects = r.rootCauses
      .slice(0, 3)
      .map((c, i) => `${i + 1}. \`${escapeMrkdwn(c.service)}\` ${formatScore(c.score)}`)
      .join('   ');
    blocks.push(
      section(
        [
          `${icon}*${escapeMrkdwn(r.title)}*`,
          `\`${escapeMrkdwn(r.id)}\` · open ${formatAge(now - Date.parse(r.openedAt))} · ${plural(r.alerts.length, 'alert')} · ${plural(r.services.length, 'service')}`,
          suspects ? `Suspects: ${suspects}` : '_No suspect yet_',
        ].join('\n'),
      ),
    );
    blocks.push(divider());
  }
  if (open.length > MAX_LISTED) blocks.push(context([`…and ${open.length - MAX_LISTED} older open incidents (see /api/incidents)`]));
  blocks.push(context(['`/rca <incident-id>` for root causes, evidence and timeline · `/rca help`']));
  const text = `${plural(open.length, 'open incident')}: ${open
    .slice(0, 3)
    .map((r) => r.title)
    .join('; ')}`;
  return message(text, blocks);
}
