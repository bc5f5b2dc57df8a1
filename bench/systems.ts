// The systems under test, each its own process pinned to the server core: the
// no-op grpc-js server and the real sidecar (built dist/, started by the
// harness). Plus what the bench asks of them: one sanity Check with a grpc-js
// client, the sidecar's decision counters, and the CPU time they used.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { packageRoot } from '../common/package-root.js';
import { startSidecar } from '../harness/sidecar.js';
import { freePort, startProcess, tempDir, waitFor, type Running } from '../harness/processes.js';
import { loadAuthorizationService } from '../sidecar/envoy/protos.js';
import { affinityOf, pinProcess, processCpuSeconds } from './cpu.js';
import { readGcPauses, type GcPause } from './gc-pauses.js';

export interface System {
  readonly name: string;
  readonly target: string;
  readonly pid: number;
  /** The sidecar's /metrics, when the system has one. */
  readonly metricsUrl?: string;
  readonly proc: Running;
  cpuSeconds(): number;
  affinity(): string[];
  stop(): Promise<void>;
  /** Its GC pauses (bench/gc-observer.ts), readable once it has stopped; [] for a system that is not Node. */
  gcPauses(): GcPause[];
}

let gcDir: string | undefined;
/** A fresh file for one Node process's GC pauses, and the --import that records them. */
function gcRecording(name: string): { file: string; importArg: string } {
  gcDir ??= tempDir('gc');
  const file = join(gcDir, `${name.replace(/[^a-z0-9]+/gi, '-')}-${Date.now()}.json`);
  return { file, importArg: `--import=${pathToFileURL(join(packageRoot(), 'dist', 'bench', 'gc-observer.js')).href}` };
}

export function systemOf(name: string, proc: Running, port: number, metricsUrl?: string, gcFile?: string): System {
  const pid = proc.child.pid as number;
  return {
    name,
    target: `127.0.0.1:${port}`,
    pid,
    ...(metricsUrl ? { metricsUrl } : {}),
    proc,
    cpuSeconds: () => processCpuSeconds(pid),
    affinity: () => affinityOf(pid),
    stop: () => proc.stop(),
    gcPauses: () => (gcFile ? readGcPauses(gcFile) : []),
  };
}

export async function startNoop(cpu: number): Promise<System> {
  const port = await freePort();
  const entry = join(packageRoot(), 'dist', 'bench', 'noop-server.js');
  const gc = gcRecording('noop');
  const proc = startProcess('noop-server', 'taskset', ['-c', String(cpu), process.execPath, gc.importArg, entry, '--listen', `127.0.0.1:${port}`], { ...process.env, STEPUP_BENCH_GC_FILE: gc.file });
  await waitFor('the no-op server to listen', async () => proc.output().includes('listening'), 20_000, proc);
  return systemOf('no-op grpc-js', proc, port, undefined, gc.file);
}

/**
 * The real sidecar via harness/sidecar.ts, then every thread pinned to `cpu`
 * (threads started later inherit it). `nodeOptions` (e.g. --cpu-prof) reaches
 * it through NODE_OPTIONS, the only way in without changing the harness.
 */
export async function startPinnedSidecar(name: string, policyFile: string, cpu: number, nodeOptions?: string, root?: string): Promise<System> {
  const saved = { options: process.env.NODE_OPTIONS, gcFile: process.env.STEPUP_BENCH_GC_FILE };
  const gc = gcRecording(name);
  process.env.NODE_OPTIONS = [gc.importArg, nodeOptions].filter(Boolean).join(' ');
  process.env.STEPUP_BENCH_GC_FILE = gc.file;
  let handle;
  try {
    handle = await startSidecar(policyFile, [], undefined, root);
  } finally {
    for (const [key, value] of [['NODE_OPTIONS', saved.options], ['STEPUP_BENCH_GC_FILE', saved.gcFile]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  pinProcess(handle.child.pid as number, cpu);
  // The harness keeps the decision log lines in memory; read and drop them so
  // the pipe never fills (a container runtime reads stdout the same way).
  handle.child.stdout?.removeAllListeners('data');
  handle.child.stdout?.on('data', () => {});
  return systemOf(name, handle, handle.grpcPort, `http://127.0.0.1:${handle.httpPort}/metrics`, gc.file);
}

export interface CheckAnswer {
  grpcCode: number;
  allowed: boolean;
  outcome?: string;
  reason?: string;
}

type StructValue = { stringValue?: string };

/** One Check with a grpc-js client: what the system answers to the bench request. */
export async function checkOnce(target: string, request: Record<string, unknown>): Promise<CheckAnswer> {
  const Client = grpc.makeGenericClientConstructor(loadAuthorizationService(), 'Authorization');
  const client = new Client(target, grpc.credentials.createInsecure()) as unknown as {
    Check(req: unknown, cb: (err: grpc.ServiceError | null, res: Record<string, unknown>) => void): void;
    close(): void;
  };
  try {
    const res = await new Promise<Record<string, unknown>>((resolve, reject) => client.Check(request, (err, r) => (err ? reject(err) : resolve(r))));
    const status = res.status as { code?: number } | undefined;
    const fields = (res.dynamicMetadata as { fields?: Record<string, StructValue> } | undefined)?.fields ?? {};
    return {
      grpcCode: status?.code ?? 0,
      allowed: (status?.code ?? 0) === 0 && 'okResponse' in res,
      ...(fields.outcome?.stringValue ? { outcome: fields.outcome.stringValue } : {}),
      ...(fields.reason?.stringValue ? { reason: fields.reason.stringValue } : {}),
    };
  } finally {
    client.close();
  }
}

/** stepup_decisions_total by "outcome/reason". */
export async function decisionCounts(metricsUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^stepup_decisions_total\{([^}]*)\}\s+(\S+)$/gm)) {
    const labels = Object.fromEntries([...(m[1] as string).matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    counts[`${labels.outcome}/${labels.reason}`] = Number(m[2]);
  }
  return counts;
}

export function countsDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) delta[k] = d;
  }
  return delta;
}
