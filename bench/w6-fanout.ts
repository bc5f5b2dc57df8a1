// W6 (shared perf.md): controller fan-out. A real kube-apiserver, the real
// controller (pinned to core 0 when taskset exists) and N simulated sidecars
// on their own gRPC connections in this process. One StepUpPolicy change;
// measured: time from the PATCH to each sidecar receiving (and ACKing) the
// new snapshot (p50, p99, max), time until the policy's status says N/N in
// sync, and the controller's memory per connected sidecar.
//
//   taskset -c 1 node dist/bench/w6-fanout.js [--sidecars 1000] [--runs 5] [--out bench/results/w6-fanout-<sidecars>.json]
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { distributionClient, type DistributionClient, type WireControllerMessage } from '../common/distribution/protocol.js';
import { packageRoot } from '../common/package-root.js';
import { controllerEntry, makeSigningKeyFiles } from '../harness/controller.js';
import { kubeUp, type KubeEnv } from '../harness/kube.js';
import { freePort, startProcess, waitFor, type Running } from '../harness/processes.js';
import { KubeRest, loadKubeConfig, MERGE_PATCH } from '../controller/kube/rest.js';

interface Sim {
  client: DistributionClient;
  versions: Map<string, number>;
  last: string;
  reconnects: number;
}

const { values } = parseArgs({ options: { sidecars: { type: 'string', default: '1000' }, runs: { type: 'string', default: '5' }, out: { type: 'string' } } });
const N = Number(values.sidecars);
let closing = false;
const RUNS = Number(values.runs);
const OUT = values.out ?? join('bench', 'results', `w6-fanout-${N}.json`);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const round = (n: number) => Math.round(n * 10) / 10;

function hasTaskset(): boolean {
  return spawnSync('taskset', ['--version']).status === 0;
}

async function startPinnedController(kube: KubeEnv, key: string): Promise<{ proc: Running; address: string; httpPort: number }> {
  const port = await freePort();
  const httpPort = await freePort();
  const args = [controllerEntry(), '--kubeconfig', kube.kubeconfig, '--insecure', '--signing-key-file', key, '--distribution-listen', `127.0.0.1:${port}`, '--http-listen', `127.0.0.1:${httpPort}`, '--status-interval-ms', '200', '--report-interval', '5', '--log-level', 'warn'];
  const proc = hasTaskset() ? startProcess('controller', 'taskset', ['-c', '0', process.execPath, ...args]) : startProcess('controller', process.execPath, args);
  await waitFor('the controller to be ready', async () => (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).ok, 60_000, proc);
  await new Promise((r) => setTimeout(r, 500)); // the gRPC server binds right after readiness
  return { proc, address: `127.0.0.1:${port}`, httpPort };
}

