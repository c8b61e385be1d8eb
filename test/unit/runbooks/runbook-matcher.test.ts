import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadRunbooks } from '../../../src/runbooks/runbook-loader.js';
import { globMatches, suggestRemediations, type MatchableIncident } from '../../../src/runbooks/runbook-matcher.js';
import { parseRunbook } from '../../../src/runbooks/runbook-loader.js';
import type { Runbook } from '../../../src/runbooks/runbook-schema.js';

const shipped = loadRunbooks(join(import.meta.dirname, '../../../runbooks'));

function rb(doc: Record<string, unknown>): Runbook {
  const r = parseRunbook('t.yaml', {
    id: 'r',
    title: 't',
    description: 'd',
    action: { type: 'kubernetes.restart', params: { namespace: { value: 'production' }, deployment: { from: 'rootCause.service' } } },
    approval: { users: ['U1'] },
    ...doc,
  });
  if ('issues' in r) throw new Error(JSON.stringify(r.issues));
  return r.runbook;
}

const deployIncident: MatchableIncident = {
  services: ['checkout', 'frontend'],
  alertNames: ['HighErrorRate'],
  rootCauses: [
    { service: 'checkout', score: 0.9, evidence: [{ kind: 'deploy', detail: 'v2 deployed 3m before' }] },
    { service: 'frontend', score: 0.3, evidence: [] },
  ],
};

describe('suggestRemediations', () => {
  it('suggests rollback and Argo CD sync for a recent deploy, with targets from the top root cause', () => {
    expect(suggestRemediations(deployIncident, shipped)).toEqual([
      { runbook: 'rollback-deployment', action: 'kubernetes.rollback', target: 'deployment/production/checkout' },
      { runbook: 'sync-argocd-application', action: 'http', target: 'https://argocd.example.com/api/v1/applications/checkout/sync' },
    ]);
  });

  it('offers no Deployment runbook when the root cause is a database seen only as a trace peer, unless a runbook asks for that kind', () => {
    const inc: MatchableIncident = {
      services: ['orders'],
      alertNames: ['HighErrorRate'],
      rootCauses: [{ service: 'orders-db', score: 0.7, evidence: [{ kind: 'traces', detail: 'calls fail' }] }],
      rootCauseKind: 'database',
    };
    expect(suggestRemediations(inc, shipped)).toEqual([]);
    const failover = rb({ id: 'db-failover', match: { kinds: ['database'] } });
    expect(suggestRemediations(inc, [...shipped, failover]).map((s) => s.runbook)).toEqual(['db-failover']);
    expect(suggestRemediations({ ...inc, rootCauseKind: 'service' }, [failover])).toEqual([]);
  });

  it('suggests restart and scale when there was no deploy and latency alerts fire', () => {
    const inc: MatchableIncident = {
      services: ['payments'],
      alertNames: ['HighLatencyP99'],
      rootCauses: [{ service: 'payments', score: 0.8, evidence: [{ kind: 'traces', detail: 'slow' }] }],
    };
    expect(suggestRemediations(inc, shipped).map((s) => s.runbook)).toEqual(['restart-deployment', 'scale-deployment']);
  });

  it('a recent deploy passed in (not only as evidence) counts, and deploy fields resolve', () => {
    const inc: MatchableIncident = { services: ['cart'], alertNames: ['X'], rootCauses: [{ service: 'cart', score: 1, evidence: [] }], recentDeploys: [{ service: 'cart', version: 'v7', previousVersion: 'v6', environment: 'prod', at: 5 }] };
    const byVersion = rb({ match: { categories: ['recent-deploy'] }, action: { type: 'http', method: 'POST', url: 'https://ci.example/job/{svc}/deploy?version={prev}', params: { svc: { from: 'deploy.service' }, prev: { from: 'deploy.previousVersion', pattern: '^v[0-9]+$' } } } });
    expect(suggestRemediations(inc, [byVersion])).toEqual([{ runbook: 'r', action: 'http', target: 'https://ci.example/job/cart/deploy?version=v6' }]);
    expect(suggestRemediations({ ...inc, recentDeploys: [] }, [byVersion])).toEqual([]);
  });

  it('service and alert-name globs must both match', () => {
    const r = rb({ match: { services: ['check*'], alertNames: ['High*Rate'] } });
    expect(suggestRemediations(deployIncident, [r])).toHaveLength(1);
    expect(suggestRemediations({ ...deployIncident, alertNames: ['Other'] }, [r])).toHaveLength(0);
    expect(suggestRemediations({ ...deployIncident, rootCauses: [{ service: 'db', score: 1, evidence: [] }] }, [r])).toHaveLength(0);
  });

  it('never suggests when the incident value is not a safe name, or the target is outside the guardrails', () => {
    const hostile: MatchableIncident = { ...deployIncident, rootCauses: [{ service: '../../etc', score: 1, evidence: [] }] };
    expect(suggestRemediations(hostile, [rb({})])).toEqual([]);
    const guarded = rb({ action: { type: 'kubernetes.restart', params: { namespace: { from: 'rootCause.service' }, deployment: { from: 'rootCause.service' } } }, guardrails: { namespaces: ['production'] } });
    expect(suggestRemediations(deployIncident, [guarded])).toEqual([]);
  });

  it('suggests nothing without a root cause, and never an undo-only runbook', () => {
    expect(suggestRemediations({ services: [], alertNames: [], rootCauses: [] }, shipped)).toEqual([]);
    expect(suggestRemediations(deployIncident, shipped).map((s) => s.runbook)).not.toContain('scale-deployment-back');
  });

  it('globs', () => {
    expect(globMatches('*', 'anything')).toBe(true);
    expect(globMatches('api-?', 'api-1')).toBe(true);
    expect(globMatches('api.*', 'apix')).toBe(false);
  });
});
