// Parses the text after `/rca` into what the engineer asked for. Pure.

export type RcaIntent =
  | { kind: 'list' }
  | { kind: 'help' }
  | { kind: 'incident'; id: string }
  | { kind: 'service'; name: string }
  | { kind: 'unknown'; text: string; reason: string };

/** Incident ids and service names: no spaces, no control characters, a sane length. */
const TOKEN = /^[\w.:\-/@]{1,200}$/u;

export function parseRcaCommand(text: string | undefined): RcaIntent {
  // Slack may send smart quotes or backticks around a pasted id; they are never part of a name.
  const words = (text ?? '')
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '')
    .map((w) => w.replace(/^[`'"“”‘’<]+|[`'"“”‘’>]+$/g, ''));
  if (words.length === 0) return { kind: 'list' };
  const [first, ...rest] = words as [string, ...string[]];
  const verb = first.toLowerCase();
  if (verb === 'help' || verb === '?' || verb === '-h' || verb === '--help') return { kind: 'help' };
  if (verb === 'list' || verb === 'ls' || verb === 'incidents') return rest.length === 0 ? { kind: 'list' } : unknown(text, `\`${verb}\` takes no argument`);
  if (verb === 'service' || verb === 'svc' || verb === 's') {
    if (rest.length === 0) return unknown(text, 'name the service: `/rca service <name>`');
    if (rest.length > 1) return unknown(text, 'one service at a time: `/rca service <name>`');
    return TOKEN.test(rest[0]!) ? { kind: 'service', name: rest[0]! } : unknown(text, 'that is not a service name');
  }
  if (rest.length === 0 && TOKEN.test(first)) return { kind: 'incident', id: first };
  return unknown(text, 'expected `/rca`, `/rca <incident-id>`, `/rca service <name>` or `/rca help`');
}

function unknown(text: string | undefined, reason: string): RcaIntent {
  return { kind: 'unknown', text: (text ?? '').trim(), reason };
}
