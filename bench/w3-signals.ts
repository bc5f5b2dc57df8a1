#!/usr/bin/env node
// W3 of perf.md, a first cut: the cost of keeping signals in Redis. Two
// sidecars with the same 20-rule policy (conditions read signals, so every
// Check gathers them), one with the memory store and one with Redis, pinned to
// core 0; this client on core 1 sends the same kind of CheckRequest to each in
// turn (1,000 distinct subjects, tokens verified once and then cached) and
// reports the p50/p99 latency of each, side by side, per round and the median
// over rounds. Closed loop, one request in flight: the difference of the two
// p50s is what one Redis round trip (plus the write after it) costs.
// redis-server runs on any core unless --redis-core says which. Also reports
// the floor: a bare ioredis GET round trip from this process, same Redis.
//   node dist/bench/w3-signals.js [--rounds 5] [--requests 4000] [--redis-core 0|1|any]
import * as grpc from '@grpc/grpc-js';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startRedis } from '../harness/redis.js';
import { tempDir, writeTemp } from '../harness/processes.js';
import { startSidecar, type SidecarHandle } from '../harness/sidecar.js';
import { TestIssuer } from '../harness/test-issuer.js';
import { loadAuthorizationService } from '../sidecar/envoy/protos.js';

const SUBJECTS = 1000;

function policy(issuer: TestIssuer): string {
  const rules = Array.from({ length: 18 }, (_v, i) => `    - {name: r${i}, match: {paths: ["/v1/area${i}/**"]}, when: "signals.risk.score > 90 || request.body.amount > 1000000", require: {level: mfa}}`);
  return `apiVersion: stepup.dev/v1alpha1
kind: StepUpPolicy
metadata: {name: w3, namespace: bench}
spec:
  issuers: [{issuer: "${issuer.url}", jwksUri: "${issuer.jwksUri}", audiences: [payments-api]}]
  levels: [{name: basic, acr: ["1"]}, {name: mfa, acr: ["2"]}]
  ipLists: [{name: tor, flagged: true, cidrs: ["198.51.100.0/24"]}]
  devices: {trustLevel: mfa}
  rules:
    - {name: transfer, match: {methods: [POST], paths: ["/v1/transfers"]}, when: "request.body.amount > 10000 || signals.ip.flagged || signals.activity.rate > 100000", require: {level: mfa}}
    - {name: device, match: {methods: [POST], paths: ["/v1/transfers"]}, when: "!signals.device.known && signals.travel.impossible", require: {level: mfa}}
${rules.join('\n')}
`;
}

type CheckFn = (request: unknown) => Promise<{ status?: { code?: number } }>;

function client(port: number): CheckFn {
  const Client = grpc.makeGenericClientConstructor(loadAuthorizationService(), 'Authorization');
  const c = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as { Check: (r: unknown, cb: (e: Error | null, v: { status?: { code?: number } }) => void) => void };
  return (request) => new Promise((resolve, reject) => c.Check(request, (err, value) => (err ? reject(err) : resolve(value))));
}

