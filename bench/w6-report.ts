// The W6 section of docs/benchmarks.md, made from the files bench/w6-fanout.ts
// writes (bench/results/w6-fanout-<sidecars>.json), so the generated doc
// keeps it across runs of scripts/bench.sh.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

interface W6Result {
  sidecars: number;
  runs: { p50Ms: number; p99Ms: number; statusInSyncMs: number }[];
  medians: { p50Ms: number; p99Ms: number; statusInSyncMs: number };
  memory: { rssPerSidecarBytes: number; heapPerSidecarBytes: number };
  connectAllMs?: number;
  streamRestarts?: number;
}

const GOAL_MS: Record<number, number> = { 1000: 1000, 10000: 5000 };
const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
const range = (xs: number[]) => `${ms(Math.min(...xs))}–${ms(Math.max(...xs))}`;

export function w6Results(root: string): W6Result[] {
  const dir = join(root, 'bench', 'results');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^w6-fanout-\d+\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as W6Result)
    .sort((a, b) => a.sidecars - b.sidecars);
}

/** Markdown lines of the W6 section; empty when W6 was never run. */
export function w6Section(root: string): string[] {
  const results = w6Results(root);
  if (results.length === 0) return [];
  const rows = results.map((r) => {
    const goal = GOAL_MS[r.sidecars];
    const met = goal === undefined ? '' : r.medians.p99Ms <= goal ? ` (goal ≤ ${ms(goal)}: met)` : ` (goal ≤ ${ms(goal)}: **not met**)`;
    const kb = (b: number) => `${Math.round(b / 1024)} KiB`;
    return `| ${r.sidecars.toLocaleString('en-US')} | ${r.runs.length} | ${ms(r.medians.p50Ms)} (${range(r.runs.map((x) => x.p50Ms))}) | ${ms(r.medians.p99Ms)} (${range(r.runs.map((x) => x.p99Ms))})${met} | ${ms(r.medians.statusInSyncMs)} | ${kb(r.memory.rssPerSidecarBytes)} RSS, ${kb(r.memory.heapPerSidecarBytes)} V8 heap |`;
  });
  return [
    '## W6: controller fan-out',
    '',
    'From `bench/w6-fanout.ts` (`taskset -c 1 node dist/bench/w6-fanout.js --sidecars N`); `bash scripts/bench.sh all` runs it for 1,000 and 10,000: a real kube-apiserver, the controller pinned to core 0, N simulated sidecars (own gRPC connection each, ACK on receipt) on core 1; one StepUpPolicy change selecting all of them. Times run from the PATCH to the API server. Raw numbers: `bench/results/w6-fanout-*.json`; method and caveats: docs/controller.md.',
    '',
    '| sidecars | runs | new snapshot received, p50 (range) | p99 (range) | status N/N in sync | controller memory per sidecar |',
    '|---|---|---|---|---|---|',
    ...rows,
  ];
}
