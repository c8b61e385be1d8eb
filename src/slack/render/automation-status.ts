// Answers to `/rca automation pause|resume|status`: the state of the remediation kill switch, in one section.
import type { PauseState } from '../../remediation/automation-switch.js';
import { escapeMrkdwn, message, section, type SlackMessage } from './block-kit.js';
import { formatTime } from './text-format.js';

export function renderAutomationState(state: PauseState, now: number, changed: 'paused' | 'resumed' | null = null): SlackMessage {
  if (!state.paused) {
    const text = changed === 'resumed' ? 'Automated remediation resumed: approved runbooks run again.' : 'Automated remediation is running: approved runbooks run.';
    return message(text, [section(`:arrow_forward: ${text} Admins pause it with \`/rca automation pause <reason>\`.`)]);
  }
  const by = state.by ? ` by <@${escapeMrkdwn(state.by)}>` : '';
  const at = state.at !== undefined ? ` at ${formatTime(state.at, now)}` : '';
  const reason = state.reason ? `: ${escapeMrkdwn(state.reason)}` : '';
  const head = changed === 'paused' ? 'Automated remediation paused' : 'Automated remediation is paused';
  const text = `${head}${by}${at}${reason}. No proposal is approved or run until an admin types /rca automation resume.`;
  return message(text, [section(`:double_vertical_bar: *${head}*${by}${at}${reason}.\nNo proposal is approved or run until an admin types \`/rca automation resume\`.`)]);
}

export function renderAutomationRefusal(reason: string): SlackMessage {
  return message(reason, [section(`:no_entry: ${reason}`)]);
}
