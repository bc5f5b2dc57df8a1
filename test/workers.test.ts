// --workers 2: a real sidecar primary with two worker processes behind a real
// Envoy (4 worker threads, so several connections to the sidecar), and with a
// real Redis. Which worker decided is read from the decision log (every
// worker's lines carry its pid).
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEnvoy, type EnvoyHandle } from '../harness/envoy.js';
import { send, type Reply } from '../harness/http-client.js';
import { freePort, startProcess, tempDir, waitFor, writeTemp } from '../harness/processes.js';
import { startRedis, type RedisHandle } from '../harness/redis.js';
import { decisionLines, logLines, sidecarEntry, startSidecar, type SidecarHandle } from '../harness/sidecar.js';
import { TestIssuer } from '../harness/test-issuer.js';
import { startUpstream, type Upstream } from '../harness/upstream.js';
import { directCheck, servingWorkers } from './support/direct-check.js';
import { testPolicy } from './support/stack.js';

/** Rules that keep state in the signal store: refused with 2 workers on the memory store. */
const STATEFUL_RULES = `    - name: burst
      match: {paths: ["/v1/rate/**"]}
      when: "signals.activity.rate > 5"
      action: Deny
    - name: one-time
      match: {paths: ["/v1/once/**"]}
      require: {level: basic, singleUse: true}
`;

const now = () => Math.floor(Date.now() / 1000);

interface Setup {
  issuer: TestIssuer;
  upstream: Upstream;
  sidecar: SidecarHandle;
  envoy: EnvoyHandle;
  policyFile: string;
  /** Through Envoy, on a new client connection each time (so Envoy's threads all get work). */
  call(path: string, headers?: Record<string, string>): Promise<Reply>;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

async function setUp(args: string[], extraRules = ''): Promise<Setup> {
  const issuer = await TestIssuer.start();
  const policyFile = writeTemp(tempDir('workers'), 'policy.yaml', testPolicy(issuer, extraRules));
  const upstream = await startUpstream();
  const sidecar = await startSidecar(policyFile, ['--workers', '2', ...args]);
  const envoy = await startEnvoy({ authz: sidecar.grpcPort, app: upstream.port }, { concurrency: 4 });
  return {
    issuer,
    upstream,
    sidecar,
    envoy,
    policyFile,
    call: (path, headers = {}) => send(`${envoy.url}${path}`, { headers: { connection: 'close', ...headers } }),
    metrics: async () => (await send(`http://127.0.0.1:${sidecar.httpPort}/metrics`)).body,
    stop: async () => {
      await envoy.stop();
      await sidecar.stop();
      await upstream.close();
      await issuer.close();
    },
  };
}

/** The value of one sample line of a Prometheus text page, e.g. `stepup_sidecar_workers{state="serving"}`. */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no sample ${name} in:\n${text.slice(0, 2000)}`);
  return Number(line.slice(name.length + 1));
}

function sum(text: string, prefix: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('two workers, memory store, through Envoy', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setUp(['--log-level', 'info']);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('both workers answer Checks; the port is shared and /readyz and /metrics cover both', async () => {
    const workers = servingWorkers(s.sidecar);
    expect(workers).toHaveLength(2);
    expect(workers).not.toContain(s.sidecar.child.pid);
    const serving = logLines(s.sidecar).find((l) => l.role === 'primary' && l.msg === 'stepup-sidecar serving');
    expect(serving).toMatchObject({ port: s.sidecar.grpcPort, workers: 2 });

    // New client connections land on Envoy's threads; each thread has its own
    // connection to the sidecar, handed to the workers in turn.
    let sent = 0;
    const deciders = new Set<unknown>();
    while (deciders.size < 2 && sent < 200) {
      const open = await s.call('/v1/open/thing');
      const blocked = await s.call('/v1/blocked/thing');
      sent += 2;
      expect([open.status, blocked.status]).toEqual([200, 403]);
      await waitFor('the decision lines', async () => decisionLines(s.sidecar).length >= sent, 5000);
      for (const d of decisionLines(s.sidecar)) deciders.add(d.pid);
    }
    expect([...deciders].sort()).toEqual([...workers].sort());
    expect(s.upstream.seen.map((r) => r.url).filter((u) => u.includes('blocked'))).toEqual([]);

    const ready = await send(`http://127.0.0.1:${s.sidecar.httpPort}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatch(/^ready: 2\/2 workers ready; policies \w+; signals memory/);

