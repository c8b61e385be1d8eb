// Suggests runbooks for an incident: match on the top root cause, alert names and categories, and resolve
// the target the runbook would act on. Pure.
import type { AlertSignal } from '../model/alert-signal.js';
import type { RemediationSuggestion, RootCause } from '../model/incident.js';
import { describeTarget, incidentFacts, resolveParams, type DeployFact, type IncidentFacts } from '../remediation/plan.js';
import { checkScope } from '../remediation/policy.js';
import type { Category, Runbook, RootCauseKind } from './runbook-schema.js';

export interface MatchableIncident {
  id?: string;
  services: string[];
  alertNames: string[];
  rootCauses: RootCause[];
  recentDeploys?: DeployFact[];
  /** What the top root cause is in the dependency graph; an instrumented service when not said. */
  rootCauseKind?: RootCauseKind;
  /** What the incident's alerts say (model/alert-signal.ts); when not said, any `match.signals` is met. */
  alertSignals?: readonly AlertSignal[];
  /** Runbooks that fixed similar past incidents with the same top root cause, the most similar first. */
  fixedBefore?: readonly string[];
}

/** Shell-style glob: `*` any run of characters, `?` one character; the whole string must match. */
export function globMatches(pattern: string, text: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(text);
}

function categoriesOf(top: RootCause, facts: IncidentFacts): Set<Category> {
  const kinds = new Set(top.evidence.map((e) => e.kind));
  const out = new Set<Category>();
  // A new version failing beside the old one (decision 026) is a deploy the traces saw, whether or not one was reported.
  out.add(kinds.has('deploy') || kinds.has('version') || facts.deploy !== null ? 'recent-deploy' : 'no-recent-deploy');
  if (kinds.has('error-origin')) out.add('error-origin');
  return out;
}

/** Whether the runbook's `match` accepts the incident. Each non-empty list must have one hit. */
export function runbookMatches(runbook: Runbook, incident: MatchableIncident, facts: IncidentFacts): boolean {
  const top = incident.rootCauses[0];
  if (!top) return false;
  const m = runbook.match;
  if (!m.suggest) return false;
  if (!m.services.some((p) => globMatches(p, top.service))) return false;
  if (!m.kinds.includes(incident.rootCauseKind ?? 'service')) return false;
  if (m.alertNames.length > 0 && !m.alertNames.some((p) => incident.alertNames.some((a) => globMatches(p, a)))) return false;
  const signals = incident.alertSignals;
  if (signals && !m.signals.some((s) => signals.includes(s))) return false;
  if (m.categories.length > 0) {
    const cats = categoriesOf(top, facts);
    if (!m.categories.some((c) => cats.has(c))) return false;
  }
  return true;
}

/**
 * Every matching runbook whose parameters resolve and whose target is inside its guardrails: first those that fixed
 * similar past incidents of the same root cause (the most similar first), then the others in runbook order. What fixed
 * it last time is suggested only when its own `match` accepts this incident too.
 */
export function suggestRemediations(incident: MatchableIncident, runbooks: readonly Runbook[]): RemediationSuggestion[] {
  const top = incident.rootCauses[0];
  if (!top) return [];
  const facts = incidentFacts(incident.id ?? '', top.service, incident.recentDeploys);
  const out: RemediationSuggestion[] = [];
  for (const rb of runbooks) {
    if (!runbookMatches(rb, incident, facts)) continue;
    const params = resolveParams(rb.action, facts);
    if (!params.ok) continue;
    if (!checkScope(rb, params.value).ok) continue;
    out.push({ runbook: rb.id, action: rb.action.type, target: describeTarget(rb.action, params.value) });
  }
  const fixedBefore = incident.fixedBefore ?? [];
  const priority = (s: RemediationSuggestion): number => {
    const i = fixedBefore.indexOf(s.runbook);
    return i < 0 ? fixedBefore.length : i;
  };
  return out.sort((a, b) => priority(a) - priority(b));
}
