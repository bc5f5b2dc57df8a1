// docs/benchmarks.md and docs/benchmarks-w1.svg, generated from one run's
// results: the goals, the medians, the side-by-side ratios, the method and
// the machine. Rewritten by every run; not edited by hand.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GcWindow } from './gc-pauses.js';
import type { BenchResults } from './results.js';
import { extrasIn, median, type SystemId } from './summary.js';
import { barChartSvg } from './svg-chart.js';
import { int, LABELS, ms, pct } from './report-format.js';
import { profileSection } from './profile-report.js';
import { w3Section } from './w3-report.js';
import { w4Section } from './w4-report.js';
import { memorySection } from './w5-report.js';
import { w6Section } from './w6-report.js';
import { w7Section } from './w7-report.js';

const NAMES: Record<SystemId, string> = {
  noop: 'no-op grpc-js server',
  w1: 'sidecar, W1 (cached tokens)',
  w2: 'sidecar, W2 (new token each request)',
  opa: 'opa-envoy-plugin, W1 (same rules in Rego)',
  before: 'sidecar, W1, baseline build (before)',
};
const COLORS = { noop: '#7f8c8d', w1: '#2e86c1', w2: '#8e44ad', opa: '#c0392b', before: '#aab7b8', verify: '#d68910', p50: '#5dade2', p99: '#2874a6', p999: '#1b2631' };


/** The systems of this run, in table order. */
function idsIn(r: BenchResults): SystemId[] {
  return ['noop', 'w1', 'w2', ...extrasIn(r.reps)];
}

