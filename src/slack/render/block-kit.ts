// Block Kit building blocks with Slack's limits built in: every text is cut to its field's maximum and a
// message never has more than 50 blocks, so a 500-alert incident still renders (summarised, not rejected).
import type { types } from '@slack/bolt';

export type Block = types.KnownBlock;
export type Button = types.Button;

/** Slack's documented limits (https://docs.slack.dev/reference/block-kit/blocks). */
export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  sectionField: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  optionText: 75,
  optionValue: 150,
  selectOptions: 100,
  /** `text` of chat.postMessage is allowed far more, but notifications show ~150; keep it short. */
  fallbackText: 3000,
  privateMetadata: 3000,
} as const;

/** Cuts `text` to at most `max` characters (code points), ending with '…' when cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return chars.slice(0, Math.max(0, max - 1)).join('') + '…';
}

/** Escapes the three characters mrkdwn treats as control characters, so names cannot inject links or mentions. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, LIMITS.headerText), emoji: true } };
}

export function section(text: string, accessory?: Button): Block {
  const block: types.SectionBlock = { type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } };
  if (accessory) block.accessory = accessory;
  return block;
}

export function context(texts: readonly string[]): Block {
  return {
    type: 'context',
    elements: texts.slice(0, LIMITS.contextElements).map((t) => ({ type: 'mrkdwn' as const, text: truncate(t, LIMITS.contextText) })),
  };
}

export function divider(): Block {
  return { type: 'divider' };
}

export function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger'): Button {
  const b: Button = { type: 'button', text: { type: 'plain_text', text: truncate(text, LIMITS.buttonText), emoji: true }, action_id: actionId, value: truncate(value, LIMITS.buttonValue) };
  if (style) b.style = style;
  return b;
}

export function actions(elements: readonly Button[], blockId?: string): Block {
  const block: types.ActionsBlock = { type: 'actions', elements: elements.slice(0, LIMITS.actionsElements) };
  if (blockId) block.block_id = blockId;
  return block;
}

/**
 * Lines joined into section text that fits: whole lines are kept while they fit, then "…and N more"
 * (a line cut in the middle reads worse than a count).
 */
export function fitLines(lines: readonly string[], max: number = LIMITS.sectionText, more: (n: number) => string = (n) => `…and ${n} more`): string {
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = truncate(lines[i]!, max - 40);
    const rest = lines.length - i - 1;
    const reserve = rest > 0 ? more(rest).length + 1 : 0;
    if (used + line.length + 1 + reserve > max) {
      out.push(more(lines.length - i));
      return out.join('\n');
    }
    out.push(line);
    used += line.length + 1;
  }
  return out.join('\n');
}

/** Keeps a message within the block limit; the last kept block says how many were left out. */
export function fitBlocks(blocks: readonly Block[], note: (dropped: number) => string = (n) => `_${n} more block${n === 1 ? '' : 's'} left out to fit Slack's limits_`): Block[] {
  if (blocks.length <= LIMITS.blocks) return [...blocks];
  const kept = blocks.slice(0, LIMITS.blocks - 1);
  return [...kept, context([note(blocks.length - kept.length)])];
}

/** A rendered message: blocks plus the plain `text` Slack shows in notifications and screen readers. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

export function message(text: string, blocks: readonly Block[]): SlackMessage {
  return { text: truncate(text, LIMITS.fallbackText), blocks: fitBlocks(blocks) };
}
