import { describe, expect, it } from 'vitest';
import { argocdSource } from '../../../src/ingest/argocd.js';
import { changeId } from '../../../src/ingest/deploy.js';
import { RECEIVED_AT, changesOf, context, issuesOf, payload } from './payload-fixture.js';

describe('argocdSource', () => {
  it('turns a succeeded sync into a Change with the previous revision from history', () => {
    const at = Date.parse('2026-11-24T00:39:58Z');
    const revision = '4b1e9d0c7a3f2e1d0c9b8a7f6e5d4c3b2a190817';
    expect(changesOf(argocdSource.parse(payload('argocd', 'sync-succeeded.json'), context()))).toEqual([
      {
        id: changeId('orders', revision, at),
        service: 'orders',
        version: revision,
        previousVersion: 'c0ffee1234567890abcdef1234567890abcdef12',
        environment: 'prod',
        at,
        author: 'admin',
        source: 'argocd',
      },
    ]);
  });

  it('keeps a succeeded sync that left the app Degraded, and joins multi-source revisions', () => {
    const [change] = changesOf(argocdSource.parse(payload('argocd', 'multi-source-automated-degraded.json'), context()));
    expect(change).toMatchObject({
      service: 'frontend',
      version: '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b,v2.3.1',
      previousVersion: null,
      environment: null,
      author: null,
      at: Date.parse('2026-11-24T00:42:30Z'),
    });
  });

  it('records a failed sync as a change marked failed, and ignores running operations', () => {
    const [failed] = changesOf(argocdSource.parse(payload('argocd', 'sync-failed.json'), context()));
    // Argo CD's history holds only completed syncs, so the template's previous revision is not what ran before this one.
    expect(failed).toMatchObject({ service: 'orders', version: '4b1e9d0c7a3f2e1d0c9b8a7f6e5d4c3b2a190817', previousVersion: null, failed: true });
    // The revision the operation tried, when the template sends it, names the failed rollout; Error ends one too.
    const tried = { ...payload('argocd', 'sync-failed.json'), operationPhase: 'Error', operationRevision: 'f00dfeed' };
    expect(changesOf(argocdSource.parse(tried, context()))[0]).toMatchObject({ version: 'f00dfeed', failed: true });
    expect(changesOf(argocdSource.parse(payload('argocd', 'sync-succeeded.json'), context()))[0]!.failed).toBeUndefined();
    for (const phase of ['Running', 'Terminating']) {
      const result = argocdSource.parse({ ...payload('argocd', 'sync-running.json'), operationPhase: phase }, context());
      expect(changesOf(result)).toEqual([]);
      expect(result.ok && result.accepted).toBe(0);
    }
  });

  it('uses the service override, and the receipt time when finishedAt is empty', () => {
    const body = { ...payload('argocd', 'sync-succeeded.json'), service: 'orders-api', finishedAt: '' };
    expect(changesOf(argocdSource.parse(body, context()))[0]).toMatchObject({ service: 'orders-api', at: RECEIVED_AT });
  });

  it('rejects a body without app, or a succeeded sync without a revision, naming the field', () => {
    expect(issuesOf(argocdSource.parse({ operationPhase: 'Succeeded', revision: 'abc' }, context())).map((i) => i.path)).toEqual(['app']);
    const body = { ...payload('argocd', 'sync-succeeded.json'), revision: null };
    expect(issuesOf(argocdSource.parse(body, context()))).toEqual([
      { path: 'revision', message: 'revision (or revisions) is required for a succeeded sync' },
    ]);
    const unnamed = { ...payload('argocd', 'sync-failed.json'), revision: null };
    expect(issuesOf(argocdSource.parse(unnamed, context()))).toEqual([{ path: 'revision', message: 'revision (or revisions) is required for a failed sync' }]);
    const late = { ...payload('argocd', 'sync-succeeded.json'), finishedAt: 'now' };
    expect(issuesOf(argocdSource.parse(late, context())).map((i) => i.path)).toEqual(['finishedAt']);
  });
});