function chart(r: BenchResults): string {
  const m = r.summary.medians;
  const extras = extrasIn(r.reps);
  const extraBars = (value: (id: 'opa' | 'before') => number) => extras.map((id) => ({ label: LABELS[id], bars: [{ value: value(id), color: COLORS[id] }] }));
  const rps = r.options.rps.toLocaleString('en-US');
  return barChartSvg(
    [
      {
        title: `Max throughput, one core (req/s, median of ${r.options.reps})`,
        groups: [
          { label: 'no-op', bars: [{ value: m.noop.maxRps, color: COLORS.noop }] },
          { label: 'sidecar W1', bars: [{ value: m.w1.maxRps, color: COLORS.w1 }] },
          { label: 'sidecar W2', bars: [{ value: m.w2.maxRps, color: COLORS.w2 }] },
          ...extraBars((id) => m[id]?.maxRps ?? Number.NaN),
          { label: 'ES256 verify', bars: [{ value: m.verifySync, color: COLORS.verify }] },
        ],
        goals: [
          { value: 0.8 * m.noop.maxRps, label: 'W1 goal: 80% no-op', color: COLORS.w1 },
          { value: 0.8 * m.verifySync, label: 'W2 goal: 80% verify', color: COLORS.w2 },
        ],
        format: (v) => (v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 || v % 1000 === 0 ? 0 : 1)}k` : v.toFixed(0)),
      },
      {
        title: 'Server CPU per request (µs), closed loop',
        groups: [
          { label: 'no-op', bars: [{ value: m.noop.cpuUsClosed, color: COLORS.noop }] },
          { label: 'sidecar W1', bars: [{ value: m.w1.cpuUsClosed, color: COLORS.w1 }] },
          { label: 'sidecar W2', bars: [{ value: m.w2.cpuUsClosed, color: COLORS.w2 }] },
          ...extraBars((id) => m[id]?.cpuUsClosed ?? Number.NaN),
          { label: 'ES256 verify', bars: [{ value: 1e6 / m.verifySyncPerCpuSecond, color: COLORS.verify }] },
        ],
        goals: [
          { value: m.noop.cpuUsClosed / 0.8, label: 'W1 goal: ≤ no-op ÷ 0.8', color: COLORS.w1 },
          { value: 1e6 / m.verifySyncPerCpuSecond / 0.8, label: 'W2 goal: ≤ verify ÷ 0.8', color: COLORS.w2 },
        ],
        format: (v) => v.toFixed(0),
      },
      {
        title: `Latency at ${rps} rps, open loop (ms, log scale)`,
        groups: idsIn(r).map((id) => ({
          label: LABELS[id],
          bars: [
            { value: m[id]?.p50 ?? Number.NaN, color: COLORS.p50, series: 'p50' },
            { value: m[id]?.p99 ?? Number.NaN, color: COLORS.p99, series: 'p99' },
            { value: m[id]?.p999 ?? Number.NaN, color: COLORS.p999, series: 'p99.9' },
          ],
        })),
        goals: [
          { value: 1, label: 'W1 p99 goal: 1 ms', color: COLORS.p99 },
          { value: 5, label: 'W1 p99.9 goal: 5 ms', color: COLORS.p999 },
        ],
        format: (v) => (v < 1 ? v.toFixed(v < 0.1 ? 3 : 2) : v < 10 ? v.toFixed(1) : v.toFixed(0)),
        log: true,
      },
    ],
    `stepup benchmark ${r.date.slice(0, 10)}: server on core 0, ghz on core 1; ${r.machine.cpuModel}, Node ${r.machine.node}`,
  );
}

function resultsTable(r: BenchResults): string[] {
  const m = r.summary.medians;
  const rows = idsIn(r).map((id) => {
    const s = m[id];
    if (!s) return `| ${NAMES[id]} | n/a |`;
    return `| ${NAMES[id]} | ${int(s.maxRps)} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.p999)} | ${int(s.openRps)} | ${s.cpuUsClosed.toFixed(0)} | ${pct(s.serverShareClosed)} | ${pct(s.othersOnServerCore)} | ${s.ghzCpuUsClosed.toFixed(0)} | ${pct(s.ghzShareClosed)} |`;
  });
  return [
    `| system (one core) | max throughput, req/s | p50 ms | p99 ms | p99.9 ms | achieved rps | server CPU µs/request | server's share of core ${r.options.serverCpu} | other processes on core ${r.options.serverCpu} | ghz CPU µs/request | ghz's share of core ${r.options.loadCpu} |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    `| raw ES256 verify, node:crypto \`crypto.verify\` | ${int(m.verifySync)} | | | | | ${(1e6 / m.verifySyncPerCpuSecond).toFixed(0)} | | | | |`,
    `| raw ES256 verify, WebCrypto \`subtle.verify\` (jose's path) | ${int(m.verifyWebcrypto)} | | | | | | | | | |`,
    '',
    `Latency columns: open loop at ${r.options.rps.toLocaleString('en-US')} rps. Throughput, CPU and shares: closed loop, over the load window. If the server's share of its core is well under 100% in the closed loop, it was not the bottleneck: other processes on its core, or ghz (its share near 100%), set the pace.`,
  ];
}

