// W4: end to end through a real Envoy (deploy/envoy/envoy.yaml, the route
// turned into a direct response, one worker thread) at a fixed rate: ext_authz
// off, calling the sidecar, calling opa-envoy-plugin. Envoy and the authz
// server share the server core (as in a pod); the HTTP load comes from this
// process on the load core.
import { parse, stringify } from 'yaml';
import { envoyBinary, envoyBootstrap } from '../harness/envoy.js';
import { freePort, httpOk, startProcess, tempDir, waitFor, writeTemp, type Running } from '../harness/processes.js';
import { REQUEST_BODY, REQUEST_HOST, REQUEST_PATH } from './check-request.js';
import { processCpuSeconds } from './cpu.js';
import { openLoop, type OpenLoopResult } from './http-open-loop.js';
import { median } from './summary.js';
import type { Goal } from './summary.js';
import type { System } from './systems.js';

export type W4Mode = 'off' | 'stepup' | 'opa';

export interface W4Run extends OpenLoopResult {
  /** CPU per request, µs: Envoy's, and the authz server's (0 when off). */
  envoyCpuUs: number;
  authzCpuUs: number;
}

export interface W4Result {
  rps: number;
  seconds: number;
  reps: Partial<Record<W4Mode, W4Run>>[];
  medians: Partial<Record<W4Mode, { p50: number; p99: number; p999: number; envoyCpuUs: number; authzCpuUs: number; rps: number }>>;
}

type Node = Record<string, unknown>;