function checkRequest(token: string, i: number): unknown {
  const body = JSON.stringify({ amount: 50, to: 'bob', memo: 'rent' });
  return {
    attributes: {
      source: { address: { socketAddress: { address: '10.1.2.3', portValue: 40000 } } },
      request: {
        http: {
          method: 'POST',
          path: '/v1/transfers',
          host: 'payments.example.com',
          scheme: 'https',
          headers: { ':method': 'POST', ':path': '/v1/transfers', ':authority': 'payments.example.com', authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-device-id': `device-${i}`, 'x-request-id': `req-${i}`, accept: 'application/json', 'user-agent': 'bench/1.0' },
          rawBody: Buffer.from(body),
        },
      },
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

interface Sample {
  p50: number;
  p99: number;
  /** Answers other than allow (e.g. a store read past its 50 ms limit fails closed). */
  refused: number;
}

async function measure(check: CheckFn, tokens: string[], n: number, offset: number): Promise<Sample> {
  const times: number[] = [];
  let refused = 0;
  for (let k = 0; k < n; k++) {
    const i = (offset + k) % tokens.length;
    const started = process.hrtime.bigint();
    const answer = await check(checkRequest(tokens[i] as string, i));
    times.push(Number(process.hrtime.bigint() - started) / 1000);
    if (answer.status?.code !== 0) refused++;
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), refused };
}

/** Pins a process to one core when taskset is there (perf.md: system under test on core 0, load on core 1). */
function pin(pid: number | undefined, core: number): void {
  if (pid !== undefined) spawnSync('taskset', ['-pc', String(core), String(pid)], { stdio: 'ignore' });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** p50 of a bare GET round trip to Redis from this process: the floor one read cannot beat. */
async function redisFloor(url: string, n: number): Promise<number> {
  const { Redis } = await import('ioredis');
  const c = new Redis(url);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = process.hrtime.bigint();
    await c.get('w3-floor');
    times.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  c.disconnect();
  return percentile(times.sort((a, b) => a - b), 0.5);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, requests: { type: 'string', default: '4000' }, 'redis-core': { type: 'string', default: 'any' } } });
  const rounds = Number(values.rounds);
  const requests = Number(values.requests);
  const redis = await startRedis();
  const issuer = await TestIssuer.start();
  const file = writeTemp(tempDir('w3'), 'policy.yaml', policy(issuer));
  const sidecars: Record<'memory' | 'redis', SidecarHandle> = {
    memory: await startSidecar(file, ['--log-level', 'silent', '--deadline-ms', '1000']),
    redis: await startSidecar(file, ['--log-level', 'silent', '--deadline-ms', '1000', '--redis', redis.url]),
  };
  for (const pid of [sidecars.memory.child.pid, sidecars.redis.child.pid]) pin(pid, 0);
  if (values['redis-core'] !== 'any') pin(redis.process().child.pid, Number(values['redis-core']));
  pin(process.pid, 1);
  const tokens = await Promise.all(Array.from({ length: SUBJECTS }, (_v, i) => issuer.token({ sub: `user-${i}`, acr: '1', auth_time: Math.floor(Date.now() / 1000) })));
  const checks = { memory: client(sidecars.memory.grpcPort), redis: client(sidecars.redis.grpcPort) };
  for (const id of ['memory', 'redis'] as const) await measure(checks[id], tokens, SUBJECTS * 2, 0); // warm-up: every token verified and cached
  const rows: { round: number; memory: Sample; redis: Sample; floor: number }[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['memory', 'redis'] as const) : (['redis', 'memory'] as const);
    const row = { round } as (typeof rows)[number];
    for (const id of order) row[id] = await measure(checks[id], tokens, requests, round * 97);
    row.floor = await redisFloor(redis.url, 2000);
    rows.push(row);
    process.stderr.write(`round ${round + 1}: memory p50 ${row.memory.p50.toFixed(0)} µs p99 ${row.memory.p99.toFixed(0)} µs | redis p50 ${row.redis.p50.toFixed(0)} µs p99 ${row.redis.p99.toFixed(0)} µs | +${(row.redis.p50 - row.memory.p50).toFixed(0)} µs | bare GET p50 ${row.floor.toFixed(0)} µs | refused ${row.memory.refused}/${row.redis.refused}\n`);
  }
  const m = (id: 'memory' | 'redis', k: 'p50' | 'p99') => median(rows.map((r) => r[id][k]));
  const summary = { workload: 'W3', rounds, requestsPerRound: requests, subjects: SUBJECTS, p50_us: { memory: m('memory', 'p50'), redis: m('redis', 'p50') }, p99_us: { memory: m('memory', 'p99'), redis: m('redis', 'p99') }, redisAddsP50_us: median(rows.map((r) => r.redis.p50 - r.memory.p50)), bareRedisGetP50_us: median(rows.map((r) => r.floor)), redisCore: values['redis-core'], refused: { memory: rows.reduce((n, r) => n + r.memory.refused, 0), redis: rows.reduce((n, r) => n + r.redis.refused, 0) } };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  // Kept for docs/benchmarks.md (bench/w3-report.ts renders it on every bench run).
  mkdirSync(join('bench', 'results'), { recursive: true });
  writeFileSync(join('bench', 'results', 'w3-signals.json'), `${JSON.stringify({ ...summary, date: new Date().toISOString(), rows }, null, 2)}\n`);
  await sidecars.memory.stop();
  await sidecars.redis.stop();
  await issuer.close();
  await redis.stop();
  process.exit(0);
}

await main();
