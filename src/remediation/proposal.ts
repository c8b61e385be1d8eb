// A remediation proposal and its state machine. Transitions happen only in Redis (proposal-store.ts).
import type { Plan, ResolvedParams } from './plan.js';

export const PROPOSAL_STATES = [
  'proposed',
  'approved',
  'rejected',
  'expired',
  'running',
  'succeeded',
  'failed',
  'verified',
  'not-fixed',
] as const;
export type ProposalState = (typeof PROPOSAL_STATES)[number];

/** proposed → approved → running → succeeded|failed; succeeded → verified|not-fixed; proposed → rejected|expired. */
export const TRANSITIONS: Readonly<Record<ProposalState, readonly ProposalState[]>> = {
  proposed: ['approved', 'rejected', 'expired'],
  approved: ['running'],
  rejected: [],
  expired: [],
  running: ['succeeded', 'failed'],
  succeeded: ['verified', 'not-fixed'],
  failed: [],
  verified: [],
  'not-fixed': [],
};

export interface Approval {
  user: string;
  at: number;
}

export interface ExecutionOutcome {
  ok: boolean;
  /** One line per step: what was sent and what came back. */
  detail: string[];
  finishedAt: number;
}

export interface VerificationOutcome {
  fixed: boolean;
  /** Alerts still firing when checked (fingerprints). */
  stillFiring: string[];
  checkedAt: number;
  /** Runbook to offer as undo when not fixed. */
  undo: string | null;
}

export interface Proposal {
  id: string;
  incidentId: string;
  runbookId: string;
  proposer: string;
  createdAt: number;
  expiresAt: number;
  target: string;
  params: ResolvedParams;
  plan: Plan;
  planHash: string;
  state: ProposalState;
  approvals: Approval[];
  dryRunAt: number | null;
  rejectedBy: string | null;
  outcome: ExecutionOutcome | null;
  verification: VerificationOutcome | null;
}

/** Who is acting in chat: a Slack user id and the user groups they belong to. */
export interface Actor {
  userId: string;
  groups: readonly string[];
}