/** The shipped bootstrap, answering every request itself; ext_authz disabled on the route when `off`. */
export function w4Bootstrap(ports: { listen: number; admin: number; authz: number; app: number }, authz: boolean): string {
  const config = parse(envoyBootstrap(ports)) as Node;
  const listener = (config.static_resources as { listeners: Node[] }).listeners[0] as Node;
  const chain = (listener.filter_chains as Node[])[0] as Node;
  const hcm = ((chain.filters as Node[])[0] as Node).typed_config as Node;
  const route = (((hcm.route_config as Node).virtual_hosts as Node[])[0] as Node).routes as Node[];
  const r = route[0] as Node;
  delete r.route;
  r.direct_response = { status: 200, body: { inline_string: 'ok' } };
  if (!authz) r.typed_per_filter_config = { 'envoy.filters.http.ext_authz': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute', disabled: true } };
  return stringify(config);
}

async function startW4Envoy(authzPort: number, authz: boolean, cpu: number): Promise<{ proc: Running; url: string }> {
  const ports = { listen: await freePort(), admin: await freePort(), authz: authzPort, app: await freePort() };
  const file = writeTemp(tempDir('w4-envoy'), 'envoy.yaml', w4Bootstrap(ports, authz));
  const proc = startProcess('envoy', 'taskset', ['-c', String(cpu), envoyBinary(), '-c', file, '--base-id', String(ports.admin), '--log-level', 'warn', '--concurrency', '1']);
  await waitFor('Envoy to be ready', () => httpOk(`http://127.0.0.1:${ports.admin}/ready`), 30_000, proc);
  return { proc, url: `http://127.0.0.1:${ports.listen}${REQUEST_PATH}` };
}

function requestMaker(tokens: readonly string[]): (n: number) => { method: string; headers: Record<string, string>; body: string } {
  return (n) => ({
    method: 'POST',
    headers: { host: REQUEST_HOST, authorization: `Bearer ${tokens[n % tokens.length]}`, 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'stepup-bench-w4' },
    body: REQUEST_BODY,
  });
}

async function oneMode(authzSystem: System | undefined, tokens: readonly string[], opts: { rps: number; seconds: number; serverCpu: number }): Promise<W4Run> {
  const envoy = await startW4Envoy(authzSystem ? Number(authzSystem.target.split(':')[1]) : await freePort(), authzSystem !== undefined, opts.serverCpu);
  try {
    const make = requestMaker(tokens);
    // Warm-up: every token once at least (verified and cached), connections open.
    await openLoop({ url: envoy.url, rps: opts.rps, seconds: Math.max(2, Math.ceil((tokens.length * 1.5) / opts.rps)), make });
    const envoyPid = envoy.proc.child.pid as number;
    const e0 = processCpuSeconds(envoyPid);
    const a0 = authzSystem ? authzSystem.cpuSeconds() : 0;
    const run = await openLoop({ url: envoy.url, rps: opts.rps, seconds: opts.seconds, make });
    const per = (s: number) => (run.answered > 0 ? (s / run.answered) * 1e6 : Number.NaN);
    return { ...run, envoyCpuUs: per(processCpuSeconds(envoyPid) - e0), authzCpuUs: authzSystem ? per(authzSystem.cpuSeconds() - a0) : 0 };
  } finally {
    await envoy.proc.stop();
  }
}

export async function w4Runs(systems: { stepup: System; opa?: System }, tokens: readonly string[], opts: { rps: number; seconds: number; reps: number; serverCpu: number }, say: (t: string) => void): Promise<W4Result> {
  const modes: W4Mode[] = systems.opa ? ['off', 'stepup', 'opa'] : ['off', 'stepup'];
  const reps: Partial<Record<W4Mode, W4Run>>[] = [];
  for (let rep = 0; rep < opts.reps; rep++) {
    const runs: Partial<Record<W4Mode, W4Run>> = {};
    for (const mode of modes.map((_, i) => modes[(i + rep) % modes.length] as W4Mode)) {
      const authz = mode === 'off' ? undefined : mode === 'stepup' ? systems.stepup : systems.opa;
      const r = await oneMode(authz, tokens, opts);
      runs[mode] = r;
      say(`W4 ${rep + 1}/${opts.reps} ${mode}: p50 ${r.p50.toFixed(3)} p99 ${r.p99.toFixed(3)} ms; statuses ${JSON.stringify(r.statuses)}; Envoy ${r.envoyCpuUs.toFixed(0)} µs, authz ${r.authzCpuUs.toFixed(0)} µs CPU per request`);
    }
    reps.push(runs);
  }
  const medians: W4Result['medians'] = {};
  for (const mode of modes) {
    const rs = reps.map((r) => r[mode]).filter((r): r is W4Run => r !== undefined);
    medians[mode] = { p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), p999: median(rs.map((r) => r.p999)), envoyCpuUs: median(rs.map((r) => r.envoyCpuUs)), authzCpuUs: median(rs.map((r) => r.authzCpuUs)), rps: median(rs.map((r) => r.rps)) };
  }
  return { rps: opts.rps, seconds: opts.seconds, reps, medians };
}

/** W4's goals: what the sidecar adds over Envoy alone, and against what opa-envoy-plugin adds. */
export function w4Goals(w4: W4Result): Goal[] {
  const { off, stepup, opa } = w4.medians;
  if (!off || !stepup) return [];
  const ms = (x: number) => `${x.toFixed(3)} ms`;
  const add50 = stepup.p50 - off.p50;
  const add99 = stepup.p99 - off.p99;
  const goals: Goal[] = [
    { id: 'W4', what: `added p50 over Envoy alone at ${w4.rps} rps`, goal: '≤ 0.5 ms', measured: ms(add50), met: add50 <= 0.5 },
    { id: 'W4', what: `added p99 over Envoy alone at ${w4.rps} rps`, goal: '≤ 1.5 ms', measured: ms(add99), met: add99 <= 1.5 },
  ];
  if (opa) {
    const o50 = opa.p50 - off.p50;
    const o99 = opa.p99 - off.p99;
    goals.push({ id: 'W4', what: 'added p50 / p99: sidecar vs opa-envoy-plugin', goal: '≤ opa', measured: `${ms(add50)} / ${ms(add99)} vs ${ms(o50)} / ${ms(o99)}`, met: add50 <= o50 && add99 <= o99 });
  }
  return goals;
}
