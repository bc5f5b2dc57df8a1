// Runs ghz (pinned to the load core) against one target and reduces its JSON
// report to the numbers the benchmark keeps. Percentiles come from ghz's
// per-request details, since its own summary stops at p99.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { xdsDepsDir } from '../sidecar/envoy/protos.js';

export interface GhzLoad {
  /** host:port */
  target: string;
  dataFile: string;
  concurrency: number;
  /** Fixed request count (warm-ups), or a duration in seconds. */
  total?: number;
  seconds?: number;
  /** Open loop at this rate; closed loop when absent. */
  rps?: number;
}

export interface GhzResult {
  count: number;
  errors: number;
  /** Requests per second over the run. */
  rps: number;
  /** Latencies of the successful requests, in milliseconds. */
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  statusCodes: Record<string, number>;
  errorSamples: string[];
  /** Wall time from the first request sent to the last answer: s, and its ends in ms since the epoch. */
  loadSeconds: number;
  loadStartMs: number;
  loadEndMs: number;
}

interface GhzReport {
  count: number;
  total: number;
  rps: number;
  statusCodeDistribution?: Record<string, number>;
  errorDistribution?: Record<string, number>;
  details?: { timestamp: string; latency: number; error?: string }[];
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

function ghzArgs(load: GhzLoad, cpus: number, out: string): string[] {
  const deps = xdsDepsDir();
  const args = [
    '--insecure',
    `--cpus=${cpus}`,
    `--import-paths=${['envoy-api', 'googleapis', 'protoc-gen-validate', 'xds'].map((d) => join(deps, d)).join(',')}`,
    '--proto=envoy/service/auth/v3/external_auth.proto',
    '--call=envoy.service.auth.v3.Authorization.Check',
    `--data-file=${load.dataFile}`,
    // The data has no templates: skip template processing on every request.
    '--disable-template-functions',
    '--disable-template-data',
    `--concurrency=${load.concurrency}`,
    '--connections=1',
    '--timeout=5s',
    '--format=json',
    `--output=${out}`,
  ];
  if (load.seconds !== undefined) args.push(`--duration=${load.seconds}s`, '--duration-stop=ignore');
  else args.push(`--total=${load.total ?? 1000}`);
  if (load.rps !== undefined) args.push(`--rps=${load.rps}`);
  args.push(load.target);
  return args;
}

function loadWindow(report: GhzReport): [number, number] {
  let start = Infinity;
  let end = -Infinity;
  for (const d of report.details ?? []) {
    const t = Date.parse(d.timestamp);
    start = Math.min(start, t);
    end = Math.max(end, t + d.latency / 1e6);
  }
  return [start, end];
}

export function summarize(report: GhzReport): GhzResult {
  const ok: number[] = [];
  const samples = new Set<string>();
  let errors = 0;
  for (const d of report.details ?? []) {
    if (d.error) {
      errors++;
      if (samples.size < 3) samples.add(d.error);
    } else ok.push(d.latency / 1e6);
  }
  ok.sort((a, b) => a - b);
  const mean = ok.reduce((s, v) => s + v, 0) / Math.max(1, ok.length);
  const [start, end] = loadWindow(report);
  const loadSeconds = Math.max(0, (end - start) / 1000);
  return {
    count: report.count,
    errors,
    rps: report.rps,
    p50: percentile(ok, 50),
    p99: percentile(ok, 99),
    p999: percentile(ok, 99.9),
    max: ok.at(-1) ?? Number.NaN,
    mean,
    statusCodes: report.statusCodeDistribution ?? {},
    errorSamples: [...samples],
    loadSeconds,
    loadStartMs: start,
    loadEndMs: end,
  };
}

/** Runs ghz to completion on `cpu` and returns its summary; `started` gets its pid. */
export async function runGhz(ghz: string, load: GhzLoad, cpu: number, workDir: string, started: (pid: number) => void = () => {}): Promise<GhzResult> {
  const out = join(workDir, `ghz-${process.hrtime.bigint()}.json`);
  const child = spawn('taskset', ['-c', String(cpu), ghz, ...ghzArgs(load, 1, out)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let said = '';
  child.stdout.on('data', (c: Buffer) => (said += c.toString()));
  child.stderr.on('data', (c: Buffer) => (said += c.toString()));
  started(child.pid as number);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`ghz exited with ${code}: ${said.slice(-2000)}`);
  const report = JSON.parse(readFileSync(out, 'utf8')) as GhzReport;
  rmSync(out, { force: true });
  return summarize(report);
}
