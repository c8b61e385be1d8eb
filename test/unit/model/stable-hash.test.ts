import { describe, it, expect } from 'vitest';
import { stableHash } from '../../../src/model/stable-hash.js';

describe('stableHash (FNV-1a 64)', () => {
  it('matches the published FNV-1a 64 test vectors, over UTF-8 bytes', () => {
    expect(stableHash('')).toBe('cbf29ce484222325');
    expect(stableHash('a')).toBe('af63dc4c8601ec8c');
    expect(stableHash('foobar')).toBe('85944171f73967e8');
    // "é" is the two UTF-8 bytes c3 a9, so it hashes like those bytes, not like its UTF-16 code unit.
    expect(stableHash('é')).not.toBe(stableHash('\u00e9'.normalize('NFD')));
  });
});
