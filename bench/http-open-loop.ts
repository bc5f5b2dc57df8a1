// A small open-loop HTTP/1.1 load generator for W4 (ghz speaks only gRPC):
// requests leave on a fixed schedule, whatever the answers do, over a pool of
// keep-alive connections. Latency is timed from each request's actual send;
// how late sends left against the schedule is reported beside it, so a
// generator that fell behind shows.
import { Agent, request } from 'node:http';
import { percentile } from './percentile.js';

export interface OpenLoopLoad {
  url: string;
  rps: number;
  seconds: number;
  /** The n-th request's method, headers and body. */
  make(n: number): { method: string; headers: Record<string, string>; body: string };
}

export interface OpenLoopResult {
  sent: number;
  answered: number;
  errors: number;
  /** Answers by HTTP status. */
  statuses: Record<string, number>;
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  /** p99 of how late a send left against its schedule, ms. */
  sendLagP99: number;
}

function sendOne(agent: Agent, url: URL, req: ReturnType<OpenLoopLoad['make']>): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = request({ agent, host: url.hostname, port: url.port, path: url.pathname, method: req.method, headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    r.once('error', reject);
    r.end(req.body);
  });
}

export async function openLoop(load: OpenLoopLoad): Promise<OpenLoopResult> {
  const url = new URL(load.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(load.rps * load.seconds);
  const latencies: number[] = [];
  const lags: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  let n = 0;
  while (n < total) {
    const now = performance.now();
    // Send every request whose time has come, then sleep until the next one.
    while (n < total && start + (n * 1000) / load.rps <= now) {
      const due = start + (n * 1000) / load.rps;
      const sentAt = performance.now();
      lags.push(sentAt - due);
      inFlight.push(
        sendOne(agent, url, load.make(n)).then(
          (status) => {
            latencies.push(performance.now() - sentAt);
            statuses[status] = (statuses[status] ?? 0) + 1;
          },
          () => void errors++,
        ),
      );
      n++;
    }
    const next = start + (n * 1000) / load.rps - performance.now();
    await new Promise((r) => (next > 1 ? setTimeout(r, next - 0.5) : setImmediate(r)));
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  return { sent: total, answered: latencies.length, errors, statuses, rps: latencies.length / elapsed, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), p999: percentile(latencies, 0.999), sendLagP99: percentile(lags, 0.99) };
}
