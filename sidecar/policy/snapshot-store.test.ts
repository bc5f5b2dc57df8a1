import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSnapshot, saveSnapshot, snapshotPath } from './snapshot-store.js';

const dir = () => mkdtempSync(join(tmpdir(), 'stepup-state-test-'));
const snapshot = { version: 'v1', namespace: 'shop', policies: ['{"a":1}'], signature: Buffer.from([1, 2, 3]), keyId: 'k1' };

describe('snapshot store', () => {
  it('round-trips a snapshot and leaves no temporary file behind', () => {
    const d = join(dir(), 'nested');
    saveSnapshot(d, snapshot);
    expect(readSnapshot(d)).toEqual(snapshot);
    expect(readdirSync(d)).toEqual(['snapshot.json']);
    saveSnapshot(d, { ...snapshot, version: 'v2' });
    expect(readSnapshot(d)?.version).toBe('v2');
  });

  it('says undefined when nothing was stored, and throws on a file that is not a snapshot', () => {
    const d = dir();
    expect(readSnapshot(d)).toBeUndefined();
    writeFileSync(snapshotPath(d), '{"version": 3}');
    expect(() => readSnapshot(d)).toThrow(/is not a stored snapshot/);
    writeFileSync(snapshotPath(d), 'garbage');
    expect(() => readSnapshot(d)).toThrow();
  });
});
