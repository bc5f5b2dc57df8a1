// Ed25519 signatures over policy snapshots: what is signed, how keys are
// named, and how PEM keys are read. The controller signs; the sidecar checks
// every snapshot it receives and every one it reads back from disk.
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** The fields of a snapshot that the signature covers. */
export interface SnapshotContent {
  readonly version: string;
  readonly namespace: string;
  readonly policies: readonly string[];
}

const DOMAIN = 'stepup.dev/policy-snapshot/v1';

function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/** The exact bytes signed: a domain tag, then every field length-prefixed, so no two contents share an input. */
export function signingInput(content: SnapshotContent): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(content.policies.length);
  return Buffer.concat([lengthPrefixed(DOMAIN), lengthPrefixed(content.version), lengthPrefixed(content.namespace), count, ...content.policies.map(lengthPrefixed)]);
}

/** A public key's id: the first 16 hex digits of SHA-256 over its SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export interface SigningKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** Reads an Ed25519 private key (PKCS#8 PEM). Throws when it is something else. */
export function signingKeyFromPem(pem: string | Buffer): SigningKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`the signing key must be Ed25519, not ${privateKey.asymmetricKeyType ?? 'a symmetric key'}`);
  const publicKey = createPublicKey(privateKey);
  return { keyId: keyIdOf(publicKey), privateKey, publicKey };
}

/** Reads every Ed25519 public key of a PEM bundle (several keys allow rotation), by key id. */
export function publicKeysFromPem(pem: string): Map<string, KeyObject> {
  const blocks = pem.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0) throw new Error('no "BEGIN PUBLIC KEY" block found');
  const keys = new Map<string, KeyObject>();
  for (const block of blocks) {
    const key = createPublicKey(block);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`public keys must be Ed25519, found ${key.asymmetricKeyType}`);
    keys.set(keyIdOf(key), key);
  }
  return keys;
}

export function signContent(content: SnapshotContent, key: SigningKey): { signature: Buffer; keyId: string } {
  return { signature: sign(null, signingInput(content), key.privateKey), keyId: key.keyId };
}

/** Throws unless `signature` is a valid signature of `content` by the key `keyId` among `keys`. */
export function checkSignature(content: SnapshotContent, signature: Buffer, keyId: string, keys: ReadonlyMap<string, KeyObject>): void {
  if (signature.length === 0) throw new Error('the snapshot is not signed');
  const key = keys.get(keyId);
  if (!key) throw new Error(`the snapshot is signed by key ${JSON.stringify(keyId)}, which is not a trusted controller key`);
  if (!verify(null, signingInput(content), key, signature)) throw new Error(`the snapshot's signature (key ${keyId}) does not verify: it was altered or not made by the controller`);
}
