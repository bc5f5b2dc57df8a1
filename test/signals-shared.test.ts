// Two replicas (each a real sidecar behind a real Envoy) on one real Redis:
// what one learns, the other sees (reliability.md item 12), and every signal
// triggers its rule through Envoy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../harness/processes.js';
import { startRedis, type RedisHandle } from '../harness/redis.js';
import { ADDR, from, now, startReplicas, writeGeoDb, type Replica, type Replicas } from './support/replicas.js';

let redis: RedisHandle;
let r: Replicas;
let A: Replica;
let B: Replica;

beforeAll(async () => {
  redis = await startRedis();
  r = await startReplicas(2, ['--redis', redis.url, '--trusted-hops', '1', '--geoip-db', writeGeoDb(tempDir('geo'))]);
  [A, B] = r.all as [Replica, Replica];
});
afterAll(async () => {
  await r?.stop();
  await redis?.stop();
});

const basic = (sub: string, extra: Record<string, unknown> = {}) => r.issuer.token({ sub, acr: '1', auth_time: now() - 120, ...extra });
const mfa = (sub: string) => r.issuer.token({ sub, acr: '2', auth_time: now() });

describe('devices', () => {
  it('an untrusted device must step up; after a step-up from it, the same request passes on the other replica', async () => {
    const token = await basic('dana');
    const first = await A.call('/v1/device/settings', { headers: from(ADDR.paris, token, 'dana-laptop') });
    expect(first.status).toBe(401);
    expect(first.headers['www-authenticate']).toContain('error="insufficient_user_authentication"');
    expect(first.headers['www-authenticate']).toContain('acr_values="2"');

    expect((await A.call('/v1/device/settings', { headers: from(ADDR.paris, await mfa('dana'), 'dana-laptop') })).status).toBe(200);
    await r.settle();

    const before = r.upstream.seen.length;
    expect((await B.call('/v1/device/settings', { headers: from(ADDR.paris, token, 'dana-laptop') })).status).toBe(200);
    expect(r.upstream.seen.length).toBe(before + 1);
    expect(await B.lastDecision()).toMatchObject({ outcome: 'allow', signals: { known: true, trusted: true } });
    // another device, or another user on that device, is not trusted
    expect((await B.call('/v1/device/settings', { headers: from(ADDR.paris, token, 'dana-phone') })).status).toBe(401);
    expect((await B.call('/v1/device/settings', { headers: from(ADDR.paris, await basic('eve'), 'dana-laptop') })).status).toBe(401);
  });
});

describe('IP lists', () => {
  it('a flagged address (x-forwarded-for through one trusted hop) triggers a step-up, and a Deny rule', async () => {
    const token = await basic('frank');
    const flagged = await B.call('/v1/pay/invoice', { headers: from(ADDR.flagged, token) });
    expect(flagged.status).toBe(401);
    expect(await B.lastDecision()).toMatchObject({ reason: 'insufficient_level', signals: { client: ADDR.flagged, lists: ['tor'], flagged: true } });
    expect((await B.call('/v1/pay/invoice', { headers: from(ADDR.paris, token) })).status).toBe(200);
    expect((await A.call('/v1/export/all', { headers: from(ADDR.flagged, token) })).status).toBe(403);
    // an address the client writes left of the trusted hop is not believed
    expect((await A.call('/v1/export/all', { headers: from(`${ADDR.paris}, ${ADDR.flagged}`, token) })).status).toBe(403);
    expect((await A.call('/v1/export/all', { headers: from(`${ADDR.flagged}, ${ADDR.paris}`, token) })).status).toBe(200);
  });
});

