import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSignature, keyIdOf, publicKeysFromPem, signContent, signingInput, signingKeyFromPem } from './signing.js';

const pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });

describe('snapshot signing', () => {
  const key = signingKeyFromPem(pem());
  const keys = new Map([[key.keyId, key.publicKey]]);
  const content = { version: 'v1', namespace: 'shop', policies: ['{"a":1}', '{"b":2}'] };

  it('a signature verifies; any change to any field does not', () => {
    const { signature, keyId } = signContent(content, key);
    expect(() => checkSignature(content, signature, keyId, keys)).not.toThrow();
    for (const altered of [{ ...content, version: 'v2' }, { ...content, namespace: 'other' }, { ...content, policies: ['{"a":1}'] }, { ...content, policies: ['{"a":1}', '{"b":3}'] }]) {
      expect(() => checkSignature(altered, signature, keyId, keys)).toThrow(/does not verify/);
    }
  });

  it('the signed input is unambiguous: moving text between fields changes it', () => {
    expect(signingInput({ version: 'ab', namespace: 'c', policies: [] }).equals(signingInput({ version: 'a', namespace: 'bc', policies: [] }))).toBe(false);
    expect(signingInput({ version: 'v', namespace: 'n', policies: ['xy'] }).equals(signingInput({ version: 'v', namespace: 'n', policies: ['x', 'y'] }))).toBe(false);
  });

  it('refuses unsigned snapshots and unknown keys', () => {
    expect(() => checkSignature(content, Buffer.alloc(0), key.keyId, keys)).toThrow(/not signed/);
    const other = signingKeyFromPem(pem());
    const { signature, keyId } = signContent(content, other);
    expect(() => checkSignature(content, signature, keyId, keys)).toThrow(/not a trusted controller key/);
  });

  it('reads a bundle of public keys (rotation) and refuses non-Ed25519 keys', () => {
    const other = signingKeyFromPem(pem());
    const bundle = [key, other].map((k) => k.publicKey.export({ type: 'spki', format: 'pem' })).join('\n');
    expect([...publicKeysFromPem(bundle).keys()].sort()).toEqual([key.keyId, other.keyId].sort());
    expect(keyIdOf(key.publicKey)).toMatch(/^[0-9a-f]{16}$/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => signingKeyFromPem(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }))).toThrow(/must be Ed25519/);
    expect(() => publicKeysFromPem('nothing here')).toThrow(/no "BEGIN PUBLIC KEY"/);
  });
});
