// One more sidecar, started with node --cpu-prof, under W1 (or W2) load:
// where the time of a Check goes. The profile is written when the process
// exits (SIGTERM makes the sidecar exit cleanly); only the samples of the
// measured run are summarized, not start-up or warm-up.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from '../harness/processes.js';
import { summarizeProfile, type ProfileSummary } from './cpu-profile.js';
import type { RunRecord } from './measure.js';
import { startPinnedSidecar } from './systems.js';
import { workloadRun, type RunPlan } from './workload-runs.js';

export interface ProfileResult extends ProfileSummary {
  workload: 'W1' | 'W2';
  seconds: number;
  /** Throughput while profiled (the profiler costs some). */
  rps: number;
  /**
   * CPU time per Check of the profiled process in the window, µs (/proc, all
   * threads): what the shares are applied to. Not the samples' own time,
   * which counts time the thread sat descheduled when the core is shared.
   */
  cpuUsPerCheck: number;
  /** The .cpuprofile, kept next to latest.json (not committed): open it in Chrome DevTools. */
  file: string;
}

export async function profileSidecar(plan: RunPlan, policyFile: string, workload: 'W1' | 'W2', keepAs: string): Promise<ProfileResult> {
  const dir = tempDir('cpuprof');
  const sidecar = await startPinnedSidecar(`sidecar ${workload} (profiled)`, policyFile, plan.options.serverCpu, `--cpu-prof --cpu-prof-dir=${dir}`);
  let closed: RunRecord;
  let stopMs: number;
  try {
    const id = workload === 'W1' ? 'w1' : 'w2';
    await workloadRun(plan, id, sidecar, 'warmup', ' (profiled)');
    closed = await workloadRun(plan, id, sidecar, 'closed', ' (profiled)');
  } finally {
    stopMs = Date.now();
    await sidecar.stop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`the profiled sidecar wrote no .cpuprofile into ${dir}`);
  mkdirSync(dirname(keepAs), { recursive: true });
  copyFileSync(join(dir, file), keepAs);
  const summary = summarizeProfile(keepAs, { startMs: closed.loadStartMs, endMs: closed.loadEndMs, stopMs });
  return { ...summary, workload, seconds: plan.options.seconds, rps: closed.rps, cpuUsPerCheck: closed.serverCpuUsPerRequest, file: keepAs };
}
