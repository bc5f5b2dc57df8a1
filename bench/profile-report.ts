// The "Profiles of the sidecar" section of docs/benchmarks.md: where a Check's CPU time went.
import { int } from './report-format.js';
import type { BenchResults } from './results.js';

function oneProfile(p: BenchResults['profiles'][number]): string[] {
  const code = (name: string) => `\`${name.replace(/\|/g, '\\|')}\``;
  const share = (x: number) => `${x.toFixed(1)}% (${((x / 100) * p.cpuUsPerCheck).toFixed(1)} µs)`;
  return [
    `### ${p.workload}`,
    '',
    `A separate sidecar process started with \`node --cpu-prof\` (pinned like the others) ran a warm-up and one closed-loop run of ${p.workload}, ${p.seconds} s at ${int(p.rps)} req/s while profiled. ` +
      `Only the samples of that run are counted: ${int(p.windowMs)} ms, ${int(p.busyMs)} ms of them not idle. Shares are of the not-idle samples; the µs next to them apply a share to the **${p.cpuUsPerCheck.toFixed(0)} µs of CPU per Check** the process used in that run (all threads, profiler included). The profile: \`${p.file.replace(/^.*\/bench\//, 'bench/')}\` (not committed; open it in Chrome DevTools).`,
    '',
    'By area. *Self*: in the area\'s own frames. *Inclusive*: in stacks passing through the area (it and what it calls; async continuations count where they resume, so callers of everything read high).',
    '',
    '| area | self | inclusive |',
    '|---|---:|---:|',
    ...p.areas.map((a) => `| ${a.name} | ${share(a.selfPct)} | ${a.name.startsWith('(') ? '' : share(a.inclusivePct)} |`),
    '',
    'Top functions by self time:',
    '',
    '| function | self |',
    '|---|---:|',
    ...p.topFunctions.map((f) => `| ${code(f.name)} | ${share(f.pct)} |`),
    '',
    "The project's own functions by inclusive time:",
    '',
    '| function | inclusive |',
    '|---|---:|',
    ...p.ownInclusive.map((f) => `| ${code(f.name)} | ${share(f.pct)} |`),
  ];
}

export function profileSection(r: BenchResults): string[] {
  if (r.profiles.length === 0) return ['No profile was taken in this run (every goal was met, or `--profile never`).'];
  return r.profiles.flatMap((p) => [...oneProfile(p), '']);
}
