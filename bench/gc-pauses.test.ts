import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gcInWindow, readGcPauses } from './gc-pauses.js';

describe('GC pauses of a load window', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gc-pauses-'));
  const file = join(dir, 'pauses.json');
  // kind, start (epoch ms), duration (ms): two scavenges and a full GC inside [1000, 3000), one of each outside.
  writeFileSync(file, JSON.stringify([1, 900, 5, 1, 1000, 0.5, 1, 2000, 1.5, 4, 2500, 12, 8, 2600, 0.25, 4, 3000, 40]));
  const pauses = readGcPauses(file);

  it('reads the triples the observer writes', () => {
    expect(pauses.map((p) => p.kind)).toEqual(['minor', 'minor', 'minor', 'major', 'incremental', 'major']);
  });

  it('counts only the pauses that start inside the window', () => {
    const w = gcInWindow(pauses, 1000, 3000);
    expect(w.seconds).toBe(2);
    expect(w.minorPerSecond).toBe(1);
    expect(w.minorMaxMs).toBe(1.5);
    expect(w.minorP50Ms).toBe(1.5);
    expect(w.major).toBe(1);
    expect(w.majorMaxMs).toBe(12);
    expect(w.pausedShare).toBeCloseTo((0.5 + 1.5 + 12 + 0.25) / 2000);
  });

  it('a process that wrote nothing has no pauses', () => {
    expect(readGcPauses(join(dir, 'missing.json'))).toEqual([]);
    expect(gcInWindow([], 0, 1000)).toMatchObject({ minorPerSecond: 0, major: 0, pausedShare: 0 });
  });
});
