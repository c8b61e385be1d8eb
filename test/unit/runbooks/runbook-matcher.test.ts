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

  it('counts a new version failing beside the old one as a recent deploy, reported or not (decision 026)', () => {
    const canary: MatchableIncident = {
      services: ['checkout', 'frontend'],
      alertNames: ['HighErrorRate'],
      rootCauses: [{ service: 'checkout', score: 0.8, evidence: [{ kind: 'version', detail: 'checkout: version v2.14.1 fails 60% of its 50 spans; v2.14.0 beside it 1%' }] }],
    };
    expect(suggestRemediations(canary, shipped).map((s) => s.runbook)).toEqual(['rollback-deployment', 'sync-argocd-application']);
    const sameWithoutSplit: MatchableIncident = { ...canary, rootCauses: [{ service: 'checkout', score: 0.8, evidence: [{ kind: 'traces', detail: 'fails' }] }] };
    expect(suggestRemediations(sameWithoutSplit, shipped).map((s) => s.runbook)).not.toContain('rollback-deployment');
    // Its versions are not deploy facts: a runbook that needs the previous version still waits for a reported deploy.
    const byVersion = rb({ match: { categories: ['recent-deploy'] }, action: { type: 'http', method: 'POST', url: 'https://ci.example/job/{svc}/deploy?version={prev}', params: { svc: { from: 'deploy.service' }, prev: { from: 'deploy.previousVersion', pattern: '^v[0-9.]+$' } } } });
    expect(suggestRemediations(canary, [byVersion])).toEqual([]);
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

  it('suggests a runbook only for incidents whose alerts say what its match.signals asks for', () => {
    const certOnly: MatchableIncident = {
      services: ['cart'],
      alertNames: ['CertManagerCertExpirySoon'],
      rootCauses: [{ service: 'cart', score: 0.5, evidence: [{ kind: 'alerts', detail: '1 alert' }] }],
      alertSignals: ['local'],
    };
    // The shipped restart mends something failing now, not a certificate about to expire.
    expect(suggestRemediations(certOnly, shipped)).toEqual([]);
    expect(suggestRemediations({ ...certOnly, alertSignals: ['local', 'failure'] }, shipped).map((s) => s.runbook)).toEqual(['restart-deployment']);
    // A runbook that says nothing about signals (the default: any) is still suggested, as before the field existed.
    const renew = rb({ id: 'renew-certificate', match: { alertNames: ['Cert*'] } });
    expect(suggestRemediations(certOnly, [renew]).map((s) => s.runbook)).toEqual(['renew-certificate']);
    expect(suggestRemediations(certOnly, [rb({ id: 'renew-certificate', match: { alertNames: ['Cert*'], signals: ['failure'] } })])).toEqual([]);
    const traffic = rb({ match: { signals: ['traffic'] } });
    expect(suggestRemediations({ ...certOnly, alertSignals: ['traffic'] }, [traffic])).toHaveLength(1);
    expect(suggestRemediations({ ...certOnly, alertSignals: ['failure'] }, [traffic])).toHaveLength(0);
  });

  it('puts first the runbooks that fixed similar incidents of the same root cause, the most similar first', () => {
    const inc: MatchableIncident = {
      services: ['payments'],
      alertNames: ['HighLatencyP99'],
      rootCauses: [{ service: 'payments', score: 0.8, evidence: [{ kind: 'traces', detail: 'slow' }] }],
      alertSignals: ['failure'],
    };
    expect(suggestRemediations(inc, shipped).map((s) => s.runbook)).toEqual(['restart-deployment', 'scale-deployment']);
    expect(suggestRemediations({ ...inc, fixedBefore: ['scale-deployment'] }, shipped).map((s) => s.runbook)).toEqual(['scale-deployment', 'restart-deployment']);
    expect(suggestRemediations({ ...inc, fixedBefore: ['restart-deployment', 'scale-deployment'] }, shipped).map((s) => s.runbook)).toEqual([
      'restart-deployment',
      'scale-deployment',
    ]);
    // What fixed it last time is not suggested when its own match turns this incident down (a rollback, no deploy now).
    expect(suggestRemediations({ ...inc, fixedBefore: ['rollback-deployment'] }, shipped).map((s) => s.runbook)).toEqual(['restart-deployment', 'scale-deployment']);
  });

  it('globs', () => {
    expect(globMatches('*', 'anything')).toBe(true);
    expect(globMatches('api-?', 'api-1')).toBe(true);
    expect(globMatches('api.*', 'apix')).toBe(false);
  });
});
