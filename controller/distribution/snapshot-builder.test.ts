import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSignature, signingKeyFromPem } from '../../common/distribution/signing.js';
import { buildPolicySet } from '../../common/policy/policy-set.js';
import { PolicyStore } from '../policy/policy-store.js';
import { policyObject } from '../testing/fixtures.js';
import { SnapshotBuilder, type Desired } from './snapshot-builder.js';

const key = signingKeyFromPem(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));

function setup(...objects: ReturnType<typeof policyObject>[]) {
  const store = new PolicyStore();
  for (const o of objects) store.upsert(o);
  return { store, builder: new SnapshotBuilder(store, key) };
}

const snapshotOf = (d: Desired) => {
  if (d.kind !== 'snapshot') throw new Error(`held: ${d.reason}`);
  return d.snapshot;
};

describe('SnapshotBuilder', () => {
  it('selects by namespace and labels; an empty selector selects every pod of the namespace', () => {
    const { builder } = setup(policyObject('pay', { app: 'payments' }), policyObject('all'), policyObject('elsewhere', { namespace: 'other' }));
    expect([...snapshotOf(builder.desiredFor('shop', { app: 'payments' })).policyVersions.keys()]).toEqual(['shop/all', 'shop/pay']);
    expect([...snapshotOf(builder.desiredFor('shop', { app: 'orders' })).policyVersions.keys()]).toEqual(['shop/all']);
    expect(snapshotOf(builder.desiredFor('empty', {})).policies).toEqual([]);
  });

  it('is content-addressed: same selection, same frozen object; the version is the one the sidecar computes', () => {
    const { builder } = setup(policyObject('pay', { app: 'payments' }));
    const one = snapshotOf(builder.desiredFor('shop', { app: 'payments', pod: 'a' }));
    const two = snapshotOf(builder.desiredFor('shop', { app: 'payments', pod: 'b' }));
    expect(two).toBe(one);
    expect(Object.isFrozen(one)).toBe(true);
    expect(one.version).toBe(buildPolicySet(one.policies.map((p) => JSON.parse(p))).version);
  });

  it('signs every snapshot with the controller key', () => {
    const { builder } = setup(policyObject('pay'));
    const s = snapshotOf(builder.desiredFor('shop', {}));
    expect(s.keyId).toBe(key.keyId);
    expect(() => checkSignature(s, s.signature, s.keyId, new Map([[key.keyId, key.publicKey]]))).not.toThrow();
  });

  it('a new generation gives a new version', () => {
    const { store, builder } = setup(policyObject('pay'));
    const before = snapshotOf(builder.desiredFor('shop', {})).version;
    store.upsert(policyObject('pay', { generation: 2, paths: ['/admin', '/export'] }));
    expect(snapshotOf(builder.desiredFor('shop', {})).version).not.toBe(before);
  });

  it('holds a sidecar selected by a rejected policy with no accepted generation known', () => {
    const { builder } = setup(policyObject('bad', { app: 'payments', when: 'signals.ip.flaged' }));
    const d = builder.desiredFor('shop', { app: 'payments' });
    expect(d).toMatchObject({ kind: 'held' });
    expect(d.kind === 'held' && d.reason).toMatch(/shop\/bad generation 1 is not accepted/);
    expect(builder.desiredFor('shop', { app: 'orders' }).kind).toBe('snapshot');
  });

  it('holds a sidecar whose policies do not fit together (one issuer, two JWKS URIs)', () => {
    const { builder } = setup(policyObject('a', { jwksUri: 'https://idp.example.com/k1' }), policyObject('b', { jwksUri: 'https://idp.example.com/k2' }));
    const d = builder.desiredFor('shop', {});
    expect(d.kind === 'held' && d.reason).toMatch(/do not fit together: issuer https:\/\/idp.example.com has jwksUri/);
  });

  it('sends unsigned snapshots when it has no key (insecure mode)', () => {
    const store = new PolicyStore();
    store.upsert(policyObject('pay'));
    const s = snapshotOf(new SnapshotBuilder(store, undefined).desiredFor('shop', {}));
    expect(s.signature.length).toBe(0);
    expect(s.keyId).toBe('');
  });
});
