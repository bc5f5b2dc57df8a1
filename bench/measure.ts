// One measured ghz run against one system, with what the machine did during
// its load window: CPU time of the server and of ghz per request, their
// shares of their cores, how busy each core was (every process on it), time
// stolen by the hypervisor, and (for the sidecar) the decisions it made.
import { CpuSampler } from './cpu-sampler.js';
import { runGhz, type GhzLoad, type GhzResult } from './ghz.js';
import { countsDelta, decisionCounts, type System } from './systems.js';

export interface RunRecord extends GhzResult {
  kind: 'closed' | 'open' | 'warmup';
  /** Server process CPU (user + system, all threads) per answered request, µs. */
  serverCpuUsPerRequest: number;
  /** ghz's CPU per request, µs: what one request costs the load generator. */
  ghzCpuUsPerRequest: number;
  /** Share of its core the server process used, and ghz used (0..1). Near 1 for ghz: ghz set the pace. */
  serverCpuShare: number;
  ghzCpuShare: number;
  /** Share of each core busy (any process), and the larger stolen share. */
  serverCoreBusy: number;
  loadCoreBusy: number;
  steal: number;
  /** Sidecar decisions during the run, "outcome/reason" -> count. */
  decisions?: Record<string, number>;
  /** Distinct data items ghz cycled through (W2: tokens available). */
  dataItems: number;
}

export interface MeasureContext {
  ghz: string;
  serverCpu: number;
  loadCpu: number;
  workDir: string;
}

export async function measure(ctx: MeasureContext, system: System, kind: RunRecord['kind'], load: Omit<GhzLoad, 'target'>, dataItems: number): Promise<RunRecord> {
  const before = system.metricsUrl ? await decisionCounts(system.metricsUrl) : undefined;
  const sampler = new CpuSampler();
  sampler.track('server', system.pid);
  sampler.start();
  let result: GhzResult;
  try {
    result = await runGhz(ctx.ghz, { ...load, target: system.target }, ctx.loadCpu, ctx.workDir, (pid) => sampler.track('ghz', pid));
  } finally {
    sampler.stop();
  }
  const after = system.metricsUrl ? await decisionCounts(system.metricsUrl) : undefined;
  const use = sampler.window(result.loadStartMs, result.loadEndMs);
  const server = use.procSeconds.server ?? Number.NaN;
  const ghz = use.procSeconds.ghz ?? Number.NaN;
  const perRequest = (seconds: number) => (result.count > 0 ? (seconds / result.count) * 1e6 : Number.NaN);
  const share = (seconds: number) => (result.loadSeconds > 0 ? seconds / result.loadSeconds : Number.NaN);
  const serverCore = use.cores.get(ctx.serverCpu);
  const loadCore = use.cores.get(ctx.loadCpu);
  return {
    kind,
    ...result,
    serverCpuUsPerRequest: perRequest(server),
    ghzCpuUsPerRequest: perRequest(ghz),
    serverCpuShare: share(server),
    ghzCpuShare: share(ghz),
    serverCoreBusy: serverCore?.busy ?? Number.NaN,
    loadCoreBusy: loadCore?.busy ?? Number.NaN,
    steal: Math.max(serverCore?.steal ?? 0, loadCore?.steal ?? 0),
    ...(before && after ? { decisions: countsDelta(before, after) } : {}),
    dataItems,
  };
}