    const text = await s.metrics();
    expect(sample(text, 'stepup_sidecar_workers{state="serving"}')).toBe(2);
    // every decision of both workers, added up
    expect(sum(text, 'stepup_decisions_total{')).toBe(sent);
    expect(sample(text, 'stepup_decisions_total{outcome="deny",reason="deny_rule"}')).toBe(sent / 2);
    expect(sample(text, 'stepup_decision_duration_seconds_count{outcome="deny"}')).toBe(sent / 2);
    // the same policies in both workers: counted once, not once per worker
    expect(sample(text, 'stepup_policy_reloads_total{result="ok"}')).toBe(1);
  });

  it('a killed worker is replaced; meanwhile every Check is answered or refused, never let through wrongly', async () => {
    const [victim, survivor] = servingWorkers(s.sidecar) as [number, number];
    const before = s.upstream.seen.length;
    process.kill(victim, 'SIGKILL');
    const readyz = await send(`http://127.0.0.1:${s.sidecar.httpPort}/readyz`);
    // checked after the answer: if no replacement served by then, the sidecar was not ready
    if (servingWorkers(s.sidecar).length < 3) expect(readyz).toMatchObject({ status: 503, body: expect.stringMatching(/^not ready: 1\/2 workers ready/) });
    const statuses: number[] = [];
    // while the worker is away: the other one answers, or Envoy fails closed (503)
    while (servingWorkers(s.sidecar).length < 3) {
      const open = await s.call('/v1/open/meanwhile');
      const blocked = await s.call('/v1/blocked/meanwhile');
      expect([200, 503]).toContain(open.status);
      expect([403, 503]).toContain(blocked.status);
      statuses.push(open.status, blocked.status);
      if (statuses.length > 2000) throw new Error('no replacement worker after 1,000 round trips');
    }
    expect(statuses.length).toBeGreaterThan(0);
    const upstreamSaw = s.upstream.seen.slice(before).map((r) => r.url);
    expect(upstreamSaw.every((u) => u === '/v1/open/meanwhile')).toBe(true);
    expect(upstreamSaw.length).toBe(statuses.filter((c) => c === 200).length);

    const replacement = servingWorkers(s.sidecar)[2] as number;
    expect(replacement).not.toBe(victim);
    const ended = logLines(s.sidecar).find((l) => l.role === 'primary' && l.msg === 'worker ended');
    expect(ended).toMatchObject({ pid: victim, signal: 'SIGKILL' });
    expect(logLines(s.sidecar).some((l) => l.role === 'primary' && l.msg === 'replacing the worker' && typeof l.retry_in_ms === 'number')).toBe(true);

    await waitFor('/readyz to say ready again', async () => (await send(`http://127.0.0.1:${s.sidecar.httpPort}/readyz`)).body.startsWith('ready: 2/2'), 20_000);
    // Envoy's connections moved to the survivor while the worker was away and
    // stay there; the replacement takes new connections (on the same port).
    let seen = false;
    for (let i = 0; i < 20 && !seen; i++) {
      const count = decisionLines(s.sidecar).length;
      expect(await directCheck(s.sidecar.grpcPort, '/v1/blocked/direct')).toEqual({ code: 7, status: 'Forbidden' });
      await waitFor('the decision line', async () => decisionLines(s.sidecar).length > count, 5000);
      seen = decisionLines(s.sidecar).some((d) => d.pid === replacement);
    }
    expect(seen).toBe(true);
    expect(decisionLines(s.sidecar).filter((d) => d.pid === victim).length).toBeGreaterThan(0);
    expect(survivor).not.toBe(victim);
    const text = await s.metrics();
    expect(sample(text, 'stepup_sidecar_worker_restarts_total')).toBe(1);
    expect(sample(text, 'stepup_sidecar_workers{state="serving"}')).toBe(2);
  });

  it('a reload to policies that keep state is rejected in every worker; the previous policies stay', async () => {
    const good = readFileSync(s.policyFile, 'utf8');
    writeFileSync(s.policyFile, good + STATEFUL_RULES);
    await waitFor(
      'both workers to reject the change',
      async () => logLines(s.sidecar).filter((l) => l.msg === 'policy change rejected; the previous policies stay in force').length >= 2,
      10_000,
    );
    const rejected = logLines(s.sidecar).filter((l) => l.msg === 'policy change rejected; the previous policies stay in force');
    expect(new Set(rejected.map((l) => l.pid)).size).toBe(2);
    expect(String((rejected[0]?.problems as string[])[0])).toMatch(/--workers 2 and the in-memory signal store.*shop\/payments rule burst: signals\.activity.*rule one-time: require\.singleUse.*--redis/);
    const text = await s.metrics();
    expect(sample(text, 'stepup_policy_reloads_total{result="rejected"}')).toBe(1);
    expect((await send(`http://127.0.0.1:${s.sidecar.httpPort}/readyz`)).status).toBe(200);
    // the rejected rules are not in force: /v1/once needs no token
    const once = await s.call('/v1/once/confirm');
    expect(once.status, `${once.body}\n${s.sidecar.output().slice(-3000)}\n${s.envoy.output().slice(-2000)}`).toBe(200);
  });

  it('SIGTERM stops the workers and the primary, exit code 0', async () => {
    const workers = servingWorkers(s.sidecar).slice(-2);
    await s.envoy.stop();
    await s.sidecar.stop('SIGTERM');
    expect(s.sidecar.child.exitCode).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });
});

