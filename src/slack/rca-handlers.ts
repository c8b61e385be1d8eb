// The `/rca` slash command: acknowledge at once (Slack allows 3 s), then answer through the response_url.
import type { App } from '@slack/bolt';
import type { Logger } from '../telemetry/logger.js';
import type { ActionRefStore } from './action-refs.js';
import { parseRcaCommand, type AutomationIntent } from './rca-command.js';
import { answerRca } from './rca-answer.js';
import type { RcaQueries } from './rca-queries.js';
import type { SlackMessage } from './render/block-kit.js';
import { renderError } from './render/help.js';

/** The remediation layer's answer to `/rca automation …` (the kill switch); absent when remediation is off. */
export type AutomationCommand = (intent: AutomationIntent, userId: string) => Promise<SlackMessage>;

export interface RcaCommandDeps {
  queries: RcaQueries;
  refs: ActionRefStore;
  logger: Logger;
  now: () => number;
  /** The slash command's name as configured in the Slack app (default /rca). */
  command?: string;
  automationCommand?: AutomationCommand;
}

export function registerRcaCommand(app: App, deps: RcaCommandDeps): void {
  app.command(deps.command ?? '/rca', async ({ command, ack, respond }) => {
    // Ack first and empty: the answer follows via response_url, so a slow Redis never makes Slack time out.
    await ack();
    const intent = parseRcaCommand(command.text);
    const log = deps.logger.child({ command: '/rca', intent: intent.kind, user: command.user_id });
    let answer;
    try {
      if (intent.kind === 'automation' && deps.automationCommand) answer = await deps.automationCommand(intent, command.user_id);
      else {
        const { message, refs } = await answerRca(intent, deps.queries, deps.now());
        await deps.refs.save(refs);
        answer = message;
      }
    } catch (err) {
      log.error({ err }, '/rca failed');
      answer = renderError('Sorry, I could not read the incidents just now (is Redis reachable?). Please try again in a moment.');
    }
    try {
      await respond({ response_type: 'ephemeral', replace_original: false, text: answer.text, blocks: answer.blocks });
    } catch (err) {
      log.error({ err }, 'could not answer /rca through response_url');
    }
  });
}
