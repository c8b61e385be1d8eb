import { describe, expect, it } from 'vitest';
import { changeId, deploySource } from '../../../src/ingest/deploy.js';
import { changesOf, context, issuesOf, payload } from './payload-fixture.js';

const AT = Date.parse('2026-11-24T00:40:12Z');

describe('deploySource', () => {
  it('normalises the CONTRACT §1 deploy body into a Change', () => {
    expect(changesOf(deploySource.parse(payload('deploy', 'payments-v1.42.0.json'), context()))).toEqual([
      {
        id: changeId('payments', 'v1.42.0', AT),
        service: 'payments',
        version: 'v1.42.0',
        previousVersion: 'v1.41.2',
        environment: 'prod',
        at: AT,
        author: 'jane.doe',
        source: 'deploy',
      },
    ]);
  });

  it('gives the same id to the same deploy whatever the time notation, and a new id to another', () => {
    const a = changesOf(deploySource.parse({ service: 's', version: '1', timestamp: '2026-11-24T00:40:12Z' }, context()))[0]!;
    const b = changesOf(deploySource.parse({ service: 's', version: '1', timestamp: '2026-11-24T01:40:12+01:00' }, context()))[0]!;
    const c = changesOf(deploySource.parse({ service: 's', version: '1', timestamp: 1795480812 }, context()))[0]!;
    const d = changesOf(deploySource.parse({ service: 's', version: '2', timestamp: '2026-11-24T00:40:12Z' }, context()))[0]!;
    expect(b.id).toBe(a.id);
    expect(c.id).toBe(a.id);
    expect(d.id).not.toBe(a.id);
    expect(a).toMatchObject({ previousVersion: null, environment: null, author: null });
  });

  it('rejects missing and mistyped fields, naming each', () => {
    expect(issuesOf(deploySource.parse({ service: '', version: 3 }, context())).map((i) => i.path)).toEqual(['service', 'version', 'timestamp']);
  });
});
