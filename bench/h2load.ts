// h2load (nghttp2's load generator, C, one thread) against the sidecar's
// Check method: pre-serialized gRPC frames over a few HTTP/2 connections, a few
// µs per request, and its own CPU time read while it runs.
import { spawn } from 'node:child_process';
import { CHECK_PATH } from '../sidecar/server/grpc-server.js';
import { processCpuSeconds } from './cpu.js';

export interface H2loadResult {
  succeeded: number;
  failed: number;
  rps: number;
  seconds: number;
  /** status codes: 2xx count (HTTP level; the gRPC answer is checked through the decision counters). */
  ok2xx: number;
  /** CPU seconds h2load used. */
  cpuSeconds: number;
}

/** Runs h2load on `cores` (a taskset list) until it ends; throws with its output when it fails or its report cannot be read. */
export async function runH2load(args: { cores: string; port: number; body: string; connections: number; streams: number; seconds: number; warmUp: number }): Promise<H2loadResult> {
  const child = spawn(
    'taskset',
    ['-c', args.cores, 'h2load', '-t', '1', '-c', String(args.connections), '-m', String(args.streams), '-D', String(args.seconds), `--warm-up-time=${args.warmUp}`, '-d', args.body, '-H', 'content-type: application/grpc', '-H', 'te: trailers', `http://127.0.0.1:${args.port}${CHECK_PATH}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const pid = child.pid as number;
  let cpu = 0;
  // h2load's own CPU: read while it runs (it is gone when 'exit' fires)
  const timer = setInterval(() => {
    try {
      cpu = processCpuSeconds(pid);
    } catch {
      // ended
    }
  }, 50);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`h2load exited with ${code}:\n${out.slice(-2000)}`);
  const finished = /finished in ([\d.]+)s, ([\d.]+) req\/s/.exec(out);
  const requests = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed/.exec(out);
  const codes = /status codes: (\d+) 2xx/.exec(out);
  if (!finished || !requests || !codes) throw new Error(`cannot read h2load's report:\n${out}`);
  // The h2load child of taskset is the measured process; taskset execs it, so the pid is h2load's.
  return { seconds: Number(finished[1]), rps: Number(finished[2]), succeeded: Number(requests[1]), failed: Number(requests[2]), ok2xx: Number(codes[1]), cpuSeconds: cpu };
}
