// Runs the built stepup-sidecar (dist/) as its own process.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../common/package-root.js';
import { freePort, httpOk, startProcess, waitFor, type Running } from './processes.js';

export interface SidecarHandle extends Running {
  readonly grpcPort: number;
  readonly httpPort: number;
}

/** dist/sidecar/main.js of this package, or of another build's package root. */
export function sidecarEntry(root = packageRoot()): string {
  const entry = join(root, 'dist', 'sidecar', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`);
  return entry;
}

export async function startSidecar(policies: string, extraArgs: string[] = [], ports?: { grpc: number; http: number }, root?: string): Promise<SidecarHandle> {
  const grpcPort = ports?.grpc ?? (await freePort());
  const httpPort = ports?.http ?? (await freePort());
  const args = [sidecarEntry(root), '--policies', policies, '--listen', `127.0.0.1:${grpcPort}`, '--http-listen', `127.0.0.1:${httpPort}`, ...extraArgs];
  const proc = startProcess('stepup-sidecar', process.execPath, args);
  await waitFor('the sidecar to be ready', () => httpOk(`http://127.0.0.1:${httpPort}/readyz`), 20_000, proc);
  return Object.assign(proc, { grpcPort, httpPort });
}

/** Every JSON log line the sidecar has written so far. */
export function logLines(proc: Running): Record<string, unknown>[] {
  return proc
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The decision log lines the sidecar has written so far. */
export function decisionLines(proc: Running): Record<string, unknown>[] {
  return logLines(proc).filter((l) => l.msg === 'decision');
}
