// `/rca help`, and calm answers for what we cannot find (with the nearest names we know).
import { context, escapeMrkdwn, message, section, type SlackMessage } from './block-kit.js';
import { listNames } from './text-format.js';

export function renderHelp(): SlackMessage {
  return message('/rca: open incidents, root causes and service health', [
    section(
      [
        '*`/rca`* — open incidents, newest first, with their top suspects',
        '*`/rca <incident-id>`* — ranked root causes with evidence, timeline, similar incidents, runbooks',
        '*`/rca service <name>`* — a service’s callers and callees now, open alerts, deploys, incidents',
        '*`/rca help`* — this help',
      ].join('\n'),
    ),
    context(['Incident messages in the incident channel have *Confirm root cause* and *Not it* buttons: your answer improves the next ranking.']),
  ]);
}

export function renderUnknownIncident(id: string, suggestions: readonly string[]): SlackMessage {
  const hint = suggestions.length > 0 ? ` Did you mean ${listNames(suggestions, 3)}?` : ' Type `/rca` to list the open incidents.';
  const text = `No incident \`${escapeMrkdwn(id)}\`.${hint}`;
  return message(text, [section(`:grey_question: ${text}`)]);
}

export function renderUnknownService(name: string, suggestions: readonly string[]): SlackMessage {
  const hint = suggestions.length > 0 ? ` Did you mean ${listNames(suggestions, 5)}?` : ' No similar service name is known yet.';
  const text = `No service named \`${escapeMrkdwn(name)}\`.${hint}`;
  return message(text, [section(`:grey_question: ${text}`)]);
}

export function renderUnknownCommand(text: string): SlackMessage {
  const t = `I did not understand \`/rca ${escapeMrkdwn(text)}\`.`;
  const help = renderHelp();
  return message(`${t} ${help.text}`, [section(`:grey_question: ${t} Here is what I can do:`), ...help.blocks]);
}

export function renderError(text: string): SlackMessage {
  return message(text, [section(`:warning: ${escapeMrkdwn(text)}`)]);
}
