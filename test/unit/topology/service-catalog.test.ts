import { describe, expect, it } from 'vitest';
import { entityRefName, parseServiceCatalog } from '../../../src/topology/service-catalog.js';

describe('parseServiceCatalog', () => {
  it('reads Backstage entities: dependsOn refs by name, entities without dependencies add nothing', () => {
    const r = parseServiceCatalog([
      { apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'checkout', annotations: { a: 'b' } }, spec: { type: 'service', dependsOn: ['component:orders', 'resource:default/orders-db', 'queue'] } },
      { apiVersion: 'backstage.io/v1alpha1', kind: 'Resource', metadata: { name: 'orders-db' }, spec: { type: 'database' } },
      null,
    ]);
    expect(r).toEqual({ dependencies: [{ service: 'checkout', dependsOn: ['orders', 'orders-db', 'queue'] }] });
  });

  it('reads the plain list', () => {
    expect(parseServiceCatalog([{ services: [{ name: 'cart', dependsOn: ['redis'] }, { name: 'edge' }] }])).toEqual({
      dependencies: [
        { service: 'cart', dependsOn: ['redis'] },
        { service: 'edge', dependsOn: [] },
      ],
    });
  });

  it('names the document and field of every problem', () => {
    const r = parseServiceCatalog([
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' } },
      { services: [{ name: 'a', dependsOn: 'b' }, { name: 'c', depends: ['d'] }] },
    ]);
    expect('issues' in r && r.issues.map((i) => `${i.document}:${i.path}`)).toEqual(['0:apiVersion', '1:services.0.dependsOn', '1:services.1']);
  });

  it('entityRefName keeps only the name of a ref', () => {
    expect(['component:default/a', 'resource:b', 'ns/c', 'd'].map(entityRefName)).toEqual(['a', 'b', 'c', 'd']);
  });
});
