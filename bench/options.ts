// The benchmark's configuration: flags, then STEPUP_* environment variables,
// then defaults. Read once at start and frozen; no other bench module reads
// process.env or argv.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Repetitions of every measured run; medians are reported. */
  readonly reps: number;
  /** Seconds of each measured run. */
  readonly seconds: number;
  /** Closed-loop concurrency of the max-throughput runs. */
  readonly concurrency: number;
  /** Request rate of the open-loop latency runs. */
  readonly rps: number;
  /** Distinct tokens of W1. */
  readonly w1Tokens: number;
  /** Seconds of the raw ES256 verify measurement. */
  readonly verifySeconds: number;
  /** When to profile a sidecar under W1 and W2: when the workload misses a goal, always, or never. */
  readonly profile: 'auto' | 'always' | 'never';
  /** The ghz binary. */
  readonly ghz: string;
  /** The core the systems under test run on, and the one for the load generator. */
  readonly serverCpu: number;
  readonly loadCpu: number;
  /** Where results/latest.json, the doc and the chart go (the package root). */
  readonly outRoot: string;
  /** Leave docs/ alone (results JSON only): for trial runs. */
  readonly noDocs: boolean;
  /** The opa-envoy-plugin binary of the peer runs, or undefined to leave the peer out. */
  readonly opa: string | undefined;
  /** Run W5 (memory with 10 and 1,000 rules). */
  readonly memory: boolean;
  /** Run W4 (end to end through Envoy). */
  readonly w4: boolean;
  /** Package root of an earlier build whose dist/sidecar/main.js also runs W1 (before/after), if given. */
  readonly baseline: string | undefined;
}

export class OptionsError extends Error {}

export const HELP = `Usage: scripts/bench.sh [flags]   (or: node dist/bench/run.js [flags])

Runs W1 and W2 of perf.md against a no-op grpc-js server and the real sidecar,
side by side, and writes bench/results/latest.json, docs/benchmarks.md and
docs/benchmarks-w1.svg.

  --reps <n>            repetitions, medians reported (default 3)
  --seconds <n>         length of each measured run (default 10)
  --concurrency <n>     closed-loop workers of the max-throughput runs (default 50)
  --rps <n>             rate of the open-loop latency runs (default 1000)
  --w1-tokens <n>       distinct tokens of W1 (default 1000)
  --verify-seconds <n>  length of the raw ES256 verify measurement (default 3)
  --profile auto|always|never
                        profile a sidecar with --cpu-prof under W1 (and W2) when
                        that workload misses a goal (auto, default), always, or never
  --quick               --reps 1 --seconds 3 --verify-seconds 1: a smoke test
  --no-docs             write only bench/results/latest.json
  --no-w4               skip W4 (end to end through a real Envoy, open loop)
  --no-memory           skip W5 (resident memory with 10 and 1,000 rules)
  --no-opa              leave out the opa-envoy-plugin peer (W1)
  --baseline <dir>      also run W1 on the sidecar built in <dir> (a package
                        root with dist/): before/after in the same run
  --help

W7 (--workers 2 against --workers 1 on the same two cores) is a run of its
own: bash scripts/bench.sh w7 [--reps 5] [--seconds 8] [--no-docs]
(bench/w7-workers.ts; it adds its section to docs/benchmarks.md).
Every figure of docs/benchmarks.md in one command (W3, W6, W7, then this
run with the flags given; about 15 minutes): bash scripts/bench.sh all [flags]

Environment: STEPUP_GHZ (ghz binary; default ~/.cache/stepup/go-bin/ghz),
STEPUP_OPA (opa-envoy-plugin binary; default
~/.cache/stepup/opa-envoy-plugin-<version>/opa-envoy-plugin, where
scripts/bench.sh builds it), STEPUP_CACHE (default ~/.cache/stepup).`;

export const OPA_VERSION = 'v1.12.0-envoy';

function positiveInt(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new OptionsError(`--${flag} must be a whole number >= 1, got "${raw}"`);
  return Number(raw);
}

function ghzPath(env: Readonly<Record<string, string | undefined>>): string {
  if (env.STEPUP_GHZ) return env.STEPUP_GHZ;
  const cache = env.STEPUP_CACHE ?? join(homedir(), '.cache', 'stepup');
  return join(cache, 'go-bin', 'ghz');
}

function opaPath(env: Readonly<Record<string, string | undefined>>): string {
  if (env.STEPUP_OPA) return env.STEPUP_OPA;
  const cache = env.STEPUP_CACHE ?? join(homedir(), '.cache', 'stepup');
  return join(cache, `opa-envoy-plugin-${OPA_VERSION}`, 'opa-envoy-plugin');
}

export function parseOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, outRoot: string): BenchOptions | 'help' {
  const spec = {
    reps: { type: 'string' },
    seconds: { type: 'string' },
    concurrency: { type: 'string' },
    rps: { type: 'string' },
    'w1-tokens': { type: 'string' },
    'verify-seconds': { type: 'string' },
    profile: { type: 'string' },
    quick: { type: 'boolean' },
    'no-docs': { type: 'boolean' },
    'no-opa': { type: 'boolean' },
    'no-memory': { type: 'boolean' },
    'no-w4': { type: 'boolean' },
    baseline: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: spec, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new OptionsError((err as Error).message);
  }
  if (values.help) return 'help';
  const quick = values.quick === true;
  const profile = values.profile ?? 'auto';
  if (profile !== 'auto' && profile !== 'always' && profile !== 'never') throw new OptionsError(`--profile must be auto, always or never, got "${profile}"`);
  const ghz = ghzPath(env);
  const opa = values['no-opa'] === true ? undefined : opaPath(env);
  if (opa !== undefined && !existsSync(opa)) throw new OptionsError(`opa-envoy-plugin is not at ${opa}: run scripts/bench.sh (it builds it), set STEPUP_OPA, or pass --no-opa`);
  const baseline = values.baseline;
  if (baseline !== undefined && !existsSync(join(baseline, 'dist', 'sidecar', 'main.js'))) throw new OptionsError(`--baseline ${baseline}: no dist/sidecar/main.js there (build it first)`);
  if (!existsSync(ghz)) throw new OptionsError(`ghz is not at ${ghz}: run scripts/bench.sh (it installs ghz) or set STEPUP_GHZ`);
  return Object.freeze({
    reps: positiveInt('reps', values.reps, quick ? 1 : 3),
    seconds: positiveInt('seconds', values.seconds, quick ? 3 : 10),
    concurrency: positiveInt('concurrency', values.concurrency, 50),
    rps: positiveInt('rps', values.rps, 1000),
    w1Tokens: positiveInt('w1-tokens', values['w1-tokens'], 1000),
    verifySeconds: positiveInt('verify-seconds', values['verify-seconds'], quick ? 1 : 3),
    profile,
    ghz,
    serverCpu: 0,
    loadCpu: 1,
    outRoot,
    noDocs: values['no-docs'] === true,
    opa,
    memory: values['no-memory'] !== true,
    w4: values['no-w4'] !== true,
    baseline,
  });
}
