// Which of the runbooks' Slack user groups a user belongs to, for approval checks. Reads `usergroups.users.list`
// (scope usergroups:read) for the groups the runbooks name, cached briefly; a group it cannot read counts as
// "not a member" and is reported, so a refusal can say why instead of silently refusing.
import type { webApi } from '@slack/bolt';

export interface GroupMembership {
  /** Groups (of those asked about) the user is a member of. */
  groups: string[];
  /** Groups whose members could not be read, with Slack's error (e.g. missing_scope). */
  unreadable: Array<{ group: string; error: string }>;
}

interface CachedGroup {
  at: number;
  members: Promise<{ ok: true; users: Set<string> } | { ok: false; error: string }>;
}

/** Short enough that someone added to the on-call group can approve within a minute. */
const DEFAULT_TTL_MS = 60_000;

export class UserGroupDirectory {
  private readonly cache = new Map<string, CachedGroup>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly groupIds: readonly string[],
    private readonly now: () => number,
    private readonly ttlMs = DEFAULT_TTL_MS,
  ) {}

  async membership(userId: string): Promise<GroupMembership> {
    const out: GroupMembership = { groups: [], unreadable: [] };
    const results = await Promise.all(this.groupIds.map(async (g) => [g, await this.members(g)] as const));
    for (const [group, r] of results) {
      if (!r.ok) out.unreadable.push({ group, error: r.error });
      else if (r.users.has(userId)) out.groups.push(group);
    }
    return out;
  }

  /** One request per group per TTL, shared by concurrent clicks (the promise is cached, not the answer). */
  private members(group: string): CachedGroup['members'] {
    const hit = this.cache.get(group);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.members;
    const members = this.client.usergroups.users
      .list({ usergroup: group })
      .then((res) => ({ ok: true as const, users: new Set(res.users ?? []) }))
      .catch((err: unknown) => ({ ok: false as const, error: slackError(err) }));
    this.cache.set(group, { at: this.now(), members });
    return members;
  }
}

function slackError(err: unknown): string {
  const e = err as { code?: string; data?: { error?: string }; message?: string };
  return e.data?.error ?? e.code ?? e.message ?? 'unknown_error';
}
