// One-way fingerprints of values that must not be stored or logged raw
// (subjects, device ids, addresses, token ids). Each kind has its own prefix,
// so a device id and an address with the same text never collide.
import { createHash } from 'node:crypto';

export type FingerprintKind = 'subject' | 'device' | 'address' | 'jti';

/** A 128-bit SHA-256 prefix, base64url (22 characters). */
export function fingerprint(kind: FingerprintKind, ...parts: string[]): string {
  const h = createHash('sha256').update(`stepup:${kind}`);
  for (const p of parts) h.update('\0').update(p);
  return h.digest('base64url').slice(0, 22);
}

/**
 * Remembers the fingerprints of recent values: the same subjects and client
 * addresses come back request after request, and a SHA-256 costs about 3 µs.
 * Bounded: when full it starts over (simpler than LRU, and a miss only costs
 * one hash).
 */
export class FingerprintMemo {
  private readonly known = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  of(kind: FingerprintKind, ...parts: string[]): string {
    const key = `${kind}\0${parts.join('\0')}`;
    let value = this.known.get(key);
    if (value === undefined) {
      value = fingerprint(kind, ...parts);
      if (this.known.size >= this.capacity) this.known.clear();
      this.known.set(key, value);
    }
    return value;
  }
}
