// The tokens a signature is compared by (alert name, service+alert pair, service, dependency) and how they read in evidence.
import type { IncidentSignature } from './incident-signature.js';

/** Token kinds, also the tie-break order when two shared tokens weigh the same (the most specific first). */
export type TokenKind = 'pair' | 'alert' | 'service' | 'dependency';

const KIND_CODE: Record<TokenKind, string> = { pair: 'p', alert: 'a', service: 's', dependency: 'd' };
const SEP = '\u0000'; // cannot appear in a label value we care about, so keys never collide across kinds

/**
 * The distinct token keys of a signature, sorted (so sums over them are computed in one order, whatever the
 * order of the signature's arrays). An alert's service counts as an involved service even if `services`
 * omits it; a dependency that is also a service counts once, as a service.
 */
export function tokenKeysOf(sig: IncidentSignature): string[] {
  const keys = new Set<string>();
  const services = new Set<string>();
  for (const s of sig.services) if (s !== '') services.add(s);
  for (const a of sig.alerts) {
    if (a.service !== '') services.add(a.service);
    if (a.alertname === '') continue;
    keys.add(KIND_CODE.alert + SEP + a.alertname);
    if (a.service !== '') keys.add(KIND_CODE.pair + SEP + a.service + SEP + a.alertname);
  }
  for (const s of services) keys.add(KIND_CODE.service + SEP + s);
  for (const d of sig.dependencies) if (d !== '' && !services.has(d)) keys.add(KIND_CODE.dependency + SEP + d);
  return [...keys].sort();
}

/**
 * Readable shared tokens, most informative first (heaviest, then the more specific kind, then name), without
 * the alert name or service a listed pair already says.
 */
export function describeShared(shared: ReadonlyArray<{ key: string; w2: number }>, limit: number): string[] {
  const sorted = [...shared].sort(
    (a, b) => b.w2 - a.w2 || kindRank(kindOfKey(a.key)) - kindRank(kindOfKey(b.key)) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  const impliedAlerts = new Set<string>();
  const impliedServices = new Set<string>();
  const out: string[] = [];
  for (const { key } of sorted) {
    if (out.length === limit) break;
    const kind = kindOfKey(key);
    if (kind === 'alert' && impliedAlerts.has(nameOfKey(key))) continue;
    if (kind === 'service' && impliedServices.has(nameOfKey(key))) continue;
    const pair = pairParts(key);
    if (pair) {
      impliedAlerts.add(pair.alertname);
      impliedServices.add(pair.service);
    }
    out.push(describeKey(key));
  }
  return out;
}

export function kindOfKey(key: string): TokenKind {
  switch (key[0]) {
    case 'p':
      return 'pair';
    case 'a':
      return 'alert';
    case 's':
      return 'service';
    default:
      return 'dependency';
  }
}

/** Rank of a kind for tie-breaks: a pair says more than the alert name or the service it implies. */
function kindRank(kind: TokenKind): number {
  return kind === 'pair' ? 0 : kind === 'alert' ? 1 : kind === 'service' ? 2 : 3;
}

/** Readable form for evidence text: "HighErrorRate on checkout", "alert HighErrorRate", "service checkout". */
function describeKey(key: string): string {
  const parts = key.split(SEP);
  switch (kindOfKey(key)) {
    case 'pair':
      return `${parts[2] ?? ''} on ${parts[1] ?? ''}`;
    case 'alert':
      return `alert ${parts[1] ?? ''}`;
    case 'service':
      return `service ${parts[1] ?? ''}`;
    case 'dependency':
      return `dependency ${parts[1] ?? ''}`;
  }
}

/** The service and alert name a pair key names (to drop the alert/service tokens a shared pair already implies). */
function pairParts(key: string): { service: string; alertname: string } | undefined {
  if (kindOfKey(key) !== 'pair') return undefined;
  const parts = key.split(SEP);
  return { service: parts[1] ?? '', alertname: parts[2] ?? '' };
}

/** The name an alert/service/dependency key carries. */
function nameOfKey(key: string): string {
  return key.slice(key.lastIndexOf(SEP) + 1);
}
