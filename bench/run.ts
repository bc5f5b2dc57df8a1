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
import { describeMachine } from './machine.js';
import { HELP, OptionsError, parseOptions, type BenchOptions } from './options.js';
import { AUDIENCE, benchPolicyYaml, BENCH_RULES, rulesMatching } from './policy.js';
import { profileSidecar, type ProfileResult } from './profile-run.js';
import { writeDocs } from './report-doc.js';
import { writeResults, type BenchResults, type RequestShape } from './results.js';
import { summarize, type Repetition, type SystemId } from './summary.js';
import { checkOnce, startNoop, startPinnedSidecar, type CheckAnswer, type System } from './systems.js';
import { TokenMinter } from './tokens.js';
import { ALLOWED, systemRuns, verifyRate, type RunPlan } from './workload-runs.js';
import { Workloads } from './workloads.js';

const IDS: readonly SystemId[] = ['noop', 'w1', 'w2'];

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
async function sanityChecks(systems: Record<SystemId, System>, minter: TokenMinter): Promise<Record<SystemId, CheckAnswer>> {
  const out = {} as Record<SystemId, CheckAnswer>;
  for (const id of IDS) {
    // A subject number no workload uses, so no workload token is touched.
    out[id] = await checkOnce(systems[id].target, checkRequestObject(minter.mint(900_000_000), 0));
    const a = out[id];
    const fine = id === 'noop' ? a.allowed : a.allowed && `${a.outcome}/${a.reason}` === ALLOWED;
    if (!fine) throw new Error(`${systems[id].name} did not allow the bench request: ${JSON.stringify(a)}`);
  }
  return out;
}

function rotated(rep: number): SystemId[] {
  return IDS.map((_, i) => IDS[(i + rep) % IDS.length] as SystemId);
}

async function repetitions(plan: RunPlan, systems: Record<SystemId, System>): Promise<Repetition[]> {
  const reps: Repetition[] = [];
  for (let rep = 0; rep < plan.options.reps; rep++) {
    say(`repetition ${rep + 1}/${plan.options.reps}: raw ES256 verify rate`);
    const verify = await verifyRate(plan.options.serverCpu, plan.options.verifySeconds);
    const runs = {} as Repetition['runs'];
    for (const id of rotated(rep)) {
      say(`repetition ${rep + 1}/${plan.options.reps}: ${systems[id].name}`);
      runs[id] = await systemRuns(plan, id, systems[id]);
      say(`  max ${Math.round(runs[id].closed.rps)} req/s; at ${plan.options.rps} rps p50 ${runs[id].open.p50.toFixed(3)} p99 ${runs[id].open.p99.toFixed(3)} p99.9 ${runs[id].open.p999.toFixed(3)} ms`);
    }
    reps.push({ verify, runs });
  }
  return reps;
}

async function benchmark(options: BenchOptions, argv: readonly string[]): Promise<BenchResults> {
  const started = Date.now();
  const machine = describeMachine();
  const work = tempDir('bench');
  const issuer = await TestIssuer.start();
  const systems: Partial<Record<SystemId, System>> = {};
  try {
    const minter = new TokenMinter(issuer.keys[0] as SigningKey, { issuer: issuer.url, audience: AUDIENCE, acr: '2', amr: ['pwd', 'otp'] });
    const policyFile = writeTemp(work, 'policy.yaml', benchPolicyYaml(issuer.url, issuer.jwksUri));
    const workloads = new Workloads(minter, work, options.w1Tokens);
    const w1Data = workloads.w1(options.w1Tokens);
    say('starting the no-op server and two sidecars, pinned to core 0');
    systems.noop = await startNoop(options.serverCpu);
    systems.w1 = await startPinnedSidecar('sidecar W1', policyFile, options.serverCpu);
    systems.w2 = await startPinnedSidecar('sidecar W2', policyFile, options.serverCpu);
    const all = systems as Record<SystemId, System>;
    const sanity = await sanityChecks(all, minter);
    const plan: RunPlan = { options, ctx: { ghz: options.ghz, serverCpu: options.serverCpu, loadCpu: options.loadCpu, workDir: work }, workloads, w1Data, warnings: [], w2Rate: 0 };
    const reps = await repetitions(plan, all);
    const pinning = Object.fromEntries(IDS.map((id) => [id, all[id].affinity()])) as Record<SystemId, string[]>;
    for (const id of IDS) if (pinning[id].join() !== String(options.serverCpu)) plan.warnings.push(`${id}: threads allowed on cores ${pinning[id].join(' / ')}, not only ${options.serverCpu}`);
    const summary = summarize(reps, options.rps);
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
      command: ['scripts/bench.sh', ...argv].join(' '),
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
