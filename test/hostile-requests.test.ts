// reliability.md items 3, 4 and 8 through a real Envoy: ambiguous credentials,
// hostile tokens, spoofed trusted headers.
import * as grpc from '@grpc/grpc-js';
import { generateKeyPair, exportSPKI, SignJWT, base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKey } from '../harness/test-issuer.js';
import { CHECK_PATH } from '../sidecar/server/grpc-server.js';
import { bearer, now, startStack, type Stack } from './support/stack.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack(['--jwks-cooldown', '30']);
});
afterAll(async () => {
  await s?.stop();
});

const claims = () => ({ acr: '3', amr: ['hwk'], auth_time: now() });

function unsigned(header: object, payload: object): string {
  const enc = (o: object) => base64url.encode(JSON.stringify(o));
  return `${enc(header)}.${enc(payload)}.`;
}

async function expectInvalid(token: string): Promise<void> {
  const before = s.upstream.seen.length;
  const r = await s.call('/admin/users', { headers: bearer(token) });
  expect(r.status, r.body).toBe(401);
  expect(r.headers['www-authenticate']).toMatch(/^Bearer realm="stepup", error="invalid_token"/);
  expect(s.upstream.seen.length).toBe(before);
}

describe('ambiguous credentials (item 3)', () => {
  it('several Authorization headers: 401', async () => {
    const token = await s.issuer.token(claims());
    const r = await s.call('/v1/accounts', { headers: { authorization: [`Bearer ${token}`, `Bearer ${token}`] } });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toContain('error="invalid_request"');
  });

  it('a token in both header and query: 401', async () => {
    const token = await s.issuer.token(claims());
    const r = await s.call(`/v1/accounts?access_token=${token}`, { headers: bearer(token) });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toContain('error="invalid_request"');
  });
});