function ratiosList(r: BenchResults): string[] {
  const q = r.summary.ratios;
  const each = (x: { perRep: number[] }) => x.perRep.map((v) => v.toFixed(2)).join(', ');
  return [
    `- W1 / no-op throughput: **${q.w1VsNoop.median.toFixed(2)}** (per repetition: ${each(q.w1VsNoop)})`,
    `- W2 / raw node:crypto ES256 verify rate: **${q.w2VsVerifySync.median.toFixed(2)}** (${each(q.w2VsVerifySync)})`,
    `- W2 / WebCrypto verify rate: ${q.w2VsVerifyWebcrypto.median.toFixed(2)} (${each(q.w2VsVerifyWebcrypto)})`,
    `- W2 / no-op throughput: ${q.w2VsNoop.median.toFixed(2)} (${each(q.w2VsNoop)})`,
    '',
    'The same ratios from CPU time per request (no-op µs ÷ W1 µs; W2 Checks per CPU second ÷ verifications per CPU second), which a neighbour taking turns on the core changes much less than it changes throughput:',
    '',
    `- W1 / no-op, by CPU time: **${q.w1VsNoopByCpu.median.toFixed(2)}** (${each(q.w1VsNoopByCpu)})`,
    `- W2 / raw ES256 verify, by CPU time: **${q.w2VsVerifySyncByCpu.median.toFixed(2)}** (${each(q.w2VsVerifySyncByCpu)})`,
    ...(q.w1VsOpa && q.w1VsOpaByCpu
      ? [
          '',
          'Against the peer, opa-envoy-plugin with the same 20 rules in Rego (bench/opa/policy.rego), same requests, same core:',
          '',
          `- W1 / opa-envoy-plugin throughput: **${q.w1VsOpa.median.toFixed(2)}×** (${each(q.w1VsOpa)})`,
          `- opa-envoy-plugin CPU per Check ÷ the sidecar's: **${q.w1VsOpaByCpu.median.toFixed(2)}×** (${each(q.w1VsOpaByCpu)}; above 1: the sidecar is cheaper)`,
        ]
      : []),
    ...(q.w1VsBeforeByCpu
      ? ['', `- Baseline build's CPU per W1 Check ÷ this build's: **${q.w1VsBeforeByCpu.median.toFixed(2)}×** (${each(q.w1VsBeforeByCpu)}; above 1: this build is cheaper)`]
      : []),
    '',
    ...budgetLines(r),
  ];
}

/** What the W1 and W2 throughput goals leave for the decision itself, from this run's CPU per request. */
function budgetLines(r: BenchResults): string[] {
  const m = r.summary.medians;
  const noop = m.noop.cpuUsClosed;
  const w1 = m.w1.cpuUsClosed;
  const w2 = m.w2.cpuUsClosed;
  const verify = 1e6 / m.verifySyncPerCpuSecond;
  if (![noop, w1, w2, verify].every(Number.isFinite)) return [];
  return [
    `What the throughput goals leave, from this run's CPU per request: the no-op server spends ${noop.toFixed(0)} µs per Check on gRPC, HTTP/2 and protobuf; W1 at 80% of its rate allows ${(noop / 0.8).toFixed(0)} µs in all, so ${(noop / 0.8 - noop).toFixed(0)} µs for everything the sidecar adds (token lookup, signals, ${r.policy.matchingBenchRequest} CEL conditions, the answer, the decision log line, metrics). The sidecar spends ${w1.toFixed(0)} µs: ${(w1 - noop).toFixed(0)} µs beyond the no-op. ` +
      `W2 at 80% of the raw verify rate allows ${(verify / 0.8).toFixed(0)} µs per Check, of which the signature alone takes ${verify.toFixed(0)} µs; the sidecar spends ${w2.toFixed(0)} µs, that is the W1 path plus ${(w2 - w1).toFixed(0)} µs of parsing and verifying the new token.`,
  ];
}

function perRunTable(r: BenchResults): string[] {
  const lines = [
    '| rep | system | run | requests | req/s | p50 ms | p99 ms | p99.9 ms | errors | server CPU µs/req | ghz CPU µs/req | server share | ghz share | server core busy | load core busy | steal | decisions |',
    '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  r.reps.forEach((rep, i) => {
    for (const id of idsIn(r)) {
      for (const kind of ['closed', 'open'] as const) {
        const x = rep.runs[id]?.[kind];
        if (!x) continue;
        const decisions = x.decisions ? Object.entries(x.decisions).map(([k, v]) => `${k}: ${v}`).join('; ') : '';
        lines.push(
          `| ${i + 1} | ${id} | ${kind} | ${int(x.count)} | ${int(x.rps)} | ${ms(x.p50)} | ${ms(x.p99)} | ${ms(x.p999)} | ${x.errors} | ${x.serverCpuUsPerRequest.toFixed(0)} | ${x.ghzCpuUsPerRequest.toFixed(0)} | ${pct(x.serverCpuShare)} | ${pct(x.ghzCpuShare)} | ${pct(x.serverCoreBusy)} | ${pct(x.loadCoreBusy)} | ${pct(x.steal)} | ${decisions} |`,
        );
      }
    }
    const v = rep.verify;
    lines.push(`| ${i + 1} | ES256 verify | | | ${int(v.syncPerSecond)} sync (${int(v.syncPerCpuSecond)}/CPU s); ${int(v.webcryptoPerSecond)} WebCrypto (${int(v.webcryptoPerCpuSecond)}/CPU s) | | | | | | | | | | | | |`);
  });
  return lines;
}