/** The controller's resident set (its node process, also under taskset) and V8 heap in use, in bytes. */
async function controllerMemory(proc: Running, httpPort: number): Promise<{ rss: number; heapUsed: number }> {
  const status = readFileSync(`/proc/${proc.child.pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const heapUsed = Number(/^stepup_controller_nodejs_heap_size_used_bytes (\S+)/m.exec(metrics)?.[1] ?? NaN);
  return { rss, heapUsed };
}

/** One simulated sidecar: its own connection; like a real one, it reconnects (after 0.5-1 s) when its stream fails. */
function connect(address: string, i: number): Sim {
  const client = distributionClient(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  const sim: Sim = { client, versions: new Map(), last: '', reconnects: 0 };
  open(sim, i);
  return sim;
}

function open(sim: Sim, i: number): void {
  const call = sim.client.Stream();
  call.on('data', (msg: WireControllerMessage) => {
    if (!msg.snapshot) return;
    const at = performance.now();
    sim.versions.set(msg.snapshot.version, at);
    sim.last = msg.snapshot.version;
    call.write({ ack: { version: msg.snapshot.version } });
  });
  call.on('error', () => {
    if (closing) return;
    sim.reconnects++;
    setTimeout(() => !closing && open(sim, i), 500 + Math.random() * 500);
  });
  call.write({ hello: { podName: `sim-${i}`, podNamespace: 'bench', labels: { app: `app-${i % 10}` }, identityToken: '', currentVersion: sim.last, agentVersion: 'w6-bench' } });
}

const policy = (rules: number) => ({
  apiVersion: 'stepup.dev/v1alpha1',
  kind: 'StepUpPolicy',
  metadata: { name: 'fanout', namespace: 'bench' },
  spec: { rules: Array.from({ length: rules }, (_, i) => ({ name: `deny-${i}`, match: { paths: [`/r${i}/**`] }, action: 'Deny' })) },
});

async function main(): Promise<void> {
  const kube = await kubeUp();
  const started: Running[] = [];
  try {
    await kube.kubectl(['apply', '-f', join(packageRoot(), 'deploy', 'crds')]);
    await kube.kubectl(['wait', '--for=condition=Established', 'crd/stepuppolicies.stepup.dev', '--timeout=30s']);
    for (const ns of ['bench', 'stepup-system']) await kube.apply(`apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n`);
    await kube.apply(JSON.stringify(policy(1)));
    const keys = makeSigningKeyFiles();
    const ctl = await startPinnedController(kube, keys.privateKey);
    started.push(ctl.proc);
    await new Promise((r) => setTimeout(r, 2000));
    const idle = await controllerMemory(ctl.proc, ctl.httpPort);

    const sims: Sim[] = [];
    for (let i = 0; i < N; i++) {
      sims.push(connect(ctl.address, i));
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 50));
    }
    const connectStart = performance.now();
    await waitFor(`${N} simulated sidecars to get their first snapshot`, async () => sims.every((s) => s.last !== ''), Math.max(120_000, N * 30));
    const connectMs = performance.now() - connectStart;
    await new Promise((r) => setTimeout(r, 3000));
    const connected = await controllerMemory(ctl.proc, ctl.httpPort);

    const rest = new KubeRest(loadKubeConfig(kube.kubeconfig));
    const path = '/apis/stepup.dev/v1alpha1/namespaces/bench/stepuppolicies/fanout';
    const runs = [];
    for (let r = 1; r <= RUNS; r++) {
      const before = sims.map((s) => s.last);
      const t0 = performance.now();
      const updated = await rest.request<{ metadata: { generation: number } }>('PATCH', path, { spec: policy(r + 1).spec }, MERGE_PATCH);
      await waitFor(`run ${r}: every sidecar to get the new snapshot`, async () => sims.every((s, i) => s.last !== before[i]), 60_000);
      const latencies = sims.map((s) => (s.versions.get(s.last) as number) - t0).sort((a, b) => a - b);
      await waitFor(`run ${r}: status ${N}/${N} at generation ${updated.metadata.generation}`, async () => {
        const p = await rest.get<{ status?: { observedGeneration?: number; sidecars?: { summary?: string } } }>(path);
        return p.status?.observedGeneration === updated.metadata.generation && p.status?.sidecars?.summary === `${N}/${N}`;
      }, 60_000);
      const statusMs = performance.now() - t0;
      runs.push({ run: r, p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)), maxMs: round(latencies.at(-1) as number), statusInSyncMs: round(statusMs) });
      process.stderr.write(`run ${r}: ${JSON.stringify(runs.at(-1))}\n`);
      await new Promise((res) => setTimeout(res, 1000));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const result = {
      workload: 'W6',
      sidecars: N,
      connectAllMs: round(connectMs),
      streamRestarts: sims.reduce((n, s) => n + s.reconnects, 0),
      runs,
      medians: { p50Ms: median(runs.map((x) => x.p50Ms)), p99Ms: median(runs.map((x) => x.p99Ms)), maxMs: median(runs.map((x) => x.maxMs)), statusInSyncMs: median(runs.map((x) => x.statusInSyncMs)) },
      memory: {
        idleRssBytes: idle.rss,
        connectedRssBytes: connected.rss,
        rssPerSidecarBytes: Math.round((connected.rss - idle.rss) / N),
        heapPerSidecarBytes: Math.round((connected.heapUsed - idle.heapUsed) / N),
      },
      machine: { cpus: cpus().length, node: process.version, controllerPinned: hasTaskset() ? 'core 0' : 'no (taskset missing)' },
      notes: 'insecure mode (no TokenReview per connection); snapshots signed (Ed25519); every simulated sidecar ACKs on receipt',
    };
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    closing = true;
    for (const s of sims) s.client.close();
  } finally {
    for (const p of started) await p.stop();
    await kube.down();
  }
}

await main();
process.exit(0);
