import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadRunbooks, parseRunbook, RunbookLoadError } from '../../../src/runbooks/runbook-loader.js';
import { parseDuration } from '../../../src/runbooks/runbook-schema.js';

const valid = `
id: restart
title: Restart
description: Restart it
action:
  type: kubernetes.restart
  params:
    namespace: { value: production }
    deployment: { from: rootCause.service }
approval:
  groups: [S0ONCALL]
`;

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rcabot-runbooks-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function loadError(dir: string): RunbookLoadError {
  try {
    loadRunbooks(dir);
  } catch (err) {
    if (err instanceof RunbookLoadError) return err;
    throw err;
  }
  throw new Error('expected a RunbookLoadError');
}

describe('runbook loader', () => {
  it('loads the shipped runbooks', () => {
    const rbs = loadRunbooks(join(import.meta.dirname, '../../../runbooks'));
    expect(rbs.map((r) => r.id).sort()).toEqual(['failover-database', 'restart-deployment', 'rollback-deployment', 'scale-deployment', 'scale-deployment-back', 'sync-argocd-application']);
    const rollback = rbs.find((r) => r.id === 'rollback-deployment')!;
    expect(rollback.approval.required).toBe(2);
    expect(rollback.guardrails.requireDryRun).toBe(true);
    expect(rollback.verify.after).toBe(10 * 60_000);
  });

  it('fills defaults', () => {
    const r = parseRunbook('x.yaml', parse(valid));
    if ('issues' in r) throw new Error('invalid');
    expect(r.runbook.approval).toMatchObject({ required: 1, allowProposer: false, expiresAfter: 30 * 60_000 });
    expect(r.runbook.guardrails).toMatchObject({ maxRunsPerTargetPerHour: 3, requireDryRun: false });
    expect(r.runbook.match).toMatchObject({ services: ['*'], signals: ['failure', 'traffic', 'local'], suggest: true });
  });

  it('rejects a bad file naming file, field path and reason', () => {
    const dir = dirWith({
      'good.yaml': valid,
      'bad.yaml': valid.replace('deployment: { from: rootCause.service }', 'deployment: { from: alert.labels.pod }').replace('S0ONCALL', 'oncall'),
    });
    const err = loadError(dir);
    const issues = err.issues.map((i) => ({ file: i.file.split('/').pop(), path: i.path }));
    expect(issues).toContainEqual({ file: 'bad.yaml', path: 'action.params.deployment.from' });
    expect(issues).toContainEqual({ file: 'bad.yaml', path: 'approval.groups.0' });
    expect(issues.every((i) => i.file === 'bad.yaml')).toBe(true);
    expect(err.message).toContain('bad.yaml: approval.groups.0: a Slack user-group id');
  });

  it('rejects invalid YAML with its line, duplicate ids, unknown undo and missing parameters', () => {
    const dir = dirWith({
      'a.yaml': valid,
      'b.yaml': valid + 'undo: nope\n',
      'c.yaml': 'id: [unclosed\n',
      'd.yaml': valid.replace('id: restart', 'id: other').replace('    namespace: { value: production }\n', ''),
    });
    const messages = loadError(dir).issues.map((i) => `${i.file.split('/').pop()}|${i.path}|${i.message}`);
    expect(messages.some((m) => m.startsWith('b.yaml|id|duplicate id "restart"'))).toBe(true);
    expect(messages.some((m) => m.startsWith('b.yaml|undo|no runbook'))).toBe(true);
    expect(messages.some((m) => m.startsWith('c.yaml||not valid YAML'))).toBe(true);
    expect(messages.some((m) => m.startsWith('d.yaml|action.params.namespace|required parameter'))).toBe(true);
  });

  it('checks HTTP placeholders, guardrail consistency and scale replicas', () => {
    const http = {
      id: 'h',
      title: 't',
      description: 'd',
      action: { type: 'http', method: 'POST', url: 'https://x.example/{app}/{missing}', params: { app: { from: 'rootCause.service' } } },
      approval: { users: ['U1'] },
      guardrails: { environments: ['prod'] },
    };
    const r = parseRunbook('h.yaml', http);
    expect('issues' in r && r.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['action.params.missing', 'action.params.environment']));
    const scale = parseRunbook('s.yaml', {
      id: 's',
      title: 't',
      description: 'd',
      action: { type: 'kubernetes.scale', params: { namespace: { value: 'prod' }, deployment: { value: 'x' }, replicas: { from: 'incident.id' } } },
      approval: { users: ['U1'] },
      guardrails: { namespaces: ['other'] },
    });
    expect('issues' in scale && scale.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['action.params.replicas', 'action.params.namespace']));
  });

  it('reports an unreadable directory', () => {
    expect(loadError('/nonexistent/runbooks').issues[0]!.message).toContain('ENOENT');
  });

  it('parses durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('ten minutes')).toBeNull();
  });
});
