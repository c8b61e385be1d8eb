// The `rcabot` command as users and external tests run it: a real process, stdout/stderr and exit codes.
import { describe, it, expect, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteKeys, newTestRedis, testRedisUrl, uniquePrefix } from '../../support/redis.js';
import { generateScenario } from '../../../bench/scenarios/scenario-generator.js';

const tsx = join('node_modules', '.bin', 'tsx');
const prefix = uniquePrefix('cli');
const redis = newTestRedis();
const tmp = mkdtempSync(join(tmpdir(), 'rcabot-cli-'));

afterAll(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
});

function rcabot(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(tsx, ['src/cli.ts', ...args], { env: { ...process.env, REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix, ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const demo = 'fixtures/scenarios/checkout-db-outage';

describe('rcabot replay', () => {
  it('prints exactly one JSON document in the contract shape with --json', async () => {
    const r = await rcabot(['replay', `${demo}/events.ndjson`, '--history', `${demo}/history.json`, '--runbooks', 'runbooks', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { incidents: Array<Record<string, unknown>> };
    expect(Object.keys(doc)).toEqual(['incidents']);
    const inc = doc.incidents.find((i) => (i.services as string[]).includes('orders'))!;
    expect(Object.keys(inc).sort()).toEqual(['alerts', 'id', 'openedAt', 'remediations', 'rootCauses', 'services', 'similarIncidents', 'status', 'title']);
    expect((inc.rootCauses as Array<{ service: string }>)[0]!.service).toBe('orders-db');
    expect((inc.similarIncidents as Array<{ id: string }>)[0]!.id).toBe('INC-1042');
    // The root cause is a database seen only as a trace peer: no Deployment runbook applies to it, the database
    // failover does (and fixed INC-1042, which the evidence says).
    expect(inc.remediations).toEqual([{ runbook: 'failover-database', action: 'http', target: 'https://dbops.example.com/api/v1/databases/orders-db/failover' }]);
    const history = (inc.rootCauses as Array<{ evidence: Array<{ kind: string; detail: string }> }>)[0]!.evidence.find((e) => e.kind === 'history');
    expect(history?.detail).toBe('matches INC-1042 (0.57); root cause was orders-db, fixed with failover-database on orders-db');
    // A certificate about to expire is not something a restart mends: no runbook for that incident.
    const cert = doc.incidents.find((i) => (i.title as string).startsWith('CertManagerCertExpirySoon'))!;
    expect(cert.remediations).toEqual([]);
  }, 60_000);

  it("names a canary's new version from the spans' service.version when no deploy was reported (decision 026)", async () => {
    // A generated canary release: subscriptions' new version, on a pod of its own, breaks wishlist-reader, which it
    // calls; no deploy hook reported it. Without versions, wishlist-reader (whose own spans fail) was ranked first.
    const scenario = generateScenario('canary-release', 26, { size: 16, tracesPerMinute: 40 });
    const root = scenario.truth.incidents[0]!.rootCause;
    expect(root).toBe('subscriptions');
    expect(scenario.events.some((l) => /"type":"(deploy|github\.deployment_status|argocd)"/.test(l) && l.includes('"subscriptions"'))).toBe(false);
    const file = join(tmp, 'canary.ndjson');
    writeFileSync(file, scenario.events.join('\n') + '\n');
    const r = await rcabot(['replay', file, '--runbooks', 'runbooks', '--json']);
    expect(r.code).toBe(0);
    const { incidents } = JSON.parse(r.stdout) as {
      incidents: Array<{ alerts: string[]; rootCauses: Array<{ service: string; evidence: Array<{ kind: string; detail: string }> }>; remediations: Array<{ runbook: string; action: string; target: string }> }>;
    };
    const incident = incidents.find((i) => scenario.truth.incidents[0]!.alerts.every((a) => i.alerts.includes(a)))!;
    expect(incident.rootCauses.map((c) => c.service).slice(0, 2)).toEqual(['subscriptions', 'wishlist-reader']);
    const version = incident.rootCauses[0]!.evidence.find((e) => e.kind === 'version')!.detail;
    expect(version).toMatch(/^subscriptions: version v\S+, serving since \d\d:\d\d, fails \d+% of its \d+ spans; v\S+ beside it fails \d+% of \d+ spans in the same minutes/);
    // The new version is a deploy the traces saw: rolling it back is offered, though no deploy was reported.
    expect(incident.remediations[0]).toEqual({ runbook: 'rollback-deployment', action: 'kubernetes.rollback', target: 'deployment/production/subscriptions' });
  }, 60_000);

  it('reports a malformed line and an unknown type with their line numbers and keeps the rest', async () => {
    const file = join(tmp, 'mixed.ndjson');
    const alert = { type: 'alert', receivedAt: '2026-10-14T09:00:00Z', payload: { name: 'HighErrorRate', service: 'checkout', startsAt: '2026-10-14T09:00:00Z' } };
    writeFileSync(file, [JSON.stringify(alert), '{not json', JSON.stringify({ type: 'nagios', receivedAt: '2026-10-14T09:00:01Z', payload: {} })].join('\n'));
    const r = await rcabot(['replay', file, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/line 2: invalid JSON/);
    expect(r.stderr).toMatch(/line 3: unknown type "nagios"/);
    const doc = JSON.parse(r.stdout) as { incidents: Array<{ services: string[] }> };
    expect(doc.incidents.map((i) => i.services)).toEqual([['checkout']]);
  }, 60_000);

  it('analyses as of --at, ignoring later events', async () => {
    const r = await rcabot(['replay', `${demo}/events.ndjson`, '--at', '2026-10-14T09:00:00Z', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { incidents: Array<{ services: string[] }> };
    expect(doc.incidents.some((i) => i.services.includes('orders'))).toBe(false);
  }, 60_000);

  it('takes a service catalog (--catalog): declared dependencies join the graph, group alerts and become candidates', async () => {
    const events = join(tmp, 'catalog-events.ndjson');
    const alertAt = (name: string, service: string, t: string) => JSON.stringify({ type: 'alert', receivedAt: t, payload: { name, service, startsAt: t } });
    writeFileSync(events, [alertAt('HighLatency', 'checkout', '2026-10-14T09:00:00Z'), alertAt('HighErrorRate', 'cart', '2026-10-14T09:00:20Z')].join('\n'));
    const catalog = join(tmp, 'catalog-info.yaml');
    const entity = (kind: string, name: string, dependsOn?: string[]) =>
      `apiVersion: backstage.io/v1alpha1\nkind: ${kind}\nmetadata: { name: ${name} }\nspec: { type: x${dependsOn ? `, dependsOn: [${dependsOn.map((d) => `'${d}'`).join(', ')}]` : ''} }\n`;
    writeFileSync(catalog, [entity('Component', 'checkout', ['resource:default/payments-db']), entity('Component', 'cart', ['resource:payments-db']), entity('Resource', 'payments-db')].join('---\n'));
    type Doc = { incidents: Array<{ services: string[]; rootCauses: Array<{ service: string }> }> };
    // Without any topology, onsets 20 s apart are all that relates the two alerts (decision 021): one incident, the
    // first to alert first, and nothing below them to suspect.
    const without = JSON.parse((await rcabot(['replay', events, '--at', '2026-10-14T09:05:00Z', '--json'])).stdout) as Doc;
    expect(without.incidents.map((i) => i.services)).toEqual([['cart', 'checkout']]);
    expect(without.incidents[0]!.rootCauses.map((c) => c.service)).toEqual(['checkout', 'cart']);
    const r = await rcabot(['replay', events, '--catalog', catalog, '--at', '2026-10-14T09:05:00Z', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Doc;
    // Two callers of one declared database belong together, and the database is a candidate.
    expect(doc.incidents.map((i) => i.services)).toEqual([['cart', 'checkout']]);
    expect(doc.incidents[0]!.rootCauses.map((c) => c.service)).toContain('payments-db');

    writeFileSync(catalog, `${entity('Component', 'checkout')}---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: '' }\n`);
    const bad = await rcabot(['replay', events, '--catalog', catalog]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(`${catalog}: document 2: metadata.name: must not be empty`);
  }, 60_000);

  it('fails with one line and a non-zero code for unreadable input', async () => {
    const r = await rcabot(['replay', join(tmp, 'missing.ndjson')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot read .*missing\.ndjson: ENOENT/);
    const bad = await rcabot(['replay', `${demo}/events.ndjson`, '--at', 'yesterday']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/expected an ISO time/);
  }, 60_000);
});

describe('rcabot history and audit', () => {
  it('imports history into Redis, idempotently, and rejects an invalid file with the field', async () => {
    const first = await rcabot(['history', 'import', `${demo}/history.json`]);
    expect(first.code).toBe(0);
    const n = Number(/imported (\d+)/.exec(first.stdout)![1]);
    expect(n).toBeGreaterThan(0);
    expect(await redis.hlen(`${prefix}history:incidents`)).toBe(n);
    const bad = join(tmp, 'bad-history.json');
    writeFileSync(bad, '{"not": "an array"}');
    const r = await rcabot(['history', 'import', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/JSON array/);
  }, 60_000);

  it('verifies an empty audit log as intact', async () => {
    const r = await rcabot(['audit', 'verify']);
    expect(r.stdout).toMatch(/audit log intact: 0 entries/);
    expect(r.code).toBe(0);
  }, 60_000);
});
