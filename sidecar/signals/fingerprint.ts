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
