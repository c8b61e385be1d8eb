// Evidence sentences: the facts behind a score, phrased for an on-call engineer reading at a glance.
import type { Alert } from '../model/alert.js';
import { PROCESS_DOWN_NAME } from '../model/alert-signal.js';
import type { Change } from '../model/change.js';
import type { IncidentFix } from '../model/history.js';
import { MIN_CALLS, type CallChange, type ServiceTraceSignal, type VersionSplit } from './trace-signals.js';

const MINUTE = 60_000;

export function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

export function hhmm(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

function minutes(ms: number): string {
  const m = Math.round(Math.abs(ms) / MINUTE);
  return m === 0 ? 'under a minute' : `${m} min`;
}

function listNames(names: readonly string[], max = 3): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

export function describeAlerts(service: string, alerts: readonly Alert[], onset: number): string {
  const names = [...new Set(alerts.map((a) => a.name))];
  const first = Math.min(...alerts.map((a) => a.startsAt));
  const when = first <= onset ? `firing since ${hhmm(first)}, with the first alerts` : `firing since ${hhmm(first)}, ${minutes(first - onset)} after the first alert`;
  return `${service}: ${alerts.length} alert${alerts.length === 1 ? '' : 's'} (${listNames(names)}), ${when}`;
}

export function describeSaturation(service: string, alerts: readonly Alert[]): string {
  const names = [...new Set(alerts.map((a) => a.name))];
  const what = names.every((n) => PROCESS_DOWN_NAME.test(n)) ? 'its own process is down' : 'its own resources are saturated';
  return `${service}: ${what} (${listNames(names)}, since ${hhmm(Math.min(...alerts.map((a) => a.startsAt)))}), so the trouble likely starts here`;
}

export function describeIncoming(service: string, c: CallChange, callers: readonly string[], silent: boolean): string {
  const from = callers.length > 0 ? ` from ${listNames(callers)}` : '';
  const parts: string[] = [];
  if (c.errorAnomaly >= 0.2) {
    const base = c.errorRateBase !== null ? ` (was ${pct(c.errorRateBase)})` : '';
    parts.push(`${pct(c.errorRateNow)} of ${c.callsNow} client calls${from} fail${base}`);
  }
  if (c.latencyAnomaly >= 0.2 && c.meanLatencyBase !== null) {
    // A verdict drawn from fewer calls (decision 015) says how few: the reader weighs it.
    const few = c.callsNow < MIN_CALLS ? `; ${c.callsNow} sampled call${c.callsNow === 1 ? '' : 's'}` : '';
    parts.push(`calls${parts.length ? '' : from} take ${Math.round(c.meanLatencyNow)} ms on average (was ${Math.round(c.meanLatencyBase)} ms${few})`);
  }
  return `${service}: ${parts.join('; ')}${silent ? '; no alert of its own' : ''}`;
}

export function describeOrigin(service: string, t: ServiceTraceSignal): string {
  const base = t.originErrorRateBase !== null ? ` (was ${pct(t.originErrorRateBase)})` : '';
  return `${service}: ${pct(t.originErrorRateNow)} of its own spans fail while its callees succeed${base}`;
}

export function describeVersionSplit(service: string, split: VersionSplit, brokenBelow: readonly string[] = []): string {
  const { worse, better } = split;
  const spans = (n: number): string => `${n} span${n === 1 ? '' : 's'}`;
  const how =
    split.symptom === 'errors'
      ? [`fails ${pct(worse.errors / worse.calls)} of its ${spans(worse.calls)}`, `fails ${pct(better.errors / better.calls)} of ${spans(better.calls)}`]
      : [`takes ${Math.round(worse.latencySumMs / worse.calls)} ms a span (${spans(worse.calls)})`, `takes ${Math.round(better.latencySumMs / better.calls)} ms`];
  return `${service}: version ${worse.version}, serving since ${hhmm(worse.firstSeen)}, ${how[0]}; ${better.version} beside it ${how[1]} in the same minutes, so the failure is in the newer version's own code${brokenByWhatItSends(service, brokenBelow)}`;
}

/**
 * "payments-db fails 100% of 4 calls from checkout v2.14.1 (calling since 09:01) and 0% of 26 from v2.14.0 in the same
 * minutes: it fails on what the new version sends it" (decision 031: the caller's calls into it, split by its version on
 * errors, the only split the ranking reads there), and when other callers' calls fail too "; calls from refunds fail
 * too, so this accounts for 80% of its failed calls" (decision 035).
 */
export function describeCallsByVersion(
  service: string,
  caller: string,
  { worse, better }: VersionSplit,
  alsoFailing?: { callers: readonly string[]; callerShare: number },
): string {
  const calls = (n: number): string => `${n} call${n === 1 ? '' : 's'}`;
  const others = alsoFailing
    ? `; calls from ${listNames(alsoFailing.callers)} fail too, so this accounts for ${pct(alsoFailing.callerShare)} of its failed calls`
    : '';
  return `${service} fails ${pct(worse.errors / worse.calls)} of ${calls(worse.calls)} from ${caller} ${worse.version} (calling since ${hhmm(worse.firstSeen)}) and ${pct(better.errors / better.calls)} of ${calls(better.calls)} from ${better.version} in the same minutes: it fails on what the new version sends it${others}`;
}

/** "; payments-db fails only on what checkout calls it with" (dependencies failing only on the new code's calls). */
function brokenByWhatItSends(service: string, brokenBelow: readonly string[]): string {
  if (brokenBelow.length === 0) return '';
  return `; ${listNames(brokenBelow)} fail${brokenBelow.length === 1 ? 's' : ''} only on what ${service} calls ${brokenBelow.length === 1 ? 'it' : 'them'} with`;
}

export function describePosition(
  service: string,
  upstreamAnomalous: number,
  totalAnomalous: number,
  worstCallee: string,
  worstCalleeAnomaly: number,
  trafficShifted: readonly string[] = [],
  callsLookHealthy = 0,
  failElsewhere = 0,
): string {
  let caveat = '';
  if (callsLookHealthy > 0 && callsLookHealthy >= upstreamAnomalous) caveat = ', but their calls to it look healthy';
  else if (failElsewhere > 0 && failElsewhere >= upstreamAnomalous) caveat = ', but they fail through calls to other dependencies';
  else {
    const notes: string[] = [];
    if (callsLookHealthy > 0) notes.push(`the calls of ${callsLookHealthy} to it look healthy`);
    if (failElsewhere > 0) notes.push(failElsewhere === 1 ? '1 fails through calls to another dependency' : `${failElsewhere} fail through calls to other dependencies`);
    if (notes.length > 0) caveat = ` (${notes.join('; ')})`;
  }
  const failing = upstreamAnomalous > 0 ? `${upstreamAnomalous} of ${totalAnomalous} anomalous services depend on it${caveat}` : '';
  const shifted = trafficShifted.length > 0 ? `it would explain the request-rate shift${trafficShifted.length === 1 ? '' : 's'} at ${listNames(trafficShifted)}` : '';
  const depends = failing && shifted ? `${failing}, and ${shifted}` : failing || shifted;
  if (worstCalleeAnomaly > 0.3) {
    const victim = `its dependency ${worstCallee} is anomalous too, so it may be a victim`;
    // A caveat that already says "but" ends its own clause: the victim note follows as a clause of its own.
    const joined = !depends ? victim : caveat.startsWith(', but') ? `${depends}; ${victim}` : `${depends}, but ${victim}`;
    return `${service}: ${joined}`;
  }
  // "…but their calls to it look healthy" ends the clause that says so: no second "look healthy" after it.
  if (depends.endsWith(' look healthy')) return `${service}: ${depends}, as do its own dependencies`;
  return `${service}: ${depends}; its own dependencies look healthy`;
}

/** Without any topology: the alerting services that began to alert with the candidate or after it (decision 021). */
export function describeFollowers(service: string, followers: number, totalAnomalous: number): string {
  return `${service}: ${followers} of the ${totalAnomalous} alerting services began to alert with it or after it; no traces or catalog show how they connect`;
}

/**
 * A dependency seen failing only through its callers, when no traces judge its calls (decision 018). A caller counted
 * apart fails through another dependency: one that alerts, or one its calls to which traces show failing.
 */
export function describeFailingCallers(service: string, failing: number, callers: number, elsewhere = 0, slowOnly = false): string {
  const more = elsewhere > 0 ? `, ${elsewhere} more through another dependency that fails` : '';
  return `${service}: ${failing} of the ${callers} services that call it ${slowOnly ? 'are slow' : 'fail'}${more}; no alert of its own, and no traces judge its calls`;
}

/**
 * A dependency with no alert whose one failing caller's calls no traces judge (decision 018, second addendum); `silent`
 * counts that caller's dependencies like it, this one included.
 */
export function describeOneFailingCaller(service: string, caller: string, silent = 1, slowOnly = false): string {
  const which = silent > 1 ? `one of the ${silent} dependencies of ${caller}` : `the only dependency of ${caller}`;
  return `${service}: ${caller} ${slowOnly ? 'is slow' : 'fails'}, and ${service} is ${which} with no alert and no calls that traces judge`;
}

export function describeChange(
  change: Change,
  onset: number,
  brokenBelow: readonly string[] = [],
  failingAfter: readonly string[] = [],
  servedFrom: number | null = null,
): string {
  const from = change.previousVersion ? ` (from ${change.previousVersion})` : '';
  const rel = change.at <= onset ? `${minutes(onset - change.at)} before the first alert` : `${minutes(change.at - onset)} after the first alert`;
  const what = change.failed ? `${change.service} tried to deploy ${change.version}${from} ${rel}; the rollout failed` : `${change.service} deployed ${change.version}${from} ${rel}`;
  // Decision 033: spans that show the new version serving only after the alerts began clear the deploy.
  const after = servedFrom === null ? '' : `; its spans show ${change.version} serving from ${hhmm(servedFrom)} only, after every alert of the incident began, so it caused none of them`;
  return `${what}${after}${brokenByWhatItSends(change.service, brokenBelow)}${failingAfterItsDeploy(change.service, failingAfter)}`;
}

/**
 * "; payments-db, which it calls, began to fail no earlier, with no deploy of its own: it may fail on what checkout sends
 * it" (decision 030: no calls tell whom it fails for).
 */
function failingAfterItsDeploy(service: string, failingAfter: readonly string[]): string {
  if (failingAfter.length === 0) return '';
  const one = failingAfter.length === 1;
  return `; ${listNames(failingAfter)}, which it calls, began to fail no earlier, with no deploy of ${one ? 'its' : 'their'} own: ${one ? 'it' : 'they'} may fail on what ${service} sends ${one ? 'it' : 'them'}`;
}

export function describeHistory(
  service: string,
  votes: ReadonlyArray<{ id: string; similarity: number; fixedWith?: IncidentFix }>,
): string {
  const best = [...votes].sort((a, b) => b.similarity - a.similarity).slice(0, 2);
  const list = best.map((v) => `${v.id} (${v.similarity.toFixed(2)})`).join(', ');
  // What fixed the most similar of them, when the history says: the first thing on-call will think of trying again.
  const fixed = best.find((v) => v.fixedWith !== undefined);
  if (!fixed?.fixedWith) return `matches ${list}; root cause was ${service}`;
  const how = `fixed with ${fixed.fixedWith.runbook} on ${fixed.fixedWith.target}`;
  return best.length === 1 ? `matches ${list}; root cause was ${service}, ${how}` : `matches ${list}; root cause was ${service}; ${fixed.id} was ${how}`;
}