describe('activity', () => {
  it('the request rate counts requests on both replicas', async () => {
    const token = await basic('gina');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await (i % 2 === 0 ? A : B).call('/v1/rate/quote', { headers: from(ADDR.paris, token) })).status);
      await r.settle();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 403, 403]); // rate > 5 is denied
    expect(await A.lastDecision()).toMatchObject({ signals: { rate: 7 } });
  });

  it('impossible travel: Paris on one replica, Sydney a moment later on the other', async () => {
    const token = await basic('hugo');
    expect((await A.call('/v1/travel/booking', { headers: from(ADDR.paris, token) })).status).toBe(200);
    await r.settle();
    const away = await B.call('/v1/travel/booking', { headers: from(ADDR.sydney, token) });
    expect(away.status).toBe(401);
    expect(await B.lastDecision()).toMatchObject({ signals: { country: 'AU', impossible_travel: true, new_country: true } });
    // Reims is close enough to Paris: a different user going from one to the other passes
    const ivy = await basic('ivy');
    expect((await A.call('/v1/travel/booking', { headers: from(ADDR.paris, ivy) })).status).toBe(200);
    await r.settle();
    expect((await B.call('/v1/travel/booking', { headers: from(ADDR.reims, ivy) })).status).toBe(200);
    expect(await B.lastDecision()).toMatchObject({ signals: { country: 'FR', impossible_travel: false, new_country: false } });
  });
});

describe('continuous authentication (afterRisk)', () => {
  it('a risk event seen by one replica makes the other ask for a new authentication, once', async () => {
    const token = await basic('jane', { auth_time: now() - 300 });
    expect((await B.call('/v1/account/profile', { headers: from(ADDR.paris, token, 'jane-pc') })).status).toBe(200);
    await r.settle();
    // a request from a flagged address is a risk event (flagged: 40, the event score)
    expect((await A.call('/v1/pay/invoice', { headers: from(ADDR.flagged, token, 'jane-pc') })).status).toBe(401);
    expect(await A.lastDecision()).toMatchObject({ signals: { known: true, score: 40, risk_event: ['ip'] } });
    await r.settle();
    const again = await B.call('/v1/account/profile', { headers: from(ADDR.paris, token, 'jane-pc') });
    expect(again.status).toBe(401);
    const header = String(again.headers['www-authenticate']);
    expect(header).toContain('error="insufficient_user_authentication"');
    const maxAge = Number(/max_age="(\d+)"/.exec(header)?.[1]);
    expect(maxAge).toBeGreaterThanOrEqual(0);
    expect(maxAge).toBeLessThan(60);
    expect(await B.lastDecision()).toMatchObject({ reason: 'risk_after_authentication' });
    // authenticated again after the event: passes, and stays passing
    const fresh = await r.issuer.token({ sub: 'jane', acr: '1', auth_time: now() });
    expect((await B.call('/v1/account/profile', { headers: from(ADDR.paris, fresh, 'jane-pc') })).status).toBe(200);
    expect((await A.call('/v1/account/profile', { headers: from(ADDR.paris, fresh, 'jane-pc') })).status).toBe(200);
  });
});

describe('single use (reliability.md item 9)', () => {
  it('a token used on one replica is denied on the other; no jti is denied', async () => {
    const token = await basic('kim', { jti: `once-${Date.now()}` });
    const before = r.upstream.seen.length;
    expect((await A.call('/v1/once/confirm', { headers: from(ADDR.paris, token) })).status).toBe(200);
    const replay = await B.call('/v1/once/confirm', { headers: from(ADDR.paris, token) });
    expect(replay.status).toBe(403);
    expect(replay.json()).toMatchObject({ status: 403, detail: expect.stringMatching(/already used/) });
    expect(await B.lastDecision()).toMatchObject({ outcome: 'deny', reason: 'token_replayed' });
    expect((await A.call('/v1/once/confirm', { headers: from(ADDR.paris, token) })).status).toBe(403);
    expect((await A.call('/v1/once/confirm', { headers: from(ADDR.paris, await basic('kim')) })).status).toBe(403);
    expect(await A.lastDecision()).toMatchObject({ reason: 'token_id_missing' });
    expect(r.upstream.seen.length).toBe(before + 1);
  });
});

describe('what Redis holds', () => {
  it('only fingerprints, and every key expires', async () => {
    const { Redis } = await import('ioredis');
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys('stepup:*');
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key).not.toMatch(/dana|laptop|203\.0\.113|198\.51/);
        expect(await client.ttl(key)).toBeGreaterThan(0);
      }
      const devices = await client.hgetall(keys.find((k) => k.endsWith(':d')) as string);
      expect(JSON.stringify(devices)).not.toMatch(/laptop|phone|pc/);
    } finally {
      client.disconnect();
    }
  });
});
