import { describe, expect, it } from 'vitest';
import type { webApi } from '@slack/bolt';
import { UserGroupDirectory } from '../../../src/slack/user-group-directory.js';

/** A WebClient stand-in answering usergroups.users.list from a table, counting calls. */
function stubClient(groups: Record<string, string[] | Error>): { client: webApi.WebClient; calls: string[] } {
  const calls: string[] = [];
  const client = {
    usergroups: {
      users: {
        list: async ({ usergroup }: { usergroup: string }) => {
          calls.push(usergroup);
          const g = groups[usergroup];
          if (g instanceof Error) throw g;
          return { ok: true, users: g ?? [] };
        },
      },
    },
  } as unknown as webApi.WebClient;
  return { client, calls };
}

function platformError(error: string): Error {
  return Object.assign(new Error(`An API error occurred: ${error}`), { code: 'slack_webapi_platform_error', data: { ok: false, error } });
}

describe('UserGroupDirectory', () => {
  it('names the groups a user is in, among those asked about', async () => {
    const { client } = stubClient({ S1: ['UA', 'UB'], S2: ['UB'] });
    const d = new UserGroupDirectory(client, ['S1', 'S2'], () => 0);
    expect(await d.membership('UA')).toEqual({ groups: ['S1'], unreadable: [] });
    expect(await d.membership('UB')).toEqual({ groups: ['S1', 'S2'], unreadable: [] });
    expect(await d.membership('UZ')).toEqual({ groups: [], unreadable: [] });
  });

  it('reports a group it cannot read (missing scope) instead of failing', async () => {
    const { client } = stubClient({ S1: platformError('missing_scope'), S2: ['UA'] });
    const d = new UserGroupDirectory(client, ['S1', 'S2'], () => 0);
    expect(await d.membership('UA')).toEqual({ groups: ['S2'], unreadable: [{ group: 'S1', error: 'missing_scope' }] });
  });

  it('asks Slack once per group per TTL, even for concurrent clicks', async () => {
    const { client, calls } = stubClient({ S1: ['UA'] });
    let now = 0;
    const d = new UserGroupDirectory(client, ['S1'], () => now, 60_000);
    await Promise.all(Array.from({ length: 10 }, () => d.membership('UA')));
    expect(calls).toEqual(['S1']);
    now = 59_999;
    await d.membership('UB');
    expect(calls).toEqual(['S1']);
    now = 60_000;
    await d.membership('UB');
    expect(calls).toEqual(['S1', 'S1']);
  });
});