function gcSection(r: BenchResults): string[] {
  const gc = r.gc ?? {};
  const ids = (Object.keys(gc) as SystemId[]).filter((id) => (gc[id]?.length ?? 0) > 0);
  const head = ['### Garbage-collection pauses during the open-loop runs', ''];
  if (ids.length === 0) return [...head, 'Not recorded in this run.'];
  const rows = ids.map((id) => {
    const w = gc[id] as GcWindow[];
    const m = (f: (x: GcWindow) => number) => median(w.map(f));
    return `| ${LABELS[id]} | ${m((x) => x.minorPerSecond).toFixed(1)} | ${m((x) => x.minorP50Ms).toFixed(2)} | ${m((x) => x.minorMaxMs).toFixed(2)} | ${m((x) => x.major).toFixed(0)} | ${m((x) => x.majorMaxMs).toFixed(2)} | ${(m((x) => x.pausedShare) * 100).toFixed(2)}% |`;
  });
  return [
    ...head,
    `Every pause of each Node system while it served ${r.options.rps.toLocaleString('en-US')} req/s, recorded inside the process (bench/gc-observer.ts, loaded with \`--import\`; perf_hooks \`gc\` entries) and counted within the load window; medians over the repetitions. A request that arrives during a pause waits for it, so the longest pauses bound what p99 and p99.9 can be.`,
    '',
    '| system | scavenges/s | median scavenge ms | longest scavenge ms | full GCs | longest full GC ms | time in GC pauses |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ];
}

function method(r: BenchResults): string[] {
  const o = r.options;
  const q = r.request;
  return [
    `- **Systems**, each its own process pinned with \`taskset\` to core ${o.serverCpu} (every thread, checked in /proc): a no-op grpc-js server (bench/noop-server.ts: same protos via \`loadAuthorizationService\`, answers OK with an empty \`ok_response\`), and the real sidecar (dist/sidecar/main.js, started by harness/sidecar.ts with default flags: info-level decision log to a pipe, token cache 10,000 / 300 s). One sidecar process serves W1, another W2.${r.options.baseline ? ' With `--baseline`, a third sidecar process runs the build in that folder (the code before this change) under W1: before and after in the same run.' : ''}`,
    ...(extrasIn(r.reps).includes('opa')
      ? [
          `- **Peer**: opa-envoy-plugin (built from the Go module proxy by scripts/bench.sh, GOMAXPROCS follows the pinning: 1), loopback only, with bench/opa/policy.rego: the same 20 rules, levels and token checks (\`io.jwt.decode_verify\` with the issuer's JWKS given as data, ES256, iss, aud, exp), verified tokens cached by OPA's inter-query value cache for io.jwt (10,000 entries; ours: 10,000), console decision logs on (a line per Check, as ours; OPA's carries the whole input). Differences: OPA gathers no signals (quiet signals as data; the sidecar reads them from its in-memory store and derives rate, device and risk per Check), and its answer carries two headers, not our full set.`,
        ]
      : []),
    `- **Load**: ghz ${r.machine.ghz.split(' ')[0]} pinned to core ${o.loadCpu} (\`--cpus=1\`), one HTTP/2 connection, proto files from @grpc/grpc-js-xds \`deps/\`, data from \`--data-file\` (a JSON array: ghz sends item *request number mod length*). The bench runner itself (test issuer, reading the sidecar's log pipe) also runs on core ${o.loadCpu}.`,
    `- **Request**: a CheckRequest shaped after what Envoy 1.40 sends with deploy/envoy/envoy.yaml: POST ${q.path}, ${q.headers} headers (pseudo-headers included), ES256 bearer token (${q.tokenChars} chars), a ${q.bodyBytes}-byte JSON body in \`raw_body\` (pack_as_bytes), route context_extensions. ${int(q.wireBytes)} bytes serialized.`,
    `- **Policy**: one StepUpPolicy, ${r.policy.rules} rules, every one with a CEL \`when\` (paths, methods, body amounts, route context_extensions, identity, signals); ${r.policy.matchingBenchRequest} of them match the request, so ${r.policy.matchingBenchRequest} conditions are evaluated per Check, one fires (level mfa) and the token meets it: every answer is an allow (checked on the sidecar's decision counters for every run).`,
    `- **W1**: ${int(o.w1Tokens)} distinct tokens, all verified in a warm-up run right before each repetition's measured runs (so every measured request is a cache hit). The no-op server gets the same ${int(o.w1Tokens)} requests. **W2**: a new data file of never-sent tokens for every run, sized above what the run can send, so every request is a signature verification.`,
    `- **Runs**, per repetition and system: a warm-up (discarded), then (a) closed loop, ${o.concurrency} workers, ${o.seconds} s: max throughput; (b) open loop, \`--rps ${o.rps}\`, ${o.seconds} s: p50/p99/p99.9 from ghz's per-request latencies (nearest rank). ${o.reps} repetitions, the order of systems rotated each time; medians reported. Ratios are taken within each repetition, then their median.`,
    `- **Raw ES256 verify**: bench/es256-verify-rate.ts, pinned to core ${o.serverCpu}, ${o.verifySeconds} s per repetition: \`crypto.verify\` (sync, P-256/SHA-256, JWT-sized input): W2's yardstick; and \`crypto.subtle.verify\` with 64 in flight, the path jose takes.`,
    `- **CPU µs/request** is the server process's user+system time (all threads, /proc) over the run divided by the requests answered: less sensitive to a noisy neighbour than throughput. **Shares**: CPU time of the server process and of ghz over the load window (first request sent to last answer); ghz near 100% means the load generator, not the server, set the pace. Core busy (every process on the core) and steal come from /proc/stat.`,
    '- ghz\'s open loop is a rate-limited pool of workers: if every worker waits on a slow answer, sends are delayed (coordinated omission), so very high percentiles can be understated when the server stalls.',
    '- ghz turns each JSON item into a protobuf message on its first use and caches it: W1 pays that once per token, W2 on every request, which is why ghz costs more per request in W2. Should the sidecar ever approach ghz\'s rate on its core, W2 should move to `--binary-file`.',
  ];
}

function machineSection(r: BenchResults): string[] {
  const m = r.machine;
  return [
    `- ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB; ${m.os}, Linux ${m.kernel}`,
    `- Node ${m.node} (V8 ${m.v8}, OpenSSL ${m.openssl}); ${Object.entries(m.packages).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `- ghz ${m.ghz}`,
    ...(m.opa ? [`- opa-envoy-plugin ${m.opa}`] : []),
    `- load average (1, 5, 15 min) at start ${m.loadAverageAtStart.join(', ')}, at end ${r.loadAverageAtEnd.join(', ')}`,
  ];
}

/** Whether other processes shared the server core, which makes rates and tails provisional. */
function noiseNote(r: BenchResults): string {
  const m = r.summary.medians;
  const others = Math.max(m.noop.othersOnServerCore, m.w1.othersOnServerCore, m.w2.othersOnServerCore);
  if (others > 0.05) {
    return `> **Provisional**: other processes used up to ${pct(others)} of the server core during the closed-loop runs (median per system; load average ${r.machine.loadAverageAtStart[0]} at start, ${r.loadAverageAtEnd[0]} at end). Rates and latency tails are then set by the scheduler as much as by the code: trust the ratios by CPU time more than the wall-clock ones, and rerun on a quiet machine.`;
  }
  return `> The server core was not shared in the closed-loop runs (other processes ≤ 5% of it; load average ${r.machine.loadAverageAtStart[0]} at start).`;
}

/** The line saying which workloads this doc leaves out, and which come from runs of their own. */
function notMeasured(missing: string[], separate: string[]): string {
  const a = missing.length > 0 ? `Not measured here: ${missing.join(', ')}.` : 'Every workload of perf.md is measured.';
  return separate.length > 0 ? `${a} ${separate.join(', ')} ${separate.length > 1 ? 'are' : 'is'} below, each from its own run.` : a;
}

export function renderDoc(r: BenchResults, root: string): string {
  const w6 = w6Section(root);
  const w3 = w3Section(root);
  const w7 = w7Section(root);
  const warnings = r.warnings.length > 0 ? ['', '**Warnings from this run:**', '', ...r.warnings.map((w) => `- ${w}`)] : [];
  return [
    `# Benchmarks: W1, W2, ${w3.length > 0 ? 'W3, ' : ''}W4, W5${w7.length > 0 ? ', W6 and W7' : ' and W6'}`,
    '',
    `Generated by \`${r.command}\` on ${r.date} (${Math.round(r.elapsedSeconds / 60)} min). Rewritten by every run: rerun it rather than editing this file. Raw numbers: [bench/results/latest.json](../bench/results/latest.json). Workloads and goals: perf.md (W1, W2).`,
    '',
    'Rerun every figure with `bash scripts/bench.sh all` from the repository root (W3, W6, W7, then this run; about 15 minutes here), or this run alone with `bash scripts/bench.sh` (it provisions Node, the build, Envoy and ghz first; `--help` lists the flags, `--quick` is a one-minute smoke test). It needs two cores: the systems under test run on one, ghz on the other.',
    '',
    noiseNote(r),
    ...warnings,
    '',
    '## Goals',
    '',
    '| workload | what | goal | measured (median) | met |',
    '|---|---|---|---|---|',
    ...r.summary.goals.map((g) => `| ${g.id} | ${g.what} | ${g.goal} | ${g.measured} | ${g.met ? 'yes' : '**no**'} |`),
    '',
    notMeasured([
      ...(extrasIn(r.reps).includes('opa') ? [] : ['W1 against opa-envoy-plugin with an equivalent Rego policy']),
      ...(w3.length > 0 ? [] : ['W3']),
      ...(r.w4 ? [] : ['W4']),
      ...(r.memory.length > 0 ? [] : ['W5']),
      ...(w6.length > 0 ? [] : ['W6']),
      ...(w7.length > 0 ? [] : ['W7']),
    ], [w3.length > 0 ? 'W3' : '', w6.length > 0 ? 'W6' : '', w7.length > 0 ? 'W7' : ''].filter(Boolean)),
    '',
    '## Results',
    '',
    ...resultsTable(r),
    '',
    ...ratiosList(r),
    '',
    ...gcSection(r),
    '',
    '![Throughput, CPU per request and latency of the no-op server, the sidecar under W1 and W2, and raw ES256 verification](benchmarks-w1.svg)',
    '',
    ...w4Section(r),
    '',
    ...memorySection(r),
    '',
    ...(w3.length > 0 ? [...w3, ''] : []),
    ...(w6.length > 0 ? [...w6, ''] : []),
    ...(w7.length > 0 ? [...w7, ''] : []),
    '## Profiles of the sidecar',
    '',
    ...profileSection(r),
    '',
    '## Method',
    '',
    ...method(r),
    '',
    '## Machine and versions',
    '',
    ...machineSection(r),
    '',
    '## Every run',
    '',
    ...perRunTable(r),
    '',
  ].join('\n');
}

export function writeDocs(root: string, r: BenchResults): void {
  mkdirSync(join(root, 'docs'), { recursive: true });
  writeFileSync(join(root, 'docs', 'benchmarks.md'), renderDoc(r, root));
  writeFileSync(join(root, 'docs', 'benchmarks-w1.svg'), chart(r));
}
