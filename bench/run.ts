#!/usr/bin/env node
// The first benchmark: W1 and W2 of perf.md, side by side with the no-op
// grpc-js server and the raw ES256 verify rate, in one run. Entry point of
// scripts/bench.sh (which provisions Node, the build, Envoy and ghz first).
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../common/package-root.js';
import { tempDir, writeTemp } from '../harness/processes.js';
import { TestIssuer, type SigningKey } from '../harness/test-issuer.js';
import { loadAuthorizationService } from '../sidecar/envoy/protos.js';
import { checkRequestObject, REQUEST_BODY, REQUEST_HOST, REQUEST_PATH } from './check-request.js';
import { pinProcess } from './cpu.js';
import { gcInWindow, type GcWindow } from './gc-pauses.js';
import { describeMachine } from './machine.js';
import { HELP, OPA_VERSION, OptionsError, parseOptions, type BenchOptions } from './options.js';
import { AUDIENCE, benchPolicyYaml, BENCH_RULES, rulesMatching } from './policy.js';
import { profileSidecar, type ProfileResult } from './profile-run.js';
import { writeDocs } from './report-doc.js';
import { writeResults, type BenchResults, type RequestShape } from './results.js';
import { memoryGoals, memoryRuns, residentMiB, type MemoryResult } from './memory-run.js';
import { startOpa } from './opa-system.js';
import { w4Goals, w4Runs, type W4Result } from './w4-envoy.js';
import { summarize, type Repetition, type SystemId } from './summary.js';
import { checkOnce, startNoop, startPinnedSidecar, type CheckAnswer, type System } from './systems.js';
import { TokenMinter } from './tokens.js';
import { ALLOWED, systemRuns, verifyRate, type RunPlan } from './workload-runs.js';
import { Workloads } from './workloads.js';

/** The systems of this run, in the order of the first repetition. */
type Systems = Partial<Record<SystemId, System>>;

function idsOf(systems: Systems): SystemId[] {
  return (['noop', 'w1', 'w2', 'opa', 'before'] as const).filter((id) => systems[id]);
}

