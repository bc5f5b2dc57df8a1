// One measured ghz run against one system, with what the machine did during
// it: CPU time of the server process per request, how busy each core was,
// time stolen by the hypervisor, and (for the sidecar) the decisions it made.
import { coreTimes, coreUse } from './cpu.js';
import { runGhz, type GhzLoad, type GhzResult } from './ghz.js';
import { countsDelta, decisionCounts, type System } from './systems.js';

export interface RunRecord extends GhzResult {
  kind: 'closed' | 'open' | 'warmup';
  /** Server process CPU (user + system) per answered request, µs. */
  serverCpuUsPerRequest: number;
  /** Share of its core the server process used while loaded (0..1). */
  serverCpuShare: number;
  /** Share of each core busy during the run (0..1), and stolen. */
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
  const cores0 = coreTimes();
  const cpu0 = system.cpuSeconds();
  const result: GhzResult = await runGhz(ctx.ghz, { ...load, target: system.target }, ctx.loadCpu, ctx.workDir);
  const cpu1 = system.cpuSeconds();
  const cores1 = coreTimes();
  const after = system.metricsUrl ? await decisionCounts(system.metricsUrl) : undefined;
  const server = coreUse(cores0, cores1, ctx.serverCpu);
  const loadCore = coreUse(cores0, cores1, ctx.loadCpu);
  return {
    kind,
    ...result,
    serverCpuUsPerRequest: result.count > 0 ? ((cpu1 - cpu0) / result.count) * 1e6 : Number.NaN,
    serverCpuShare: result.loadSeconds > 0 ? (cpu1 - cpu0) / result.loadSeconds : Number.NaN,
    serverCoreBusy: server.busy,
    loadCoreBusy: loadCore.busy,
    steal: Math.max(server.steal, loadCore.steal),
    ...(before && after ? { decisions: countsDelta(before, after) } : {}),
    dataItems,
  };
}
