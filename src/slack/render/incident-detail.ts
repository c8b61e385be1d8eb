// `/rca <incident-id>`: ranked root causes with evidence, timeline, similar past incidents and suggested runbooks
// (each with a "Propose" button the remediation layer handles).
import type { IncidentReport } from '../../model/incident.js';
import type { IncidentContext } from '../incident-context.js';
import type { ActionRefs } from '../action-refs.js';
import { context, divider, escapeMrkdwn, fitLines, header, message, section, type Block, type SlackMessage } from './block-kit.js';
import { runbookBlock } from './runbook-block.js';
import { suspectBlock } from './suspects.js';
import { formatAge, formatScore, formatTime, listNames, plural, severityLabel } from './text-format.js';

const MAX_RUNBOOKS = 5;

export function renderIncidentDetail(report: IncidentReport, ctx: IncidentContext | null, now: number, refs: ActionRefs, confirmedService: string | null = null): SlackMessage {
  const openedAt = Date.parse(report.openedAt);
  const blocks: Block[] = [header(report.title)];
  const status = report.status === 'resolved' ? `resolved${ctx?.resolvedAt ? ` at ${formatTime(ctx.resolvedAt, now)}` : ''}` : `open for ${formatAge(now - openedAt)}`;
  blocks.push(
    context([
      `${ctx ? severityLabel(ctx.severity) : 'severity unknown'} · \`${escapeMrkdwn(report.id)}\` · ${status} · ${plural(report.alerts.length, 'alert')} · services: ${report.services.length > 0 ? listNames(report.services, 6) : 'none named'}`,
    ]),
  );

  blocks.push(section('*Suspected root causes*'));
  if (report.rootCauses.length === 0) blocks.push(section('_No suspect yet._'));
  for (const [i, rc] of report.rootCauses.entries()) {
    blocks.push(suspectBlock(rc, { incidentId: report.id, rank: i + 1, evidence: 4, refs, confirmed: confirmedService === rc.service }));
  }

  blocks.push(divider());
  if (ctx && ctx.timeline.length > 0) {
    const lines = ctx.timeline.map((e) => `\`${formatTime(e.at, now)}\` ${escapeMrkdwn(e.text)}`);
    if (ctx.timelineOmitted > 0) lines.splice(12, 0, `_…${ctx.timelineOmitted} more entries…_`);
    blocks.push(section(`*Timeline*\n${fitLines(lines)}`));
  } else {
    blocks.push(section('*Timeline*\n_not available yet_'));
  }

  if (report.similarIncidents.length > 0) {
    const fixedWith = (id: string): string => {
      const fix = ctx?.pastFixes?.[id];
      return fix ? `, fixed with *${escapeMrkdwn(fix.runbook)}* on \`${escapeMrkdwn(fix.target)}\`` : '';
    };
    const lines = report.similarIncidents.map(
      (s) => `• ${escapeMrkdwn(s.id)} — similarity ${formatScore(s.similarity)}, root cause \`${escapeMrkdwn(s.rootCause)}\`${fixedWith(s.id)}`,
    );
    blocks.push(section(`*Similar past incidents*\n${fitLines(lines)}`));
  }

  if (report.remediations.length > 0) {
    blocks.push(section('*Suggested runbooks*'));
    for (const r of report.remediations.slice(0, MAX_RUNBOOKS)) blocks.push(runbookBlock(report.id, r, refs));
    if (report.remediations.length > MAX_RUNBOOKS) blocks.push(context([`…and ${report.remediations.length - MAX_RUNBOOKS} more runbooks`]));
  }
  const top = report.rootCauses[0];
  return message(`${report.title}${top ? ` — top suspect ${top.service} (${formatScore(top.score)})` : ''}`, blocks);
}
