// Keeps the last good snapshot in the state directory so a restarted sidecar
// can enforce it before the controller answers. Writes are atomic (temporary
// file, fsync, rename); what is read back is checked again by the caller.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { SnapshotMessage } from '../../common/distribution/protocol.js';

export const SNAPSHOT_FILE = 'snapshot.json';

interface StoredSnapshot {
  version: string;
  namespace: string;
  policies: string[];
  signature: string;
  keyId: string;
}

export function snapshotPath(stateDir: string): string {
  return join(stateDir, SNAPSHOT_FILE);
}

export function saveSnapshot(stateDir: string, snapshot: SnapshotMessage): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const stored: StoredSnapshot = { version: snapshot.version, namespace: snapshot.namespace, policies: snapshot.policies, signature: snapshot.signature.toString('base64'), keyId: snapshot.keyId };
  const tmp = join(stateDir, `.${SNAPSHOT_FILE}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(stored));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, snapshotPath(stateDir));
}

/** The stored snapshot, or undefined when there is none. Throws when the file is unreadable or malformed. */
export function readSnapshot(stateDir: string): SnapshotMessage | undefined {
  let text: string;
  try {
    text = readFileSync(snapshotPath(stateDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const s = JSON.parse(text) as Partial<StoredSnapshot>;
  const strings = [s.version, s.namespace, s.signature, s.keyId].every((v) => typeof v === 'string');
  if (!strings || !Array.isArray(s.policies) || !s.policies.every((p) => typeof p === 'string')) {
    throw new Error(`${snapshotPath(stateDir)} is not a stored snapshot`);
  }
  return { version: s.version as string, namespace: s.namespace as string, policies: s.policies, signature: Buffer.from(s.signature as string, 'base64'), keyId: s.keyId as string };
}
