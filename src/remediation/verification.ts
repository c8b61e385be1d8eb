// After `verify.after`, did the remediation fix the incident? Fixed means: every alert of the incident resolved.
import type { IncidentReport } from '../model/incident.js';
import type { Runbook } from '../runbooks/runbook-schema.js';
import type { AuditLog } from './audit-log.js';
import type { Proposal, VerificationOutcome } from './proposal.js';
import type { ProposalStore } from './proposal-store.js';

/** Pure verdict. An incident that can no longer be found cannot be confirmed fixed. */
export function judgeVerification(
  incident: IncidentReport | null,
  stillFiring: readonly string[],
  runbook: Runbook | undefined,
  now: number,
): VerificationOutcome {
  const fixed = incident !== null && stillFiring.length === 0;
  return { fixed, stillFiring: [...stillFiring], checkedAt: now, undo: fixed ? null : (runbook?.undo ?? null) };
}

/** Default "still firing": an open incident still has all its alerts; a resolved one has none. */
export function firingAlertsOfReport(incident: IncidentReport): string[] {
  return incident.status === 'resolved' ? [] : [...incident.alerts];
}

export interface VerificationDeps {
  store: ProposalStore;
  audit: AuditLog;
  runbooks: ReadonlyMap<string, Runbook>;
  clock: () => number;
  getIncident: (id: string) => Promise<IncidentReport | null>;
  firingAlerts?: (incident: IncidentReport) => Promise<string[]>;
  onVerified?: (proposal: Proposal) => void | Promise<void>;
}

/** The verification job body; a second run for the same proposal changes nothing. */
export async function verifyProposal(id: string, deps: VerificationDeps): Promise<VerificationOutcome | null> {
  const p = await deps.store.get(id);
  if (!p || p.state !== 'succeeded') return null;
  const incident = await deps.getIncident(p.incidentId);
  const firing = incident ? await (deps.firingAlerts ?? (async (i: IncidentReport) => firingAlertsOfReport(i)))(incident) : [];
  const verdict = judgeVerification(incident, firing, deps.runbooks.get(p.runbookId), deps.clock());
  const t = await deps.store.recordVerification(id, verdict, {
    at: new Date(verdict.checkedAt).toISOString(),
    actor: 'rcabot',
    action: 'verification',
    proposalId: id,
    incidentId: p.incidentId,
    runbookId: p.runbookId,
    detail: { fixed: verdict.fixed, stillFiring: verdict.stillFiring, incidentFound: incident !== null, undo: verdict.undo },
  });
  if (t.kind !== 'ok') return null;
  await deps.audit.chain();
  const updated = await deps.store.get(id);
  if (updated && deps.onVerified) await deps.onVerified(updated);
  return verdict;
}
