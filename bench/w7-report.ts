// The W7 section of docs/benchmarks.md, from bench/results/w7-workers.json
// (written by bench/w7-workers.ts), so the generated doc keeps it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Medians {
  rps: number;
  sidecarCpuUsPerRequest: number;
  loadGeneratorShare: number;
  loadGeneratorCpuUsPerRequest: number;
  othersShare: number;
  coresBusy: number;
}

interface W7Result {
  date: string;
  command: string;
  reps: number;
  seconds: number;
  connections: number;
  streams: number;
  workers: number;
  cores: string;
  rules: number;
  loadGenerator: string;
  node: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd: number[];
  runs: { config: 'one' | 'many'; rps: number; sidecarCpuSeconds: number[] }[];
  medians: { one: Medians; many: Medians };
  ratios: number[];
  ratio: number;
  goal: number;
  met: boolean;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number) => `${(n * 100).toFixed(1)}%`;

/** Markdown lines of the W7 section; empty when W7 was never run. */
export function w7Section(root: string): string[] {
  const file = join(root, 'bench', 'results', 'w7-workers.json');
  if (!existsSync(file)) return [];
  const r = JSON.parse(readFileSync(file, 'utf8')) as W7Result;
  const row = (label: string, m: Medians, id: 'one' | 'many') =>
    `| ${label} | ${int(m.rps)} (${r.runs.filter((x) => x.config === id).map((x) => int(x.rps)).join(', ')}) | ${int(m.sidecarCpuUsPerRequest)} µs | ${pct(m.loadGeneratorShare)} (${m.loadGeneratorCpuUsPerRequest.toFixed(1)} µs/request) | ${pct(m.othersShare)} |`;
  const split = r.runs
    .filter((x) => x.config === 'many')
    .map((x) => x.sidecarCpuSeconds.slice(1).map((s) => s.toFixed(1)).join(' / '))
    .join('; ');
  const missing = r.met ? '' : ` The ratio falls short by ${(r.goal - r.ratio).toFixed(2)}: the load generator's share of the same two cores, the primary's connection hand-off and the other processes on the machine (last column) all come out of the second core the second worker needs.`;
  return [
    `## W7: two cores, --workers ${r.workers} against --workers 1`,
    '',
    `From \`bench/w7-workers.ts\` (\`bash scripts/bench.sh w7\` runs \`${r.command}\`), run ${r.date.slice(0, 10)}. Both configurations get the same placement: the sidecar (primary and workers) and the load generator all allowed on cores ${r.cores}, closed loop, ${r.connections} HTTP/2 connections × ${r.streams} streams in flight, ${r.reps} repetitions of ${r.seconds} s alternating the order, medians. Load generator: ${r.loadGenerator}, one thread, replaying W1's serialized CheckRequest (one ES256 token, verified once, then cached). Policy: W1's rules minus the 6 that read stored signals (${r.rules} rules left), since the in-memory store refuses those with several workers; no Redis. Node ${r.node}; load average ${r.loadAverageAtStart[0]} at start, ${r.loadAverageAtEnd[0]} at end (the machine is shared).`,
    '',
    '| sidecar | throughput, req/s (each repetition) | sidecar CPU per request (primary + workers) | load generator CPU (of 2 cores) | other processes (of 2 cores) |',
    '|---|---|---|---|---|',
    row('--workers 1', r.medians.one, 'one'),
    row(`--workers ${r.workers}`, r.medians.many, 'many'),
    '',
    `--workers ${r.workers} / --workers 1: **${r.ratio.toFixed(2)}×** (per repetition: ${r.ratios.map((x) => `${x.toFixed(2)}×`).join(', ')}); goal ≥ ${r.goal}×: ${r.met ? 'met' : '**not met**'}.${missing} CPU seconds of each worker per run (balance of the round-robin hand-off): ${split}.`,
  ];
}