function say(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

function requestShape(minter: TokenMinter, jsonItemBytes: number): RequestShape {
  const token = minter.mint(0);
  const message = checkRequestObject(token, 0);
  const service = loadAuthorizationService();
  const wire = (service.Check as unknown as { requestSerialize(v: unknown): Buffer }).requestSerialize(message);
  const headers = (message as { attributes: { request: { http: { headers: object } } } }).attributes.request.http.headers;
  return { wireBytes: wire.length, headers: Object.keys(headers).length, bodyBytes: Buffer.byteLength(REQUEST_BODY), tokenChars: token.length, jsonItemBytes, path: REQUEST_PATH };
}

/** What each system answers to the bench request; the sidecars must allow it. */
async function sanityChecks(systems: Systems, minter: TokenMinter): Promise<Partial<Record<SystemId, CheckAnswer>>> {
  const out: Partial<Record<SystemId, CheckAnswer>> = {};
  for (const id of idsOf(systems)) {
    const system = systems[id] as System;
    // A subject number no workload uses, so no workload token is touched.
    const a = await checkOnce(system.target, checkRequestObject(minter.mint(900_000_000), 0));
    out[id] = a;
    // The no-op and OPA answer no stepup outcome: allowed is all they say.
    const fine = id === 'noop' || id === 'opa' ? a.allowed : a.allowed && `${a.outcome}/${a.reason}` === ALLOWED;
    if (!fine) throw new Error(`${system.name} did not allow the bench request: ${JSON.stringify(a)}`);
  }
  return out;
}

function rotated(ids: readonly SystemId[], rep: number): SystemId[] {
  return ids.map((_, i) => ids[(i + rep) % ids.length] as SystemId);
}

async function repetitions(plan: RunPlan, systems: Systems): Promise<Repetition[]> {
  const reps: Repetition[] = [];
  for (let rep = 0; rep < plan.options.reps; rep++) {
    say(`repetition ${rep + 1}/${plan.options.reps}: raw ES256 verify rate`);
    const verify = await verifyRate(plan.options.serverCpu, plan.options.verifySeconds);
    const runs = {} as Repetition['runs'];
    for (const id of rotated(idsOf(systems), rep)) {
      const system = systems[id] as System;
      say(`repetition ${rep + 1}/${plan.options.reps}: ${system.name}`);
      const done = await systemRuns(plan, id, system);
      runs[id] = done;
      say(`  max ${Math.round(done.closed.rps)} req/s (${Math.round(done.closed.serverCpuUsPerRequest)} µs CPU each); at ${plan.options.rps} rps p50 ${done.open.p50.toFixed(3)} p99 ${done.open.p99.toFixed(3)} p99.9 ${done.open.p999.toFixed(3)} ms`);
    }
    reps.push({ verify, runs });
  }
  return reps;
}

/** Per system, per repetition: the GC pauses inside its open-loop run (systems already stopped). */
function gcOfOpenRuns(reps: readonly Repetition[], systems: Systems): Partial<Record<SystemId, GcWindow[]>> {
  const out: Partial<Record<SystemId, GcWindow[]>> = {};
  for (const id of idsOf(systems)) {
    const pauses = (systems[id] as System).gcPauses();
    if (pauses.length === 0) continue;
    out[id] = reps.flatMap((rep) => {
      const open = rep.runs[id]?.open;
      return open ? [gcInWindow(pauses, open.loadStartMs, open.loadEndMs)] : [];
    });
  }
  return out;
}

async function benchmark(options: BenchOptions, argv: readonly string[]): Promise<BenchResults> {
  const started = Date.now();
  const machine = describeMachine(options.opa ? OPA_VERSION : undefined);
  const work = tempDir('bench');
  const issuer = await TestIssuer.start();
  const systems: Systems = {};
  try {
    const minter = new TokenMinter(issuer.keys[0] as SigningKey, { issuer: issuer.url, audience: AUDIENCE, acr: '2', amr: ['pwd', 'otp'] });
    const policyFile = writeTemp(work, 'policy.yaml', benchPolicyYaml(issuer.url, issuer.jwksUri));
    const workloads = new Workloads(minter, work, options.w1Tokens);
    const w1Data = workloads.w1(options.w1Tokens);
    say(`starting the no-op server, two sidecars${options.opa ? ', opa-envoy-plugin' : ''}${options.baseline ? ', the baseline sidecar' : ''}, pinned to core ${options.serverCpu}`);
    systems.noop = await startNoop(options.serverCpu);
    systems.w1 = await startPinnedSidecar('sidecar W1', policyFile, options.serverCpu);
    systems.w2 = await startPinnedSidecar('sidecar W2', policyFile, options.serverCpu);
    const opaSetup = options.opa ? { binary: options.opa, workDir: work, issuerUrl: issuer.url, jwks: await (await fetch(issuer.jwksUri)).text() } : undefined;
    if (opaSetup) systems.opa = await startOpa(opaSetup, options.serverCpu);
    if (options.baseline) systems.before = await startPinnedSidecar('sidecar W1, baseline build', policyFile, options.serverCpu, undefined, options.baseline);
    const all = systems;
    const sanity = await sanityChecks(all, minter);
    const plan: RunPlan = { options, ctx: { ghz: options.ghz, serverCpu: options.serverCpu, loadCpu: options.loadCpu, workDir: work }, workloads, w1Data, warnings: [], w2Rate: 0 };
    const reps = await repetitions(plan, all);
    const ids = idsOf(all);
    const pinning = Object.fromEntries(ids.map((id) => [id, (all[id] as System).affinity()])) as Record<string, string[]>;
    for (const id of ids) if (pinning[id]?.join() !== String(options.serverCpu)) plan.warnings.push(`${id}: threads allowed on cores ${(pinning[id] ?? []).join(' / ')}, not only ${options.serverCpu}`);
    const residentAfterRuns = Object.fromEntries(ids.map((id) => [id, residentMiB((all[id] as System).pid)]));
    const summary = summarize(reps, options.rps);
    let w4: W4Result | undefined;
    if (options.w4 && all.w1) {
      say(`W4: through Envoy at ${options.rps} rps: ext_authz off / sidecar${all.opa ? ' / opa-envoy-plugin' : ''}`);
      w4 = await w4Runs({ stepup: all.w1, ...(all.opa ? { opa: all.opa } : {}) }, minter.mintMany(options.w1Tokens, 0), { rps: options.rps, seconds: options.seconds, reps: options.reps, serverCpu: options.serverCpu }, say);
      summary.goals.push(...w4Goals(w4));
    }
    // The main systems are idle from here on: stop them (so W5 has the core and memory to itself,
    // and each Node system writes its GC pauses), then count the pauses of every open-loop run.
    for (const id of ids) await all[id]?.stop();
    const gc = gcOfOpenRuns(reps, all);
    for (const id of ids) delete systems[id];
    let memory: MemoryResult[] = [];
    if (options.memory) {
      memory = await memoryRuns(plan, { issuerUrl: issuer.url, jwksUri: issuer.jwksUri, minter, ...(opaSetup ? { opa: opaSetup } : {}) }, say);
      summary.goals.push(...memoryGoals(memory));
    }
    const profiles: ProfileResult[] = [];
    for (const workload of ['W1', 'W2'] as const) {
      const missed = summary.goals.some((g) => g.id === workload && !g.met);
      if (options.profile === 'always' || (options.profile === 'auto' && missed)) {
        say(`profiling a sidecar under ${workload} (node --cpu-prof)`);
        profiles.push(await profileSidecar(plan, policyFile, workload, join(options.outRoot, 'bench', 'results', `sidecar-${workload.toLowerCase()}.cpuprofile`)));
      }
    }
    const { ghz: _ghz, outRoot: _root, ...recorded } = options;
    return {
      date: new Date().toISOString(),
      // scripts/bench.sh all names itself; otherwise this run was the whole command.
      command: process.env.STEPUP_BENCH_COMMAND ?? ['scripts/bench.sh', ...argv].join(' '),
      elapsedSeconds: Math.round((Date.now() - started) / 1000),
      options: recorded,
      machine,
      loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
      request: requestShape(minter, w1Data.itemJsonBytes),
      policy: { rules: BENCH_RULES.length, matchingBenchRequest: rulesMatching({ method: 'POST', path: REQUEST_PATH, host: REQUEST_HOST }) },
      sanity,
      pinning,
      reps,
      summary,
      warnings: plan.warnings,
      profiles,
      ...(w4 ? { w4 } : {}),
      memory,
      residentAfterRuns,
      gc,
    };
  } finally {
    for (const s of Object.values(systems)) await s.stop();
    await issuer.close();
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(argv, process.env, packageRoot());
  } catch (err) {
    if (!(err instanceof OptionsError)) throw err;
    process.stderr.write(`bench: ${err.message}\n\n${HELP}\n`);
    process.exit(2);
  }
  if (options === 'help') return void process.stdout.write(`${HELP}\n`);
  // The runner (test issuer, the sidecars' log pipes) shares the load core with ghz.
  pinProcess(process.pid, options.loadCpu);
  const results = await benchmark(options, argv);
  const file = join(options.outRoot, 'bench', 'results', 'latest.json');
  writeResults(file, results);
  if (!options.noDocs) writeDocs(options.outRoot, results);
  say(`results in ${file}${options.noDocs ? '' : ', docs/benchmarks.md and docs/benchmarks-w1.svg'}`);
  for (const g of results.summary.goals) say(`${g.id} ${g.what}: ${g.measured} (goal ${g.goal}) ${g.met ? 'met' : 'MISSED'}`);
  for (const w of results.warnings) say(`warning: ${w}`);
  process.exit(0);
}

await main();
