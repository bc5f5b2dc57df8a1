// The W5 section of docs/benchmarks.md: resident memory.
import type { MemoryResult } from './memory-run.js';
import { int, LABELS } from './report-format.js';
import type { BenchResults } from './results.js';
import type { SystemId } from './summary.js';

export function memorySection(r: BenchResults): string[] {
  const after = r.residentAfterRuns ?? {};
  const mib = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x.toFixed(1) : 'n/a');
  const lines = [
    '## W5: resident memory',
    '',
    'Fresh processes per rule count, pinned like the others: resident set (VmRSS) once started and answering, then after a warm-up and a closed-loop W1 run, and the peak (VmHWM). 10 rules: the first 10 bench rules; 1,000: the 20 and 980 generated rules on other paths (POST `/v2/generated/<i>/**`, a CEL condition on the body and the route; the same in Rego).',
    '',
  ];
  if (r.memory.length === 0) return [...lines, 'Not run (`--no-memory`).'];
  const row = (name: string, rules: number, p: MemoryResult['sidecar'] | undefined) =>
    p ? `| ${name} | ${rules.toLocaleString('en-US')} | ${mib(p.idleRssMiB)} | ${mib(p.loadedRssMiB)} | ${mib(p.peakRssMiB)} | ${int(p.rps)} | ${p.cpuUsPerRequest.toFixed(0)} |` : `| ${name} | ${rules.toLocaleString('en-US')} | not run | | | | |`;
  return [
    ...lines,
    '| system | rules | idle RSS MiB | RSS after W1 MiB | peak MiB | W1 req/s (closed loop) | CPU µs/request |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.memory.flatMap((m) => [row('stepup sidecar', m.rules, m.sidecar), row('opa-envoy-plugin', m.rules, m.opa)]),
    '',
    `After every repetition's runs (20 rules; MiB, resident / peak): ${Object.entries(after).map(([id, v]) => `${LABELS[id as SystemId]} ${mib(v?.rss)} / ${mib(v?.peak)}`).join('; ')}.`,
  ];
}
