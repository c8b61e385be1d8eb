// Thread replies under the incident message for the changes worth a notification: a new top suspect, resolution,
// and an incident open again because an alert of it fires again (decision 032).
import type { IncidentReport } from '../../model/incident.js';
import type { IncidentContext } from '../incident-context.js';
import { escapeMrkdwn, message, section, truncate, type SlackMessage } from './block-kit.js';
import { strongestEvidence } from './suspects.js';
import { formatAge, formatScore, formatTime } from './text-format.js';

export type ThreadNote = { kind: 'new-top-suspect'; previous: string | null } | { kind: 'resolved' } | { kind: 'reopened' };

export function renderThreadNote(note: ThreadNote, report: IncidentReport, ctx: IncidentContext | null, now: number): SlackMessage {
  if (note.kind === 'resolved') {
    const openedAt = Date.parse(report.openedAt);
    const at = ctx?.resolvedAt ?? now;
    const text = `Resolved at ${formatTime(at, now)} after ${formatAge(at - openedAt)}. Was the top suspect right? Confirm it on the message so the next similar incident ranks better.`;
    return message(text, [section(`:white_check_mark: ${escapeMrkdwn(text)}`)]);
  }
  if (note.kind === 'reopened') {
    const text = `Open again at ${formatTime(now, now)}: an alert of this incident fired again soon after it resolved.`;
    return message(text, [section(`:rotating_light: ${escapeMrkdwn(text)}`)]);
  }
  const top = report.rootCauses[0];
  if (!top) return message('No suspect any more.', [section('_No suspect any more._')]);
  const was = note.previous ? ` (was ${note.previous})` : '';
  const evidence = strongestEvidence(top)[0];
  const text = `New top suspect: ${top.service} — score ${formatScore(top.score)}${was}`;
  const lines = [`:mag: *New top suspect:* \`${escapeMrkdwn(top.service)}\` — score ${formatScore(top.score)}${escapeMrkdwn(was)}`];
  if (evidence) lines.push(`> ${truncate(escapeMrkdwn(evidence.detail), 400)}`);
  return message(text, [section(lines.join('\n'))]);
}
