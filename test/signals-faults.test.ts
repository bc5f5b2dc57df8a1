// Redis down and Redis hung, through a real Envoy and the real sidecar
// (reliability.md items 9-11): answers arrive within the deadline, rules that
// read stored signals challenge or deny, rules that read none are unaffected,
// the degraded store shows in /readyz and /metrics, and after recovery the
// counters hold exactly the requests recorded while Redis answered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/processes.js';
import { startRedis, type RedisHandle } from '../harness/redis.js';
import { from, now, startReplicas, type Replica, type Replicas } from './support/replicas.js';

let redis: RedisHandle;
let r: Replicas;
let S: Replica;

beforeAll(async () => {
  redis = await startRedis();
  r = await startReplicas(1, ['--redis', redis.url, '--trusted-hops', '1', '--redis-timeout-ms', '30', '--redis-socket-timeout-ms', '500']);
  S = r.all[0] as Replica;
});
afterAll(async () => {
  await r?.stop();
  await redis?.stop();
});

const ADDR = '203.0.113.10';

/** Sends, and checks the sidecar itself answered (a decision id) within 1 s (its deadline is 150 ms). */
async function timed(path: string, headers: Record<string, string>) {
  const started = performance.now();
  const reply = await S.call(path, { headers });
  const ms = performance.now() - started;
  expect(ms, `${path} took ${Math.round(ms)} ms`).toBeLessThan(1000);
  if (reply.status !== 200) expect(reply.json()).toHaveProperty('decision_id');
  return reply.status;
}

/** Every kind of rule, while the store cannot be read: what each must answer. */
async function duringOutage(sub: string) {
  const token = await r.issuer.token({ sub, acr: '1', auth_time: now() - 60 });
  const once = await r.issuer.token({ sub, acr: '1', auth_time: now() - 60, jti: `${sub}-${Date.now()}` });
  expect(await timed('/v1/device/settings', from(ADDR, token, 'pc'))).toBe(401); // StepUp rule reading stored signals: challenge
  expect(await S.lastDecision()).toMatchObject({ reason: 'insufficient_level', triggers: [{ rule: 'untrusted-device', error: expect.stringMatching(/^signals unavailable/) }] });
  expect(await timed('/v1/rate/quote', from(ADDR, token))).toBe(403); // Deny rule reading stored signals: deny
  expect(await timed('/v1/account/profile', from(ADDR, token))).toBe(401); // afterRisk cannot be checked: challenge
  expect(await timed('/v1/once/confirm', from(ADDR, once))).toBe(403); // single use cannot be checked: deny
  expect(await S.lastDecision()).toMatchObject({ reason: 'replay_check_unavailable' });
  expect(await timed('/v1/plain/page', from(ADDR, token))).toBe(200); // reads no signals: unaffected
  expect(await timed('/v1/pay/invoice', from(ADDR, token))).toBe(200); // reads only the IP lists (no store): unaffected
  expect(await S.readyz()).toMatch(/^ready: .*signals redis degraded/);
  expect(await S.metric('stepup_signal_store_healthy{')).toBe(0);
}

async function rateNow(sub: string): Promise<unknown> {
  const token = await r.issuer.token({ sub, acr: '1', auth_time: now() });
  expect((await S.call('/v1/plain/page', { headers: from(ADDR, token) })).status).toBe(200);
  return ((await S.lastDecision()).signals as Record<string, unknown>).rate;
}

describe('Redis hung (SIGSTOP)', () => {
  it('fails closed within the deadline, recovers, and the rate holds no replayed write', async () => {
    for (let i = 1; i <= 3; i++) expect(await rateNow('hung-user')).toBe(i);
    await r.settle();
    redis.pause();
    try {
      await duringOutage('hung-user');
    } finally {
      redis.resume();
    }
    await waitFor('the store to recover', async () => /signals redis ok/.test(await S.readyz()), 20_000);
    expect(await S.metric('stepup_signal_store_healthy{')).toBe(1);
    expect(await rateNow('hung-user')).toBe(4); // 3 before + this one: nothing from the outage
  });
});

describe('Redis stopped', () => {
  it('fails closed within the deadline; after a restart nothing from the outage is replayed', async () => {
    expect(await rateNow('stopped-user')).toBe(1);
    await r.settle();
    await redis.stop();
    await waitFor('the loss to be noticed', async () => /degraded/.test(await S.readyz()), 10_000);
    await duringOutage('stopped-user');
    await redis.start(); // a new, empty Redis on the same port
    await waitFor('the store to recover', async () => /signals redis ok/.test(await S.readyz()), 20_000);
    expect(await rateNow('stopped-user')).toBe(1);
    await r.settle();
    expect(await rateNow('stopped-user')).toBe(2);
  });
});
