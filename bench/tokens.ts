// Mints many ES256 access tokens fast with the test issuer's key: W2 needs a
// fresh token for every request, tens of thousands per run. node:crypto signs
// synchronously, several times faster than jose's WebCrypto path.
import { KeyObject, randomUUID, sign, type webcrypto } from 'node:crypto';
import type { SigningKey } from '../harness/test-issuer.js';

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

export interface TokenClaims {
  issuer: string;
  audience: string;
  /** acr of every token: W1's request needs level mfa ("2"). */
  acr: string;
  amr: readonly string[];
}

export class TokenMinter {
  private readonly key: KeyObject;
  private readonly header: string;

  constructor(
    signingKey: SigningKey,
    private readonly claims: TokenClaims,
  ) {
    if (signingKey.alg !== 'ES256') throw new Error(`the bench mints ES256 tokens, the key is ${signingKey.alg}`);
    this.key = KeyObject.from(signingKey.privateKey as unknown as webcrypto.CryptoKey);
    this.header = base64url(JSON.stringify({ alg: 'ES256', kid: signingKey.kid, typ: 'at+jwt' }));
  }

  /**
   * One token for subject number `n`, shaped like a real IdP's access token:
   * authenticated a minute ago with a second factor, valid for two hours.
   */
  mint(n: number, nowSeconds = Math.floor(Date.now() / 1000)): string {
    const payload = {
      iss: this.claims.issuer,
      sub: `f3c1a9d2-5b7e-4c1a-9e0b-${String(n).padStart(12, '0')}`,
      aud: [this.claims.audience],
      azp: 'payments-web',
      client_id: 'payments-web',
      iat: nowSeconds,
      nbf: nowSeconds,
      exp: nowSeconds + 7200,
      auth_time: nowSeconds - 60,
      acr: this.claims.acr,
      amr: [...this.claims.amr],
      sid: randomUUID(),
      jti: randomUUID(),
      scope: 'openid profile email payments:read payments:write',
      email: `user${n}@example.com`,
      email_verified: true,
      preferred_username: `user${n}`,
    };
    const input = `${this.header}.${base64url(JSON.stringify(payload))}`;
    const signature = sign('sha256', Buffer.from(input), { key: this.key, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }

  /** `count` tokens for subjects start .. start+count-1. */
  mintMany(count: number, start = 0): string[] {
    const now = Math.floor(Date.now() / 1000);
    return Array.from({ length: count }, (_, i) => this.mint(start + i, now));
  }
}
