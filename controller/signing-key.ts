// Loads the Ed25519 key that signs snapshots: from a PEM file, or from the
// key "ed25519.pem" of a Secret.
import { readFileSync } from 'node:fs';
import { signingKeyFromPem, type SigningKey } from '../common/distribution/signing.js';
import type { KubeRest } from './kube/rest.js';

export const SECRET_KEY = 'ed25519.pem';

export async function loadSigningKey(source: { file?: string; secret?: string }, rest: KubeRest): Promise<SigningKey | undefined> {
  if (source.file) {
    try {
      return signingKeyFromPem(readFileSync(source.file));
    } catch (err) {
      throw new Error(`--signing-key-file ${source.file}: ${(err as Error).message}`);
    }
  }
  if (!source.secret) return undefined;
  const [namespace, name] = source.secret.split('/') as [string, string];
  const secret = await rest.get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`);
  const pem = secret.data?.[SECRET_KEY];
  if (!pem) throw new Error(`Secret ${source.secret} has no key "${SECRET_KEY}"`);
  try {
    return signingKeyFromPem(Buffer.from(pem, 'base64'));
  } catch (err) {
    throw new Error(`Secret ${source.secret}: ${(err as Error).message}`);
  }
}
