// A signing-key holder that serves a JWKS on loopback and mints tokens with
// any claims and headers: what the tests need to play a real issuer and an
// attacker. (The demo uses a real OpenID Provider instead.)
import { createServer, type Server } from 'node:http';
import { KeyObject, sign } from 'node:crypto';
import { base64url, exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeKey(kid: string, alg = 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

export class TestIssuer {
  keys: SigningKey[] = [];
  jwksRequests = 0;
  available = true;
  /** Milliseconds the JWKS endpoint waits before answering. */
  delayMs = 0;
  private server?: Server;
  url = '';

  static async start(): Promise<TestIssuer> {
    const issuer = new TestIssuer();
    issuer.keys.push(await makeKey('key-1'));
    issuer.server = createServer((req, res) => {
      if (req.url === '/jwks') {
        issuer.jwksRequests++;
        const answer = () => {
          if (!issuer.available) return void res.writeHead(503).end();
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: issuer.keys.map((k) => k.publicJwk) }));
        };
        if (issuer.delayMs > 0) setTimeout(answer, issuer.delayMs);
        else answer();
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => issuer.server?.listen(0, '127.0.0.1', r));
    const addr = issuer.server.address();
    issuer.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    return issuer;
  }

  get jwksUri(): string {
    return `${this.url}/jwks`;
  }

  /** Signs claims with the first key (or `key`), adding iss, sub, aud, iat, exp unless given. */
  async token(claims: Record<string, unknown> = {}, opts: { key?: SigningKey; header?: Record<string, unknown> } = {}): Promise<string> {
    const key = opts.key ?? (this.keys[0] as SigningKey);
    const now = Math.floor(Date.now() / 1000);
    const body = { iss: this.url, sub: 'alice', aud: 'payments-api', iat: now, exp: now + 600, ...claims };
    return new SignJWT(body).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...opts.header }).sign(key.privateKey);
  }

  /**
   * Signs an ES256 JWS by hand, bypassing the library's checks, for headers a
   * well-behaved signer refuses to produce (e.g. an unknown `crit`).
   */
  rawToken(header: Record<string, unknown>, claims: Record<string, unknown>, key: SigningKey = this.keys[0] as SigningKey): string {
    const now = Math.floor(Date.now() / 1000);
    const enc = (o: object) => base64url.encode(JSON.stringify(o));
    const input = `${enc({ alg: 'ES256', kid: key.kid, ...header })}.${enc({ iss: this.url, sub: 'alice', aud: 'payments-api', iat: now, exp: now + 600, ...claims })}`;
    const signature = sign('sha256', Buffer.from(input), { key: KeyObject.from(key.privateKey), dsaEncoding: 'ieee-p1363' });
    return `${input}.${base64url.encode(signature)}`;
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
