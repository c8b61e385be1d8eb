// Parses the text after `/rca` into what the engineer asked for. Pure.

export type RcaIntent =
  | { kind: 'list' }
  | { kind: 'help' }
  | { kind: 'incident'; id: string }
  | { kind: 'service'; name: string }
  | AutomationIntent
  | { kind: 'unknown'; text: string; reason: string };

/** `/rca automation pause <reason>|resume|status`: the remediation kill switch (admins only, checked later). */
export type AutomationIntent =
  | { kind: 'automation'; action: 'pause'; reason: string }
  | { kind: 'automation'; action: 'resume' }
  | { kind: 'automation'; action: 'status' };

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
  if (verb === 'automation') {
    const sub = rest[0]?.toLowerCase();
    if (sub === undefined || sub === 'status') return rest.length <= 1 ? { kind: 'automation', action: 'status' } : unknown(text, '`/rca automation status` takes no argument');
    if (sub === 'pause') return { kind: 'automation', action: 'pause', reason: automationReason(text) };
    if (sub === 'resume') return rest.length === 1 ? { kind: 'automation', action: 'resume' } : unknown(text, '`/rca automation resume` takes no argument');
    return unknown(text, 'expected `/rca automation pause <reason>`, `/rca automation resume` or `/rca automation status`');
  }
  if (rest.length === 0 && TOKEN.test(first)) return { kind: 'incident', id: first };
  return unknown(text, 'expected `/rca`, `/rca <incident-id>`, `/rca service <name>` or `/rca help`');
}

function unknown(text: string | undefined, reason: string): RcaIntent {
  return { kind: 'unknown', text: (text ?? '').trim(), reason };
}

/** The free text after `automation pause`, as typed (spacing kept, at most 500 characters). */
function automationReason(text: string | undefined): string {
  return (text ?? '').trim().replace(/^automation\s+pause\s*/i, '').trim().slice(0, 500);
}
