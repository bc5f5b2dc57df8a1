import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { policyDocument } from '../../common/distribution/policy-document.js';
import type { SnapshotMessage } from '../../common/distribution/protocol.js';
import { signContent, signingKeyFromPem } from '../../common/distribution/signing.js';
import { buildPolicySet } from '../../common/policy/policy-set.js';
import type { StepUpPolicy } from '../../common/policy/types.js';
import { loadSnapshot } from './snapshot-loader.js';

const key = signingKeyFromPem(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
const trust = { namespace: 'shop', keys: new Map([[key.keyId, key.publicKey]]) };

const policy = (name: string, namespace = 'shop', when?: string): StepUpPolicy => ({
  apiVersion: 'stepup.dev/v1alpha1',
  kind: 'StepUpPolicy',
  metadata: { name, namespace },
  spec: { mode: 'Enforce', rules: [{ name: 'r', match: { paths: ['/admin/**'] }, action: 'Deny', ...(when ? { when } : {}) }], defaults: { onMissingToken: 'Challenge' } },
});

function snapshot(policies: StepUpPolicy[], opts: { version?: string; namespace?: string } = {}): SnapshotMessage {
  const content = { version: opts.version ?? buildPolicySet(policies).version, namespace: opts.namespace ?? 'shop', policies: policies.map(policyDocument) };
  return { ...content, ...signContent(content, key) };
}

describe('loadSnapshot', () => {
  it('loads a signed snapshot into the policy set it describes', () => {
    const set = loadSnapshot(snapshot([policy('a'), policy('b')]), trust);
    expect(set.policies.map((p) => p.id)).toEqual(['shop/a', 'shop/b']);
  });

  it('loads an empty snapshot (no policy selects the pod)', () => {
    expect(loadSnapshot(snapshot([]), trust).policies).toEqual([]);
  });

  it.each([
    ['altered content', (s: SnapshotMessage) => ({ ...s, policies: [(s.policies[0] as string).replace('Deny', 'Allow')] }), /does not verify/],
    ['no signature', (s: SnapshotMessage) => ({ ...s, signature: Buffer.alloc(0) }), /not signed/],
    ['an unknown key', (s: SnapshotMessage) => ({ ...s, keyId: 'feedfeedfeedfeed' }), /not a trusted controller key/],
  ])('refuses %s', (_what, alter, message) => {
    expect(() => loadSnapshot(alter(snapshot([policy('a')])), trust)).toThrow(message);
  });

  it.each([
    ['a snapshot for another namespace', snapshot([], { namespace: 'other' }), /for namespace other/],
    ['a policy of another namespace', snapshot([policy('a', 'other')], { namespace: 'shop' }), /belongs to namespace other/],
    ['a version that does not match the content', snapshot([policy('a')], { version: 'deadbeefdeadbeef' }), /hashes to \w+, the snapshot says deadbeefdeadbeef/],
    ['a policy this sidecar cannot compile', snapshot([policy('a', 'shop', 'signals.ip.flaged')], { version: 'x' }), /policy 0: spec\.rules\[0\]\.when: CEL/],
  ])('refuses %s, even correctly signed', (_what, s, message) => {
    expect(() => loadSnapshot(s, trust)).toThrow(message);
  });

  it('in insecure mode (no keys) accepts unsigned snapshots but still checks the content', () => {
    const s = { ...snapshot([policy('a')]), signature: Buffer.alloc(0), keyId: '' };
    expect(loadSnapshot(s, { namespace: 'shop' }).policies).toHaveLength(1);
    expect(() => loadSnapshot({ ...s, version: 'nope' }, { namespace: 'shop' })).toThrow(/the snapshot says nope/);
  });
});
