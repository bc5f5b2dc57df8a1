// The W7 section of docs/benchmarks.md, from bench/results/w7-workers.json
// (written by bench/w7-workers.ts), so the generated doc keeps it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { median } from './summary.js';
import type { W7Medians, W7Result } from './w7-workers.js';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number) => `${(n * 100).toFixed(1)}%`;

/** Markdown lines of the W7 section; empty when W7 was never run. */
export function w7Section(root: string): string[] {
  const file = join(root, 'bench', 'results', 'w7-workers.json');
  if (!existsSync(file)) return [];
  const r = JSON.parse(readFileSync(file, 'utf8')) as W7Result;
  /** Cores the sidecar kept busy (CPU seconds of primary and workers per second), median over its runs. */
  const coresUsed = (id: 'one' | 'many') => median(r.runs.filter((x) => x.config === id).map((x) => x.sidecarCpuSeconds.reduce((a, b) => a + b, 0) / x.seconds));
  const row = (label: string, m: W7Medians, id: 'one' | 'many') =>
    `| ${label} | ${int(m.rps)} (${r.runs.filter((x) => x.config === id).map((x) => int(x.rps)).join(', ')}) | ${coresUsed(id).toFixed(2)} | ${int(m.sidecarCpuUsPerRequest)} µs | ${pct(m.loadGeneratorShare)} (${m.loadGeneratorCpuUsPerRequest.toFixed(1)} µs/request) | ${pct(m.othersShare)} |`;
  const split = r.runs
    .filter((x) => x.config === 'many')
    .map((x) => x.sidecarCpuSeconds.slice(1).map((s) => s.toFixed(1)).join(' / '))
    .join('; ');
  const one = coresUsed('one');
  const many = coresUsed('many');
  const bound = many / one;
  const missing = r.met
    ? ''
    : ` It falls short by ${(r.goal - r.ratio).toFixed(2)}×. Why: one worker already keeps ${one.toFixed(2)} cores busy (its JavaScript thread plus V8's garbage-collector and libuv threads and the kernel's network time), while ${r.workers} workers reach ${many.toFixed(2)} of the 2 cores (the load generator takes ${pct(r.medians.many.loadGeneratorShare)} of them, other processes ${pct(r.medians.many.othersShare)}): the sidecar's CPU can only grow ${bound.toFixed(2)}×, and throughput follows it (CPU per request ${int(r.medians.one.sidecarCpuUsPerRequest)} µs with one worker, ${int(r.medians.many.sidecarCpuUsPerRequest)} µs with ${r.workers}). More than 1.7× on two cores would need the single process to stay within one core.`;
  return [
    `## W7: two cores, --workers ${r.workers} against --workers 1`,
    '',
    `From \`bench/w7-workers.ts\` (\`bash scripts/bench.sh w7\` runs \`${r.command}\`), run ${r.date.slice(0, 10)}. Both configurations get the same placement: the sidecar (primary and workers) and the load generator all allowed on cores ${r.cores}, closed loop, ${r.connections} HTTP/2 connections × ${r.streams} streams in flight, ${r.reps} repetitions of ${r.seconds} s alternating the order, medians${r.maxOthers !== undefined ? `; each pair waited for quiet cores, and a pair during which other processes took more than ${Math.round(r.maxOthers * 100)}% of the two cores was measured again (${(r.discarded?.length ?? 0) / 2} pair(s) set aside, kept in the JSON)` : ''}. Load generator: ${r.loadGenerator}, one thread, replaying W1's serialized CheckRequest (one ES256 token, verified once, then cached). Policy: W1's rules minus the 6 that read stored signals (${r.rules} rules left), since the in-memory store refuses those with several workers; no Redis. Node ${r.node}; load average ${r.loadAverageAtStart[0]} at start, ${r.loadAverageAtEnd[0]} at end (the machine is shared).`,
    '',
    '| sidecar | throughput, req/s (each repetition) | cores busy with the sidecar | sidecar CPU per request (primary + workers) | load generator CPU (of 2 cores) | other processes (of 2 cores) |',
    '|---|---|---|---|---|---|',
    row('--workers 1', r.medians.one, 'one'),
    row(`--workers ${r.workers}`, r.medians.many, 'many'),
    '',
    `--workers ${r.workers} / --workers 1: **${r.ratio.toFixed(2)}×** (per repetition: ${r.ratios.map((x) => `${x.toFixed(2)}×`).join(', ')}); goal ≥ ${r.goal}×: ${r.met ? 'met' : '**not met**'}.${missing} CPU seconds of each worker per run (balance of the round-robin hand-off): ${split}.`,
  ];
}
