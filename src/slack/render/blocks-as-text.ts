// Block Kit as plain text, so `npm run demo` and the CLI show a newcomer what Slack would display.
import type { Block } from './block-kit.js';

type TextObject = { type: string; text: string };
type Element = { type: string; text?: TextObject | string; placeholder?: TextObject; style?: string };

function plain(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/<@([A-Z0-9]+)>/g, '@$1');
}

function elementText(e: Element): string {
  if (e.type === 'button') return `[ ${plain(typeof e.text === 'object' ? e.text.text : '')} ]`;
  if (typeof e.text === 'object') return plain(e.text.text);
  if (typeof e.text === 'string') return plain(e.text);
  if (e.placeholder) return `[ ${plain(e.placeholder.text)} ▾ ]`;
  return `[${e.type}]`;
}

export function renderBlocksAsText(blocks: readonly Block[], width = 100): string {
  const out: string[] = [];
  for (const raw of blocks) {
    const b = raw as unknown as { type: string; text?: TextObject; fields?: TextObject[]; accessory?: Element; elements?: Element[]; label?: TextObject; element?: Element };
    switch (b.type) {
      case 'header': {
        const t = plain(b.text?.text ?? '');
        out.push(t, '═'.repeat(Math.min(width, [...t].length)));
        break;
      }
      case 'section': {
        const lines = plain(b.text?.text ?? '').split('\n');
        for (const f of b.fields ?? []) lines.push(plain(f.text));
        if (b.accessory) lines[0] = `${lines[0]}    ${elementText(b.accessory)}`;
        out.push(...lines);
        break;
      }
      case 'context':
        out.push(`  ${(b.elements ?? []).map(elementText).join(' · ')}`);
        break;
      case 'actions':
        out.push((b.elements ?? []).map(elementText).join('  '));
        break;
      case 'divider':
        out.push('─'.repeat(Math.min(width, 40)));
        break;
      case 'input':
        out.push(`${plain(b.label?.text ?? '')}: ${b.element ? elementText(b.element) : ''}`);
        break;
      default:
        out.push(`[${b.type}]`);
    }
  }
  return out.join('\n');
}
