// The W4 section of docs/benchmarks.md: end to end through Envoy.
import type { BenchResults } from './results.js';
import { int, ms } from './report-format.js';

export function w4Section(r: BenchResults): string[] {
  const head = ['## W4: end to end through Envoy', ''];
  const w = r.w4;
  if (!w) return [...head, 'Not run (`--no-w4`).'];
  const names = { off: 'Envoy alone (ext_authz off on the route)', stepup: 'Envoy + stepup sidecar', opa: 'Envoy + opa-envoy-plugin' } as const;
  const off = w.medians.off;
  const rows = (['off', 'stepup', 'opa'] as const).flatMap((mode) => {
    const m = w.medians[mode];
    if (!m) return [];
    const added = off && mode !== 'off' ? `${ms(m.p50 - off.p50)} / ${ms(m.p99 - off.p99)}` : '';
    // Answers other than 200 per repetition: a 503 is Envoy's ext_authz timeout (0.2 s) or failure.
    const refused = w.reps.map((rep) => {
      const run = rep[mode];
      return run ? `${Object.entries(run.statuses).filter(([status]) => status !== '200').reduce((sum, [, count]) => sum + count, 0) + run.errors}/${run.sent}` : 'n/a';
    });
    return [`| ${names[mode]} | ${ms(m.p50)} | ${ms(m.p99)} | ${ms(m.p999)} | ${added} | ${int(m.rps)} | ${refused.join(', ')} | ${m.envoyCpuUs.toFixed(0)} | ${mode === 'off' ? '' : m.authzCpuUs.toFixed(0)} |`];
  });
  return [
    ...head,
    `Envoy ${'1.40.0'} with deploy/envoy/envoy.yaml, its route turned into a direct response (200 "ok") and one worker thread (\`--concurrency 1\`, so one HTTP/2 connection to the authz server), pinned with the authz server to core ${r.options.serverCpu}. Load: bench/http-open-loop.ts in the bench runner on core ${r.options.loadCpu}, HTTP/1.1 keep-alive, open loop at ${w.rps.toLocaleString('en-US')} req/s for ${w.seconds} s after a warm-up that sends every one of the ${int(r.options.w1Tokens)} tokens (so the measured requests are cache hits), the W1 request (POST with the JSON body and a bearer token). Latency is timed from each request's send. ${r.options.reps} repetitions, order rotated; medians.`,
    '',
    '| configuration | p50 ms | p99 ms | p99.9 ms | added p50 / p99 ms | answers/s | not 200 (per repetition) | Envoy CPU µs/request | authz CPU µs/request |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    'Envoy and the authz server share one core here, as in a pod limited to one CPU: when their CPU per request times the rate nears a second per second, requests queue until Envoy\'s ext_authz timeout (0.2 s) answers 503, which the *not 200* column counts.',
  ];
}
