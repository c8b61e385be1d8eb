// Stable 64-bit hashes for alerts that come without a fingerprint and for change ids.
//
// Algorithm (documented so other tools can reproduce it): FNV-1a 64-bit (offset basis
// 0xcbf29ce484222325, prime 0x100000001b3) over the UTF-8 bytes of the parts, each part followed by
// the byte 0xff. 0xff never occurs in UTF-8, so ["ab","c"] and ["a","bc"] hash differently.
// A label set is hashed as the parts [name1, value1, name2, value2, ...] with names sorted
// (JavaScript default sort: UTF-16 code unit order, which is byte order for ASCII names).
// Output: 16 lowercase hex characters. The hash itself lives in model/stable-hash.ts.

import { mixByte, mixString, newState, toHex } from '../model/stable-hash.js';

/** FNV-1a 64 of the parts (each followed by 0xff), as 16 hex chars. */
export function stableId(parts: readonly string[]): string {
  const h = newState();
  for (const part of parts) {
    mixString(h, part);
    mixByte(h, 0xff);
  }
  return toHex(h);
}

/** A stable 16-hex-char hash of a label set; independent of the order the labels were given in. */
export function labelFingerprint(labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels).sort();
  const h = newState();
  for (const name of names) {
    mixString(h, name);
    mixByte(h, 0xff);
    mixString(h, labels[name]!);
    mixByte(h, 0xff);
  }
  return toHex(h);
}
