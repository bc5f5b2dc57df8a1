// From the runs of every repetition to medians, side-by-side ratios and the
// goals of perf.md. Ratios are taken within a repetition (the systems ran
// minutes apart, not hours), then the median of those is reported.
import type { RunRecord } from './measure.js';

export type SystemId = 'noop' | 'w1' | 'w2';

export interface VerifyRate {
  syncPerSecond: number;
  syncPerCpuSecond: number;
  webcryptoPerSecond: number;
  webcryptoPerCpuSecond: number;
}

export interface Repetition {
  verify: VerifyRate;
  runs: Record<SystemId, { warmup: RunRecord; closed: RunRecord; open: RunRecord }>;
}

export interface SystemMedians {
  maxRps: number;
  /** Open loop at the configured rate. */
  openRps: number;
  p50: number;
  p99: number;
  p999: number;
  /** Server CPU per request at max throughput and at the open-loop rate, µs. */
  cpuUsClosed: number;
  cpuUsOpen: number;
  /** Closed loop: share of its core the server process got, and ghz got; ghz CPU per request, µs. */
  serverShareClosed: number;
  ghzShareClosed: number;
  ghzCpuUsClosed: number;
  /** Closed loop: share of the server core other processes used. */
  othersOnServerCore: number;
}

export interface Ratio {
  perRep: number[];
  median: number;
}

export interface Goal {
  id: string;
  what: string;
  goal: string;
  measured: string;
  met: boolean;
}

export interface Summary {
  medians: Record<SystemId, SystemMedians> & { verifySync: number; verifyWebcrypto: number; verifySyncPerCpuSecond: number };
  /**
   * Wall-clock ratios (the goals), and the same ratios from CPU time per
   * request, which a neighbour taking turns on the server core changes little.
   */
  ratios: { w1VsNoop: Ratio; w2VsVerifySync: Ratio; w2VsVerifyWebcrypto: Ratio; w2VsNoop: Ratio; w1VsNoopByCpu: Ratio; w2VsVerifySyncByCpu: Ratio };
  goals: Goal[];
}

export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

function ratio(reps: readonly Repetition[], num: (r: Repetition) => number, den: (r: Repetition) => number): Ratio {
  const perRep = reps.map((r) => num(r) / den(r));
  return { perRep, median: median(perRep) };
}

function systemMedians(reps: readonly Repetition[], id: SystemId): SystemMedians {
  const closed = reps.map((r) => r.runs[id].closed);
  const open = reps.map((r) => r.runs[id].open);
  return {
    maxRps: median(closed.map((c) => c.rps)),
    openRps: median(open.map((o) => o.rps)),
    p50: median(open.map((o) => o.p50)),
    p99: median(open.map((o) => o.p99)),
    p999: median(open.map((o) => o.p999)),
    cpuUsClosed: median(closed.map((c) => c.serverCpuUsPerRequest)),
    cpuUsOpen: median(open.map((o) => o.serverCpuUsPerRequest)),
    serverShareClosed: median(closed.map((c) => c.serverCpuShare)),
    ghzShareClosed: median(closed.map((c) => c.ghzCpuShare)),
    ghzCpuUsClosed: median(closed.map((c) => c.ghzCpuUsPerRequest)),
    othersOnServerCore: median(closed.map((c) => Math.max(0, c.serverCoreBusy - c.serverCpuShare))),
  };
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
const ms = (x: number) => `${x.toFixed(3)} ms`;

export function summarize(reps: readonly Repetition[], rps: number): Summary {
  const medians = {
    noop: systemMedians(reps, 'noop'),
    w1: systemMedians(reps, 'w1'),
    w2: systemMedians(reps, 'w2'),
    verifySync: median(reps.map((r) => r.verify.syncPerSecond)),
    verifyWebcrypto: median(reps.map((r) => r.verify.webcryptoPerSecond)),
    verifySyncPerCpuSecond: median(reps.map((r) => r.verify.syncPerCpuSecond)),
  };
  const ratios = {
    w1VsNoop: ratio(reps, (r) => r.runs.w1.closed.rps, (r) => r.runs.noop.closed.rps),
    w2VsVerifySync: ratio(reps, (r) => r.runs.w2.closed.rps, (r) => r.verify.syncPerSecond),
    w2VsVerifyWebcrypto: ratio(reps, (r) => r.runs.w2.closed.rps, (r) => r.verify.webcryptoPerSecond),
    w2VsNoop: ratio(reps, (r) => r.runs.w2.closed.rps, (r) => r.runs.noop.closed.rps),
    w1VsNoopByCpu: ratio(reps, (r) => r.runs.noop.closed.serverCpuUsPerRequest, (r) => r.runs.w1.closed.serverCpuUsPerRequest),
    w2VsVerifySyncByCpu: ratio(reps, (r) => 1e6 / r.runs.w2.closed.serverCpuUsPerRequest, (r) => r.verify.syncPerCpuSecond),
  };
  const goals: Goal[] = [
    { id: 'W1', what: 'throughput / no-op grpc-js throughput', goal: '≥ 80%', measured: pct(ratios.w1VsNoop.median), met: ratios.w1VsNoop.median >= 0.8 },
    { id: 'W1', what: `p99 at ${rps.toLocaleString('en-US')} rps`, goal: '≤ 1 ms', measured: ms(medians.w1.p99), met: medians.w1.p99 <= 1 },
    { id: 'W1', what: `p99.9 at ${rps.toLocaleString('en-US')} rps`, goal: '≤ 5 ms', measured: ms(medians.w1.p999), met: medians.w1.p999 <= 5 },
    { id: 'W2', what: 'throughput / raw node:crypto ES256 verify rate', goal: '≥ 80%', measured: pct(ratios.w2VsVerifySync.median), met: ratios.w2VsVerifySync.median >= 0.8 },
  ];
  return { medians, ratios, goals };
}
