// Proactive expiry: proposals still waiting for approval past their expiry move to `expired` (audited, atomically,
// once even with several replicas sweeping), so their Slack message stops offering buttons without anyone clicking.
import type { AuditLog } from './audit-log.js';
import type { Proposal } from './proposal.js';
import type { ProposalStore } from './proposal-store.js';

/** Proposals expired per round of the sweep; a sweep runs rounds until none are due. */
const BATCH = 100;

export interface ExpiryDeps {
  store: ProposalStore;
  audit: AuditLog;
  clock: () => number;
  /** Told once per proposal this call expired (another replica's sweep tells about its own). */
  onExpired?: (proposal: Proposal) => void | Promise<void>;
}

/** Expires every proposal due by now; returns the ones this call expired. */
export async function expireDueProposals(deps: ExpiryDeps): Promise<Proposal[]> {
  const now = deps.clock();
  const expired: Proposal[] = [];
  for (;;) {
    const due = await deps.store.dueForExpiry(now, BATCH);
    const round: Proposal[] = [];
    for (const id of due) {
      const p = await deps.store.get(id);
      if (!p) {
        await deps.store.forgetExpiry(id);
        continue;
      }
      const t = await deps.store.expire(id, now, {
        at: new Date(now).toISOString(),
        actor: 'rcabot',
        action: 'expired',
        proposalId: id,
        incidentId: p.incidentId,
        runbookId: p.runbookId,
        detail: { expiresAt: new Date(p.expiresAt).toISOString(), approvals: p.approvals.map((a) => a.user) },
      });
      if (t.kind === 'ok') round.push((await deps.store.get(id)) ?? p);
    }
    if (round.length > 0) await deps.audit.chain();
    for (const p of round) await deps.onExpired?.(p);
    expired.push(...round);
    // Every id handled leaves the due range (expired, dropped, or re-scored to its real expiry), so this ends.
    if (due.length < BATCH) return expired;
  }
}
