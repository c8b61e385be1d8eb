// Button payloads carry an opaque id, never data the server trusts: the id names an ActionRef the server
// stored itself when it rendered the button. A forged or expired id resolves to nothing.
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { stableHash } from '../model/stable-hash.js';
import { slackKeys } from './slack-keys.js';

export const ACTION_IDS = {
  confirmRootCause: 'rca_confirm_root_cause',
  notIt: 'rca_not_it',
  /** Hook for the remediation layer: the button's ref names the incident and the runbook. */
  proposeRunbook: 'rca_propose_runbook',
  /** Remediation proposal buttons: their value is the proposal id itself (nothing else). */
  approveProposal: 'rca_approve_proposal',
  rejectProposal: 'rca_reject_proposal',
  dryRunProposal: 'rca_dry_run_proposal',
} as const;

export const VIEW_IDS = {
  realCause: 'rca_real_cause',
} as const;

/** Block and action ids of the "Not it" modal's inputs. */
export const REAL_CAUSE_INPUTS = {
  selectBlock: 'real_cause_select',
  selectAction: 'real_cause_select',
  typedBlock: 'real_cause_typed',
  typedAction: 'real_cause_typed',
} as const;

export const ActionRefSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('suspect'), incidentId: z.string().min(1), service: z.string().min(1) }),
  z.object({ kind: z.literal('incident'), incidentId: z.string().min(1) }),
  z.object({ kind: z.literal('runbook'), incidentId: z.string().min(1), runbook: z.string().min(1), target: z.string() }),
]);
export type ActionRef = z.infer<typeof ActionRefSchema>;

/** Collects the refs a render uses; ids are deterministic, so re-rendering the same message reuses them. */
export class ActionRefs {
  private readonly byId = new Map<string, ActionRef>();

  add(ref: ActionRef): string {
    const id = `r${stableHash(JSON.stringify(ref))}`;
    this.byId.set(id, ref);
    return id;
  }

  entries(): Array<[string, ActionRef]> {
    return [...this.byId];
  }
}

/** Refs live as long as the incident could still be clicked on (a week), refreshed on every save. */
const REF_TTL_SECONDS = 7 * 24 * 3600;

export class ActionRefStore {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = slackKeys(prefix).actionRefs;
  }

  async save(refs: ActionRefs): Promise<void> {
    const entries = refs.entries();
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    pipeline.hset(this.key, ...entries.flatMap(([id, ref]) => [id, JSON.stringify(ref)]));
    pipeline.expire(this.key, REF_TTL_SECONDS);
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0];
  }

  /** The ref behind an id from a payload, or null for anything the server did not store. */
  async resolve(id: unknown): Promise<ActionRef | null> {
    if (typeof id !== 'string' || !/^r[0-9a-f]{16}$/.test(id)) return null;
    const raw = await this.redis.hget(this.key, id);
    if (raw === null) return null;
    const parsed = ActionRefSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }
}
