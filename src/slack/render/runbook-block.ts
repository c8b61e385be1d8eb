// A suggested runbook as a section with a "Propose" button, in /rca answers and in the incident channel message.
import type { RemediationSuggestion } from '../../model/incident.js';
import { ACTION_IDS, type ActionRefs } from '../action-refs.js';
import { button, escapeMrkdwn, section, type Block } from './block-kit.js';

/** `lead` comes before the runbook's name (a label in the channel message); `tail` after its target. */
export function runbookBlock(incidentId: string, r: RemediationSuggestion, refs: ActionRefs, lead = '', tail = ''): Block {
  const ref = refs.add({ kind: 'runbook', incidentId, runbook: r.runbook, target: r.target });
  return section(`${lead}*${escapeMrkdwn(r.runbook)}*: ${escapeMrkdwn(r.action)} on \`${escapeMrkdwn(r.target)}\`${tail}`, button('Propose', ACTION_IDS.proposeRunbook, ref));
}
