// FNV-1a 64-bit, the one stable hash of the project: alert fingerprints, change ids, incident ids, digests.
// Offset basis 0xcbf29ce484222325, prime 0x100000001b3, over UTF-8 bytes; output 16 lowercase hex characters.
// The 64-bit product is computed on two 32-bit halves because BigInt arithmetic is ~10x slower and this runs
// once per alert on the ingest hot path. Not cryptographic: for identity, never for security.

const FNV_PRIME_LOW = 0x1b3; // prime = 2^40 + 0x1b3
const TWO_POW_32 = 4294967296;

/** Incremental FNV-1a 64 state as two unsigned 32-bit halves. */
export interface Fnv64 {
  hi: number;
  lo: number;
}

/** One FNV-1a step: (hi:lo ^ byte) * (2^40 + 0x1b3) mod 2^64; the 2^40 term moves lo's low 24 bits into hi. */
export function mixByte(h: Fnv64, byte: number): void {
  const lo = (h.lo ^ byte) >>> 0;
  const lowProduct = lo * FNV_PRIME_LOW; // < 2^41, exact in a double
  h.hi = (h.hi * FNV_PRIME_LOW + Math.floor(lowProduct / TWO_POW_32) + ((lo << 8) >>> 0)) >>> 0;
  h.lo = lowProduct >>> 0;
}

/**
 * Feeds the UTF-8 encoding of `text` without allocating a byte buffer. The step of mixByte is
 * repeated inline on local variables: this loop is most of the cost of fingerprinting an alert.
 */
export function mixString(h: Fnv64, text: string): void {
  let hi = h.hi;
  let lo = h.lo;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      lo = (lo ^ code) >>> 0;
      const p = lo * FNV_PRIME_LOW;
      hi = (hi * FNV_PRIME_LOW + Math.floor(p / TWO_POW_32) + ((lo << 8) >>> 0)) >>> 0;
      lo = p >>> 0;
      continue;
    }
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
      }
    }
    // Multi-byte sequence: bytes packed in `seq` (first byte lowest), `count` of them.
    let seq: number;
    let count: number;
    if (code < 0x800) {
      seq = (0xc0 | (code >> 6)) | ((0x80 | (code & 0x3f)) << 8);
      count = 2;
    } else if (code < 0x10000) {
      seq = (0xe0 | (code >> 12)) | ((0x80 | ((code >> 6) & 0x3f)) << 8) | ((0x80 | (code & 0x3f)) << 16);
      count = 3;
    } else {
      seq = ((0xf0 | (code >> 18)) | ((0x80 | ((code >> 12) & 0x3f)) << 8) | ((0x80 | ((code >> 6) & 0x3f)) << 16) | ((0x80 | (code & 0x3f)) << 24)) >>> 0;
      count = 4;
    }
    for (let k = 0; k < count; k++) {
      lo = (lo ^ ((seq >>> (8 * k)) & 0xff)) >>> 0;
      const p = lo * FNV_PRIME_LOW;
      hi = (hi * FNV_PRIME_LOW + Math.floor(p / TWO_POW_32) + ((lo << 8) >>> 0)) >>> 0;
      lo = p >>> 0;
    }
  }
  h.hi = hi;
  h.lo = lo;
}

export function toHex(h: Fnv64): string {
  return h.hi.toString(16).padStart(8, '0') + h.lo.toString(16).padStart(8, '0');
}

export function newState(): Fnv64 {
  return { hi: 0xcbf29ce4, lo: 0x84222325 };
}

/** FNV-1a 64 of the UTF-8 bytes of `text`, as 16 hex characters. */
export function stableHash(text: string): string {
  const h = newState();
  mixString(h, text);
  return toHex(h);
}
