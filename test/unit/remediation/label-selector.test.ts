import { describe, expect, it } from 'vitest';
import { labelSelectorQuery } from '../../../src/remediation/executors/label-selector.js';

describe('labelSelectorQuery', () => {
  it('writes matchLabels and every matchExpressions operator in the API server syntax', () => {
    expect(labelSelectorQuery({ matchLabels: { app: 'cart', tier: 'web' } })).toBe('app=cart,tier=web');
    expect(
      labelSelectorQuery({
        matchLabels: { app: 'cart' },
        matchExpressions: [
          { key: 'track', operator: 'In', values: ['stable', 'canary'] },
          { key: 'env', operator: 'NotIn', values: ['dev'] },
          { key: 'owner', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app=cart,track in (canary,stable),env notin (dev),owner,!legacy');
    expect(labelSelectorQuery({})).toBe('');
  });
});
