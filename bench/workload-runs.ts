// The runs of one repetition for one system: a warm-up (discarded), then
// max throughput (closed loop) and latency at a fixed rate (open loop); plus
// the raw ES256 verify rate on the server core. Anything that makes a run
// untrustworthy becomes a warning in the results.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../common/package-root.js';
import { measure, type MeasureContext, type RunRecord } from './measure.js';
import type { BenchOptions } from './options.js';
import type { System } from './systems.js';
import type { SystemId, VerifyRate } from './summary.js';
import { w2TokensNeeded, type DataFile, type Workloads } from './workloads.js';

const run = promisify(execFile);

export interface RunPlan {
  options: BenchOptions;
  ctx: MeasureContext;
  workloads: Workloads;
  w1Data: DataFile;
  warnings: string[];
  /** Highest W2 closed-loop rate seen so far, to size the next W2 data file. */
  w2Rate: number;
}

export const ALLOWED = 'allow/requirements_met';

function check(plan: RunPlan, id: SystemId, label: string, r: RunRecord): void {
  const where = `${id} ${label}`;
  if (r.errors > 0) plan.warnings.push(`${where}: ${r.errors} of ${r.count} requests failed (${r.errorSamples.join(' | ')})`);
  if (r.decisions) {
    const other = Object.entries(r.decisions).filter(([k]) => k !== ALLOWED);
    if (other.length > 0) plan.warnings.push(`${where}: the sidecar also answered ${other.map(([k, v]) => `${k} ×${v}`).join(', ')}`);
  }
  if (r.kind === 'open' && r.rps < plan.options.rps * 0.95) plan.warnings.push(`${where}: sent ${Math.round(r.rps)} req/s, below the ${plan.options.rps} asked`);
  if (r.kind === 'warmup') return;
  const others = r.serverCoreBusy - r.serverCpuShare;
  const pc = (x: number) => `${Math.round(x * 100)}%`;
  if (others > 0.1) plan.warnings.push(`${where}: other processes used ${pc(others)} of the server core (the server ${pc(r.serverCpuShare)})`);
  else if (r.kind === 'closed' && r.ghzCpuShare > 0.9) plan.warnings.push(`${where}: ghz used ${pc(r.ghzCpuShare)} of its core, the server ${pc(r.serverCpuShare)} of its own: the load generator set the pace`);
  else if (r.kind === 'closed' && r.serverCpuShare < 0.9) plan.warnings.push(`${where}: the server used ${pc(r.serverCpuShare)} of its core and ghz ${pc(r.ghzCpuShare)} of its own: neither was saturated`);
  if (id === 'w2' && r.count > r.dataItems) plan.warnings.push(`${where}: ${r.count} requests for ${r.dataItems} tokens: some tokens were sent twice (still verified: the cache holds fewer)`);
}

type Runs = Record<'warmup' | 'closed' | 'open', RunRecord>;

async function w1Run(plan: RunPlan, id: SystemId, system: System, kind: RunRecord['kind'], tag: string): Promise<RunRecord> {
  const { options, ctx, w1Data } = plan;
  const data = { dataFile: w1Data.path, concurrency: options.concurrency };
  // The warm-up sends every token at least three times: all are verified and cached before the measured runs.
  const load = kind === 'warmup' ? { total: Math.max(3 * w1Data.items, 5000) } : kind === 'closed' ? { seconds: options.seconds } : { seconds: options.seconds, rps: options.rps };
  const r = await measure(ctx, system, kind, { ...data, ...load }, w1Data.items);
  check(plan, id, `${kind}${tag}`, r);
  return r;
}

async function w2Run(plan: RunPlan, system: System, kind: RunRecord['kind'], tag: string): Promise<RunRecord> {
  const { seconds, rps } = plan.options;
  const load = kind === 'warmup' ? { total: 5000 } : kind === 'closed' ? { seconds } : { seconds, rps };
  const tokens = kind === 'warmup' ? 5000 : w2TokensNeeded({ seconds, ...(kind === 'open' ? { rps } : {}) }, plan.w2Rate);
  const file = plan.workloads.w2(tokens);
  try {
    const r = await measure(plan.ctx, system, kind, { dataFile: file.path, concurrency: plan.options.concurrency, ...load }, file.items);
    check(plan, 'w2', `${kind}${tag}`, r);
    if (kind !== 'open') plan.w2Rate = Math.max(plan.w2Rate, r.rps);
    return r;
  } finally {
    rmSync(file.path, { force: true });
  }
}

/** One run of a workload: W2 gets a data file of fresh tokens each time. `tag` marks the runs of a profiled process in warnings. */
export function workloadRun(plan: RunPlan, id: SystemId, system: System, kind: RunRecord['kind'], tag = ''): Promise<RunRecord> {
  return id === 'w2' ? w2Run(plan, system, kind, tag) : w1Run(plan, id, system, kind, tag);
}

/** A warm-up (discarded), then the closed-loop and the open-loop runs. */
export async function systemRuns(plan: RunPlan, id: SystemId, system: System): Promise<Runs> {
  const warmup = await workloadRun(plan, id, system, 'warmup');
  const closed = await workloadRun(plan, id, system, 'closed');
  const open = await workloadRun(plan, id, system, 'open');
  return { warmup, closed, open };
}

/** The raw ES256 verify rate, measured by its own process pinned to `cpu`. */
export async function verifyRate(cpu: number, seconds: number): Promise<VerifyRate> {
  const script = join(packageRoot(), 'dist', 'bench', 'es256-verify-rate.js');
  const { stdout } = await run('taskset', ['-c', String(cpu), process.execPath, script, '--seconds', String(seconds)]);
  return JSON.parse(stdout.trim()) as VerifyRate;
}