describe('two workers refuse, at start, policies that keep state in memory', () => {
  it('exits 1 naming the rules and saying what to do', async () => {
    const issuer = await TestIssuer.start();
    try {
      const file = writeTemp(tempDir('workers'), 'policy.yaml', testPolicy(issuer, STATEFUL_RULES));
      const proc = startProcess('stepup-sidecar', process.execPath, [sidecarEntry(), '--policies', file, '--workers', '2', '--listen', `127.0.0.1:${await freePort()}`, '--http-listen', `127.0.0.1:${await freePort()}`]);
      const code = await new Promise<number | null>((resolve) => proc.child.once('exit', resolve));
      expect(code).toBe(1);
      expect(proc.output()).toMatch(/^stepup-sidecar: cannot start: with --workers 2 and the in-memory signal store/m);
      expect(proc.output()).toContain('shop/payments rule burst: signals.activity; shop/payments rule one-time: require.singleUse');
      expect(proc.output()).toContain('Add --redis <url> (or --redis-sentinels / --redis-cluster) so the workers share one store, or use --workers 1');
    } finally {
      await issuer.close();
    }
  });

  it("a worker that cannot start ends the sidecar with the worker's reason", async () => {
    const issuer = await TestIssuer.start();
    try {
      const file = writeTemp(tempDir('workers'), 'policy.yaml', testPolicy(issuer));
      const proc = startProcess('stepup-sidecar', process.execPath, [sidecarEntry(), '--policies', file, '--workers', '2', '--geoip-db', '/nonexistent/geo.mmdb', '--listen', `127.0.0.1:${await freePort()}`, '--http-listen', `127.0.0.1:${await freePort()}`]);
      const code = await new Promise<number | null>((resolve) => proc.child.once('exit', resolve));
      expect(code).toBe(1);
      expect(proc.output()).toMatch(/^stepup-sidecar: cannot start: a worker failed to start: worker \d \(pid \d+\): .*\/nonexistent\/geo\.mmdb/m);
    } finally {
      await issuer.close();
    }
  });
});

describe('two workers with Redis', () => {
  let redis: RedisHandle;
  let s: Setup;
  beforeAll(async () => {
    redis = await startRedis();
    s = await setUp(['--redis', redis.url], STATEFUL_RULES);
  });
  afterAll(async () => {
    await s?.stop();
    await redis?.stop();
  });

  it('accepts policies that keep state, and a single-use token passes once across both workers', async () => {
    expect((await send(`http://127.0.0.1:${s.sidecar.httpPort}/readyz`)).body).toMatch(/^ready: 2\/2 workers ready; policies \w+; signals redis/);
    const token = await s.issuer.token({ sub: 'kim', acr: '1', auth_time: now(), jti: `once-${Date.now()}` });
    const before = decisionLines(s.sidecar).length;
    const statuses: number[] = [];
    const deciders = new Set<unknown>();
    while (deciders.size < 2 && statuses.length < 200) {
      statuses.push((await s.call('/v1/once/confirm', { authorization: `Bearer ${token}` })).status);
      await waitFor('the decision line', async () => decisionLines(s.sidecar).length >= before + statuses.length, 5000);
      for (const d of decisionLines(s.sidecar).slice(before)) deciders.add(d.pid);
    }
    expect(deciders.size).toBe(2);
    expect(statuses[0]).toBe(200);
    expect(statuses.slice(1).every((c) => c === 403)).toBe(true);
    expect(decisionLines(s.sidecar).slice(before + 1).every((d) => d.reason === 'token_replayed')).toBe(true);
    expect(s.upstream.seen.filter((r) => r.url === '/v1/once/confirm')).toHaveLength(1);
  });
});
