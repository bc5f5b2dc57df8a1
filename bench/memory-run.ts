// W5: resident memory of the sidecar and of opa-envoy-plugin, idle and under
// W1, with 10 and 1,000 rules. Each size gets fresh processes (pinned to the
// server core like every system): RSS once started and answering, then a
// warm-up and a closed-loop W1 run, then RSS and the peak (VmHWM).
import { readFileSync } from 'node:fs';
import { writeTemp } from '../harness/processes.js';
import { measure, type RunRecord } from './measure.js';
import type { Goal } from './summary.js';
import { startOpa, type OpaSetup } from './opa-system.js';
import { benchPolicyYaml, rulesOfSize } from './policy.js';
import { checkOnce, startPinnedSidecar, type System } from './systems.js';
import { checkRequestObject } from './check-request.js';
import type { TokenMinter } from './tokens.js';
import { workloadRun, type RunPlan } from './workload-runs.js';

export const W5_SIZES = [10, 1000] as const;

export interface MemoryPoint {
  /** MiB, from /proc/<pid>/status. */
  idleRssMiB: number;
  loadedRssMiB: number;
  peakRssMiB: number;
  /** The closed-loop W1 run between the two readings. */
  rps: number;
  cpuUsPerRequest: number;
}

export interface MemoryResult {
  rules: number;
  sidecar: MemoryPoint;
  opa?: MemoryPoint;
}

/** VmRSS and VmHWM of a process, MiB. */
export function residentMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measurePoint(plan: RunPlan, system: System, minter: TokenMinter): Promise<MemoryPoint> {
  const answer = await checkOnce(system.target, checkRequestObject(minter.mint(900_000_001), 0));
  if (!answer.allowed) throw new Error(`${system.name} did not allow the bench request: ${JSON.stringify(answer)}`);
  await settle(1000);
  const idle = residentMiB(system.pid);
  // Every token once (verified and cached): shorter than W1's warm-up, as a slow peer with 1,000 rules takes long.
  await measure(plan.ctx, system, 'warmup', { dataFile: plan.w1Data.path, concurrency: plan.options.concurrency, total: plan.w1Data.items }, plan.w1Data.items);
  const closed: RunRecord = await workloadRun(plan, 'w1', system, 'closed', ' (W5)');
  const loaded = residentMiB(system.pid);
  return { idleRssMiB: idle.rss, loadedRssMiB: loaded.rss, peakRssMiB: loaded.peak, rps: closed.rps, cpuUsPerRequest: closed.serverCpuUsPerRequest };
}

export interface MemorySetup {
  issuerUrl: string;
  jwksUri: string;
  minter: TokenMinter;
  /** When the peer runs: how to start it (rules filled in per size). */
  opa?: Omit<OpaSetup, 'rules'>;
}

export async function memoryRuns(plan: RunPlan, setup: MemorySetup, say: (text: string) => void): Promise<MemoryResult[]> {
  const out: MemoryResult[] = [];
  for (const rules of W5_SIZES) {
    const policyFile = writeTemp(plan.ctx.workDir, `policy-${rules}.yaml`, benchPolicyYaml(setup.issuerUrl, setup.jwksUri, rulesOfSize(rules)));
    say(`W5: ${rules} rules, sidecar`);
    const sidecar = await startPinnedSidecar(`sidecar, ${rules} rules`, policyFile, plan.options.serverCpu);
    let result: MemoryResult;
    try {
      result = { rules, sidecar: await measurePoint(plan, sidecar, setup.minter) };
    } finally {
      await sidecar.stop();
    }
    if (setup.opa) {
      say(`W5: ${rules} rules, opa-envoy-plugin`);
      const opa = await startOpa({ ...setup.opa, rules }, plan.options.serverCpu);
      try {
        result.opa = await measurePoint(plan, opa, setup.minter);
      } finally {
        await opa.stop();
      }
    }
    out.push(result);
  }
  return out;
}

/** W5's goal per size: the sidecar's resident memory ≤ opa-envoy-plugin's, idle and under W1. */
export function memoryGoals(results: readonly MemoryResult[]): Goal[] {
  const mib = (x: number) => `${x.toFixed(1)} MiB`;
  return results.flatMap((r) =>
    r.opa
      ? [
          { id: 'W5', what: `resident memory idle, ${r.rules.toLocaleString('en-US')} rules: sidecar vs opa-envoy-plugin`, goal: '≤ opa', measured: `${mib(r.sidecar.idleRssMiB)} vs ${mib(r.opa.idleRssMiB)}`, met: r.sidecar.idleRssMiB <= r.opa.idleRssMiB },
          { id: 'W5', what: `resident memory after W1 load, ${r.rules.toLocaleString('en-US')} rules (peak)`, goal: '≤ opa', measured: `${mib(r.sidecar.loadedRssMiB)} (${mib(r.sidecar.peakRssMiB)}) vs ${mib(r.opa.loadedRssMiB)} (${mib(r.opa.peakRssMiB)})`, met: r.sidecar.peakRssMiB <= r.opa.peakRssMiB },
        ]
      : [],
  );
}