describe('hostile tokens (item 4): all 401 invalid_token', () => {
  it('a valid token passes (control)', async () => {
    expect((await s.call('/admin/users', { headers: bearer(await s.issuer.token(claims())) })).status).toBe(200);
  });

  it('alg none', async () => {
    await expectInvalid(unsigned({ alg: 'none', typ: 'at+jwt' }, { iss: s.issuer.url, sub: 'alice', aud: 'payments-api', exp: now() + 600, ...claims() }));
  });

  it('HS256 signed with the issuer public key as the secret', async () => {
    const rsa = await makeKey('rsa-1', 'RS256');
    s.issuer.keys.push(rsa);
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    const token = await new SignJWT({ iss: s.issuer.url, sub: 'alice', aud: 'payments-api', exp: now() + 600, ...claims() })
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .sign(new TextEncoder().encode(pem));
    await expectInvalid(token);
  });

  it('unknown kid, and a path-like kid', async () => {
    const stranger = await makeKey('key-unknown');
    await expectInvalid(await s.issuer.token(claims(), { key: stranger }));
    await expectInvalid(await s.issuer.token(claims(), { key: { ...stranger, kid: '../../etc/passwd' } }));
  });

  it.each([
    ['jku', { jku: 'https://attacker.example/jwks' }],
    ['x5u', { x5u: 'https://attacker.example/cert' }],
    ['embedded jwk', { jwk: { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' } }],
  ])('%s header', async (_name, header) => {
    await expectInvalid(await s.issuer.token(claims(), { header }));
  });

  it('an unknown crit header', async () => {
    const control = s.issuer.rawToken({ typ: 'at+jwt' }, claims());
    expect((await s.call('/admin/users', { headers: bearer(control) })).status).toBe(200);
    await expectInvalid(s.issuer.rawToken({ crit: ['urn:example:must-understand'], 'urn:example:must-understand': true }, claims()));
  });

  it.each([
    ['wrong iss', { iss: 'https://evil.example.com' }],
    ['wrong aud', { aud: 'other-api' }],
    ['an ID token (nonce, at_hash)', { nonce: 'n-0S6_WzA2Mj', at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q' }],
    ['expired', { exp: now() - 120 }],
    ['not yet valid (nbf)', { nbf: now() + 600 }],
    ['auth_time in the future', { auth_time: now() + 600 }],
    ['no exp', { exp: undefined }],
  ])('%s', async (_name, over) => {
    await expectInvalid(await s.issuer.token({ ...claims(), ...over }));
  });

  it('an ID token typ', async () => {
    await expectInvalid(await s.issuer.token(claims(), { header: { typ: 'id_token+jwt' } }));
  });

  it('a token signed by a key not in the JWKS but with a known kid', async () => {
    const impostor = await makeKey('key-1');
    await expectInvalid(await s.issuer.token(claims(), { key: impostor }));
  });

  it('an unknown-kid flood causes at most one JWKS fetch per cool-down', async () => {
    const before = s.issuer.jwksRequests;
    for (let i = 0; i < 20; i++) {
      const key = await makeKey(`flood-${i}`);
      await expectInvalid(await s.issuer.token(claims(), { key }));
    }
    expect(s.issuer.jwksRequests - before).toBeLessThanOrEqual(1);
  });
});

describe('spoofed trusted headers (item 8)', () => {
  const spoof = { 'x-stepup-subject': 'admin', 'x-stepup-level': 'phishing-resistant', 'x-stepup-decision-id': 'forged' };

  it('never reach the upstream on an anonymous request', async () => {
    const r = await s.call('/v1/accounts', { headers: spoof });
    expect(r.status).toBe(200);
    const seen = s.upstream.seen.at(-1)?.headers ?? {};
    expect(seen['x-stepup-subject']).toBeUndefined();
    expect(seen['x-stepup-level']).toBeUndefined();
    expect(seen['x-stepup-decision-id']).not.toBe('forged');
  });

  it('are replaced by the verified values on an authenticated request', async () => {
    const token = await s.issuer.token({ sub: 'erin', acr: '1', auth_time: now() });
    const r = await s.call('/v1/me', { headers: { ...spoof, ...bearer(token) } });
    expect(r.status).toBe(200);
    const seen = s.upstream.seen.at(-1)?.headers ?? {};
    expect(seen['x-stepup-subject']).toBe('erin');
    expect(seen['x-stepup-level']).toBe('basic');
    expect(seen['x-stepup-decision-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('cannot be smuggled by case or repetition', async () => {
    const r = await s.call('/v1/accounts', { headers: { 'X-StepUp-Subject': ['admin', 'root'] } });
    expect(r.status).toBe(200);
    expect(s.upstream.seen.at(-1)?.headers['x-stepup-subject']).toBeUndefined();
  });
});

describe('a malformed CheckRequest straight to the sidecar (its own wire decoder)', () => {
  /** Sends raw bytes as the Check message; resolves with the gRPC status code of the answer. */
  function rawCheck(bytes: Buffer): Promise<number> {
    const client = new grpc.Client(`127.0.0.1:${s.sidecar.grpcPort}`, grpc.credentials.createInsecure());
    return new Promise((resolve) => {
      client.makeUnaryRequest(CHECK_PATH, (b: Buffer) => b, (b: Buffer) => b, bytes, (err) => {
        client.close();
        resolve(err ? err.code : grpc.status.OK);
      });
    });
  }

  it.each([
    ['a length past the end', Buffer.from([0x0a, 0x50, 0x22, 0x02])],
    ['a truncated varint', Buffer.from([0x0a, 0x80])],
    ['a group', Buffer.from([0x0b, 0x0c])],
  ])('%s is refused with a gRPC error (Envoy then denies), and the sidecar goes on serving', async (_name, bytes) => {
    expect(await rawCheck(bytes)).toBe(grpc.status.INTERNAL);
    expect((await s.call('/v1/accounts')).status).toBe(200);
  });
});
