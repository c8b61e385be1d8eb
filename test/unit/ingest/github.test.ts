import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { changeId } from '../../../src/ingest/deploy.js';
import { githubSource, verifyGitHubSignature } from '../../../src/ingest/github.js';
import { changesOf, context, issuesOf, payload, rawPayload } from './payload-fixture.js';

describe('githubSource', () => {
  it('turns a successful deployment_status into a Change named by payload.service', () => {
    const at = Date.parse('2026-11-24T00:40:12Z');
    expect(changesOf(githubSource.parse(payload('github', 'success-payload-service.json'), context()))).toEqual([
      {
        id: changeId('payments', 'v1.42.0', at),
        service: 'payments',
        version: 'v1.42.0',
        previousVersion: null,
        environment: 'production',
        at,
        author: 'jane-doe',
        source: 'github',
      },
    ]);
  });

  it('names the service by the repository when the payload does not', () => {
    const [change] = changesOf(githubSource.parse(payload('github', 'success-repository-name.json'), context()));
    expect(change).toMatchObject({ service: 'payments-service', version: 'main', environment: 'staging', at: Date.parse('2026-11-24T00:20:00Z') });
  });

  it('reads a payload sent as a JSON string, and falls back to the sha without a ref', () => {
    const body = payload('github', 'success-repository-name.json');
    body.deployment.payload = '{"service":"ledger"}';
    body.deployment.ref = '';
    const [change] = changesOf(githubSource.parse(body, context()));
    expect(change).toMatchObject({ service: 'ledger', version: '0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e' });
  });

  it('records a failed rollout as a change marked failed, and ignores statuses that end nothing', () => {
    // "Deployment failed: rollout timed out": part of v1.42.0 may be serving.
    const [failed] = changesOf(githubSource.parse(payload('github', 'failure.json'), context()));
    expect(failed).toMatchObject({ service: 'payments', version: 'v1.42.0', environment: 'production', failed: true, source: 'github' });
    const errored = payload('github', 'failure.json');
    errored.deployment_status.state = 'error';
    expect(changesOf(githubSource.parse(errored, context()))[0]).toMatchObject({ version: 'v1.42.0', failed: true });
    expect(changesOf(githubSource.parse(payload('github', 'success-payload-service.json'), context()))[0]!.failed).toBeUndefined();
    for (const state of ['in_progress', 'queued', 'pending', 'inactive']) {
      const body = payload('github', 'in-progress.json');
      body.deployment_status.state = state;
      const result = githubSource.parse(body, context());
      expect(changesOf(result)).toEqual([]);
      expect(result.ok && result.accepted).toBe(0);
    }
  });

  it('rejects a body that is not a deployment_status event, naming the fields', () => {
    expect(issuesOf(githubSource.parse({ action: 'opened', pull_request: {} }, context())).map((i) => i.path)).toEqual([
      'deployment_status',
      'deployment',
      'repository',
    ]);
  });
});

describe('verifyGitHubSignature', () => {
  const body = rawPayload('github', 'success-payload-service.json');
  const sign = (secret: string, bytes: Buffer = body): string => `sha256=${createHmac('sha256', secret).update(bytes).digest('hex')}`;

  it('accepts a valid signature', () => {
    expect(verifyGitHubSignature(body, sign('gh-secret'), 'gh-secret')).toBe(true);
  });

  it('rejects a wrong secret, a missing or malformed header, and an empty secret', () => {
    expect(verifyGitHubSignature(body, sign('other'), 'gh-secret')).toBe(false);
    expect(verifyGitHubSignature(body, undefined, 'gh-secret')).toBe(false);
    expect(verifyGitHubSignature(body, sign('gh-secret').replace('sha256=', 'sha1='), 'gh-secret')).toBe(false);
    expect(verifyGitHubSignature(body, 'sha256=zz', 'gh-secret')).toBe(false);
    expect(verifyGitHubSignature(body, sign(''), '')).toBe(false);
  });

  it('rejects a tampered body', () => {
    const tampered = Buffer.concat([body, Buffer.from(' ')]);
    expect(verifyGitHubSignature(tampered, sign('gh-secret'), 'gh-secret')).toBe(false);
  });
});
