// Expected outcomes at the remediation boundary: a value, or a refusal with a reason a person can act on.

export type RefusalCode =
  | 'unknown-proposal'
  | 'unknown-runbook'
  | 'unknown-incident'
  | 'stale-plan'
  | 'not-authorised'
  | 'proposer-may-not-approve'
  | 'already-approved-by-you'
  | 'expired'
  | 'wrong-state'
  | 'automation-paused'
  | 'rate-limited'
  | 'guardrail'
  | 'dry-run-required'
  | 'unresolvable-params'
  | 'plan-failed';

export interface Refusal {
  ok: false;
  code: RefusalCode;
  reason: string;
}

export type Result<T> = { ok: true; value: T } | Refusal;

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function refuse(code: RefusalCode, reason: string): Refusal {
  return { ok: false, code, reason };
}
