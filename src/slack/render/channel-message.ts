// The incident message posted once to the incident channel and then updated in place: severity, affected
// services, the top suspect and its strongest evidence first; feedback buttons; summarised for huge incidents.
import type { IncidentReport, RootCause } from '../../model/incident.js';
import type { RootCauseConfirmation } from '../../store/feedback-store.js';
import type { IncidentContext } from '../incident-context.js';
import { ACTION_IDS, type ActionRefs } from '../action-refs.js';
import { actions, button, context, escapeMrkdwn, header, message, section, type Block, type SlackMessage } from './block-kit.js';
import { runbookBlock } from './runbook-block.js';
import { suspectBlock } from './suspects.js';
import { formatAge, formatScore, formatTime, listNames, plural, severityLabel } from './text-format.js';

export interface ChannelMessageInput {
  report: IncidentReport;
  context: IncidentContext | null;
  confirmation: RootCauseConfirmation | null;
  rejected: readonly string[];
  now: number;
  refs: ActionRefs;
}

const OTHER_SUSPECTS = 2;
/**
 * A suspect behind the first gets a section and a Confirm button only when it scores at least this, and at least
 * SUSPECT_SHARE of the first: below that it is a bystander the ranking lists for completeness (a dependency whose calls
 * look healthy scores 0.05–0.1), and it goes to "Also suspected" with its score.
 */
const MIN_SUSPECT_SCORE = 0.1;
const SUSPECT_SHARE = 0.25;

export function renderChannelMessage(input: ChannelMessageInput): SlackMessage {
  const { report, context: ctx, confirmation, rejected, now, refs } = input;
  const severity = ctx?.severity ?? 'unknown';
  const resolved = report.status === 'resolved';
  const openedAt = Date.parse(report.openedAt);
  const blocks: Block[] = [];

  blocks.push(header(`${resolved ? ':white_check_mark: RESOLVED' : severityLabel(severity)} · ${report.title}`));

  const status = resolved
    ? `*Resolved*${ctx?.resolvedAt ? ` at ${formatTime(ctx.resolvedAt, now)}` : ''} after ${formatAge((ctx?.resolvedAt ?? now) - openedAt)}`
    : `*Open* for ${formatAge(now - openedAt)} (since ${formatTime(openedAt, now)})`;
  const alertCount = ctx ? `${ctx.firingAlerts} firing, ${ctx.resolvedAlerts} resolved` : plural(report.alerts.length, 'alert');
  blocks.push(
    section(
      [
        `${status} · *Alerts:* ${alertCount} · \`${escapeMrkdwn(report.id)}\``,
        `*Affected services (${report.services.length}):* ${report.services.length > 0 ? listNames(report.services, 8) : '_none named_'}`,
      ].join('\n'),
    ),
  );

  if (ctx?.sameRoot && !resolved) {
    const others = ctx.sameRoot.incidents.map((o) => `\`${escapeMrkdwn(o.id)}\` (opened ${formatTime(Date.parse(o.openedAt), now)})`);
    blocks.push(context([`:link: ${others.length === 1 ? 'Incident' : 'Incidents'} ${others.join(', ')} also ${others.length === 1 ? 'blames' : 'blame'} \`${escapeMrkdwn(ctx.sameRoot.service)}\` first: probably the same outage.`]));
  }

  if (confirmation) {
    blocks.push(
      section(
        `:white_check_mark: *Root cause confirmed:* \`${escapeMrkdwn(confirmation.service)}\` by <@${escapeMrkdwn(confirmation.userId)}> at ${formatTime(confirmation.at, now)}`,
      ),
    );
  }

  const top = report.rootCauses[0];
  if (top) {
    blocks.push(section(`*Top suspect*`));
    blocks.push(
      suspectBlock(top, {
        incidentId: report.id,
        rank: 1,
        evidence: 2,
        refs,
        confirmed: confirmation?.service === top.service,
        rejected: rejected.includes(top.service),
      }),
    );
    // A suspect someone marked (confirmed, or "not it") keeps its section whatever its score.
    const marked = (rc: RootCause) => confirmation?.service === rc.service || rejected.includes(rc.service);
    const floor = Math.max(MIN_SUSPECT_SCORE, SUSPECT_SHARE * top.score);
    const others = report.rootCauses.slice(1, 1 + OTHER_SUSPECTS).filter((rc) => rc.score >= floor || marked(rc));
    for (const [i, rc] of others.entries()) {
      blocks.push(
        suspectBlock(rc, {
          incidentId: report.id,
          rank: i + 2,
          evidence: 1,
          refs,
          confirmed: confirmation?.service === rc.service,
          rejected: rejected.includes(rc.service),
        }),
      );
    }
    const rest = report.rootCauses.slice(1).filter((rc) => !others.includes(rc));
    if (rest.length > 0) blocks.push(context([`Also suspected: ${rest.map((r) => `${escapeMrkdwn(r.service)} (${formatScore(r.score)})`).join(', ')}`]));
  } else {
    blocks.push(section('_No suspect yet: waiting for more signals (traces, deploys, alerts)._'));
  }

  if (ctx && ctx.alertNames.length > 0) {
    const names = ctx.alertNames.slice(0, 5).map((a) => `${escapeMrkdwn(a.name)} ×${a.count}`);
    const more = ctx.alertNames.length > 5 ? ` and ${ctx.alertNames.length - 5} more names` : '';
    blocks.push(context([`*Alerts:* ${names.join(', ')}${more}`]));
  }
  if (report.similarIncidents.length > 0) {
    const fixedWith = (id: string): string => {
      const fix = ctx?.pastFixes?.[id];
      return fix ? `, fixed with ${escapeMrkdwn(fix.runbook)}` : '';
    };
    const s = report.similarIncidents.slice(0, 3).map((x) => `${escapeMrkdwn(x.id)} (${formatScore(x.similarity)}, cause ${escapeMrkdwn(x.rootCause)}${fixedWith(x.id)})`);
    blocks.push(context([`*Similar past incidents:* ${s.join(', ')}`]));
  }

  // The first suggestion (a runbook that fixed a similar incident comes first), proposable from the channel; the
  // rest are in /rca. Not once resolved: there is nothing left to mend.
  const runbook = resolved ? undefined : report.remediations[0];
  if (runbook) {
    const more = report.remediations.length > 1 ? ` · ${report.remediations.length - 1} more in \`/rca\`` : '';
    blocks.push(runbookBlock(report.id, runbook, refs, '*Suggested runbook:* ', more));
  }

  const buttons = [button('Not it…', ACTION_IDS.notIt, refs.add({ kind: 'incident', incidentId: report.id }))];
  blocks.push(actions(buttons, `incident_actions`));
  blocks.push(context([`Details, timeline and runbooks: \`/rca ${escapeMrkdwn(report.id)}\``]));

  const topText = top ? ` — top suspect ${top.service} (${formatScore(top.score)})` : '';
  const text = `${resolved ? 'Resolved' : severity.toUpperCase()}: ${report.title}${topText}`;
  return message(text, blocks);
}
