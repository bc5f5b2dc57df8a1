// The sidecar sizes V8's young generation itself (sidecar/heap-flags.ts):
// whichever way it is started, the running process carries the flag, keeps its
// PID, and an operator's own choice in NODE_OPTIONS wins.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../common/package-root.js';
import { startSidecar, type SidecarHandle } from '../harness/sidecar.js';
import { heapFlagArgv, SEMI_SPACE_MIB } from '../sidecar/heap-flags.js';

const policy = join(packageRoot(), 'deploy', 'examples', 'payments.yaml');
let sidecar: SidecarHandle | undefined;

afterEach(async () => {
  await sidecar?.stop();
  sidecar = undefined;
});

function commandLine(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

describe('young generation size', () => {
  it(`a started sidecar runs with --max-semi-space-size=${SEMI_SPACE_MIB}, under the PID it was started with`, async () => {
    sidecar = await startSidecar(policy);
    const pid = sidecar.child.pid as number;
    const args = commandLine(pid);
    expect(args).toContain(`--max-semi-space-size=${SEMI_SPACE_MIB}`);
    expect(args.filter((a) => a.startsWith('--max-semi-space-size'))).toHaveLength(1);
    expect(args).toContain('--policies');
  });

  it('an operator-chosen size in NODE_OPTIONS is left alone', async () => {
    const saved = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = '--max-semi-space-size=8';
    try {
      sidecar = await startSidecar(policy);
    } finally {
      if (saved === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved;
    }
    const args = commandLine(sidecar.child.pid as number);
    expect(args.some((a) => a.startsWith('--max-semi-space-size'))).toBe(false);
    expect(readFileSync(`/proc/${sidecar.child.pid}/environ`, 'utf8').split('\0')).toContain('NODE_OPTIONS=--max-semi-space-size=8');
  });

  it('heapFlagArgv keeps the rest of the command line in order, and sees a size given either way', () => {
    expect(heapFlagArgv('/n', ['--enable-source-maps'], ['/n', 'main.js', '--policies', 'p'], undefined)).toEqual(['/n', `--max-semi-space-size=${SEMI_SPACE_MIB}`, '--enable-source-maps', 'main.js', '--policies', 'p']);
    expect(heapFlagArgv('/n', ['--max-semi-space-size=16'], ['/n', 'main.js'], undefined)).toBeUndefined();
    expect(heapFlagArgv('/n', [], ['/n', 'main.js'], '--inspect  --max-semi-space-size=1')).toBeUndefined();
    expect(heapFlagArgv('/n', [], ['/n', 'main.js'], '--max-semi-space-size-x')).toHaveLength(3);
  });
});
