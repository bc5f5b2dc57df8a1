// The systems under test, each its own process pinned to the server core: the
// no-op grpc-js server and the real sidecar (built dist/, started by the
// harness). Plus what the bench asks of them: one sanity Check with a grpc-js
// client, the sidecar's decision counters, and the CPU time they used.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { packageRoot } from '../common/package-root.js';
import { startSidecar } from '../harness/sidecar.js';
import { freePort, startProcess, waitFor, type Running } from '../harness/processes.js';
import { loadAuthorizationService } from '../sidecar/envoy/protos.js';
import { affinityOf, pinProcess, processCpuSeconds } from './cpu.js';

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
}

function systemOf(name: string, proc: Running, port: number, metricsUrl?: string): System {
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
  };
}

export async function startNoop(cpu: number): Promise<System> {
  const port = await freePort();
  const entry = join(packageRoot(), 'dist', 'bench', 'noop-server.js');
  const proc = startProcess('noop-server', 'taskset', ['-c', String(cpu), process.execPath, entry, '--listen', `127.0.0.1:${port}`]);
  await waitFor('the no-op server to listen', async () => proc.output().includes('listening'), 20_000, proc);
  return systemOf('no-op grpc-js', proc, port);
}

/**
 * The real sidecar via harness/sidecar.ts, then every thread pinned to `cpu`
 * (threads started later inherit it). `nodeOptions` (e.g. --cpu-prof) reaches
 * it through NODE_OPTIONS, the only way in without changing the harness.
 */
export async function startPinnedSidecar(name: string, policyFile: string, cpu: number, nodeOptions?: string): Promise<System> {
  const saved = process.env.NODE_OPTIONS;
  if (nodeOptions) process.env.NODE_OPTIONS = nodeOptions;
  let handle;
  try {
    handle = await startSidecar(policyFile);
  } finally {
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
  }
  pinProcess(handle.child.pid as number, cpu);
  // The harness keeps the decision log lines in memory; read and drop them so
  // the pipe never fills (a container runtime reads stdout the same way).
  handle.child.stdout?.removeAllListeners('data');
  handle.child.stdout?.on('data', () => {});
  return systemOf(name, handle, handle.grpcPort, `http://127.0.0.1:${handle.httpPort}/metrics`);
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
