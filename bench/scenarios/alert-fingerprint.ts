// Alertmanager-style fingerprints: FNV-1a 64 over the sorted label set, as 16 hex digits.

const OFFSET = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

export function alertFingerprint(labels: Readonly<Record<string, string>>): string {
  let h = OFFSET;
  const feed = (s: string): void => {
    for (const byte of Buffer.from(s, 'utf8')) h = ((h ^ BigInt(byte)) * PRIME) & MASK;
  };
  for (const k of Object.keys(labels).sort()) {
    feed(k);
    feed('\xff');
    feed(labels[k]!);
    feed('\xff');
  }
  return h.toString(16).padStart(16, '0');
}
