// Sizes V8's young generation for short pauses.
//
// On a 64-bit machine V8 grows the young generation to 64 MiB (two 32 MiB
// semi-spaces). Under load its scavenges then stop the sidecar for about
// 10 ms each, and every request in flight waits (measured with the W1
// benchmark, docs/benchmarks.md). With 2 MiB semi-spaces a scavenge takes
// about 0.5 ms, for a few µs more GC work per Check, and the resident size
// shrinks by tens of MiB.
//
// The size can only be set when V8 starts, so the process replaces itself
// once (process.execve: same PID, same stdio) with the flag added, unless
// the command line or NODE_OPTIONS already chose a size. main.ts does this
// first of all, through restart-with-heap-flags.ts.
export const SEMI_SPACE_MIB = 2;

const FLAG = '--max-semi-space-size';

/** The argv to restart with, or undefined when the size is already chosen. */
export function heapFlagArgv(execPath: string, execArgv: readonly string[], argv: readonly string[], nodeOptions: string | undefined): string[] | undefined {
  const chosen = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((arg) => arg === FLAG || arg.startsWith(`${FLAG}=`));
  if (chosen) return undefined;
  return [execPath, `${FLAG}=${SEMI_SPACE_MIB}`, ...execArgv, ...argv.slice(1)];
}

/**
 * Replaces this process with one that has the flag. Returns when nothing needs
 * doing, or when the restart cannot happen (no execve, or it failed): the
 * sidecar then runs with V8's default size, which is slower to collect but correct.
 */
export function restartWithHeapFlags(): void {
  const argv = heapFlagArgv(process.execPath, process.execArgv, process.argv, process.env.NODE_OPTIONS);
  if (!argv || typeof process.execve !== 'function') return;
  try {
    process.execve(process.execPath, argv, process.env);
  } catch (err) {
    process.stderr.write(`stepup-sidecar: could not restart with ${argv[1]} (${(err as Error).message}); running with V8's default young generation\n`);
  }
}
