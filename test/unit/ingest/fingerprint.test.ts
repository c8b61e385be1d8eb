import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { labelFingerprint, stableId } from '../../../src/ingest/fingerprint.js';

// Reference FNV-1a 64 with BigInt over real UTF-8 bytes, to check the two-halves implementation.
function referenceFnv(parts: string[]): string {
  let h = 0xcbf29ce484222325n;
  const feed = (b: number): void => {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  };
  for (const part of parts) {
    for (const b of Buffer.from(part, 'utf8')) feed(b);
    feed(0xff);
  }
  return h.toString(16).padStart(16, '0');
}

const labelSets = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 20 }), { maxKeys: 8 });

describe('labelFingerprint', () => {
  it('is 16 lowercase hex characters', () => {
    expect(labelFingerprint({ alertname: 'HighErrorRate', service: 'checkout' })).toMatch(/^[0-9a-f]{16}$/);
  });

  it('matches the documented FNV-1a 64 over sorted name/value pairs', () => {
    expect(labelFingerprint({ service: 'checkout', alertname: 'HighErrorRate' })).toBe(
      referenceFnv(['alertname', 'HighErrorRate', 'service', 'checkout']),
    );
    expect(labelFingerprint({})).toBe('cbf29ce484222325'); // the FNV offset basis: nothing hashed
  });

  it('does not depend on the order labels are given in (property)', () => {
    fc.assert(
      fc.property(labelSets, fc.integer(), (labels, seed) => {
        const entries = Object.entries(labels);
        // A deterministic shuffle driven by the generated seed.
        const shuffled = entries
          .map((e, i) => ({ e, k: Math.imul(i + 1, seed | 1) >>> 0 }))
          .sort((a, b) => a.k - b.k)
          .map((x) => x.e);
        expect(labelFingerprint(Object.fromEntries(shuffled))).toBe(labelFingerprint(labels));
      }),
    );
  });

  it('equals the BigInt reference for any unicode label set (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'grapheme', minLength: 1 }), fc.string({ unit: 'grapheme' }), { maxKeys: 5 }), (labels) => {
        const parts = Object.keys(labels)
          .sort()
          .flatMap((k) => [k, labels[k]!]);
        expect(labelFingerprint(labels)).toBe(referenceFnv(parts));
      }),
    );
  });

  it('tells apart label sets that differ only in where a boundary falls', () => {
    expect(labelFingerprint({ a: 'bc' })).not.toBe(labelFingerprint({ ab: 'c' }));
    expect(labelFingerprint({ job: 'api', env: 'prod' })).not.toBe(labelFingerprint({ job: 'api', env: 'staging' }));
  });
});

describe('stableId', () => {
  it('separates parts so that moving a boundary changes the id', () => {
    expect(stableId(['ab', 'c'])).not.toBe(stableId(['a', 'bc']));
    expect(stableId(['payments', 'v1', '1'])).toBe(referenceFnv(['payments', 'v1', '1']));
  });
});
