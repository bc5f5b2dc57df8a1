// Standalone mode (no Redis): signals in memory, an IP list from a file next
// to the policy, the country from a trusted edge header, through real Envoy.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { from, now, signalPolicy, startReplicas, type Replica, type Replicas } from './support/replicas.js';

let r: Replicas;
let S: Replica;

const lists = `    - {name: tor, flagged: true, file: tor-exits.txt}
    - {name: office, cidrs: ["10.0.0.0/8", "2001:db8:1::/48"]}`;

beforeAll(async () => {
  r = await startReplicas(1, ['--trusted-hops', '1', '--geo-header', 'x-edge-country'], (issuer, dir) => {
    writeFileSync(join(dir, 'tor-exits.txt'), '# exit nodes\n198.51.100.0/24\n2001:db8:bad::/48\n');
    return signalPolicy(issuer, lists);
  });
  S = r.all[0] as Replica;
});
afterAll(async () => {
  await r?.stop();
});

describe('standalone signals (memory store)', () => {
  it('reports the memory store as its signal store', async () => {
    expect(await S.readyz()).toMatch(/^ready: .*signals memory/);
    expect(await S.metric('stepup_signal_store_healthy{')).toBe(1);
  });

  it.each([
    ['198.51.100.20', 401, ['tor']],
    ['2001:db8:bad::7', 401, ['tor']],
    ['10.1.2.3', 200, ['office']],
    ['2001:db8:1::9', 200, ['office']],
    ['203.0.113.5', 200, []],
  ])('an address from a list file or inline: %s', async (address, status, listed) => {
    const token = await r.issuer.token({ sub: 'lee', acr: '1', auth_time: now() });
    expect((await S.call('/v1/pay/invoice', { headers: from(address, token) })).status).toBe(status);
    expect(await S.lastDecision()).toMatchObject({ signals: { lists: listed, flagged: status === 401 } });
  });

  it('the country comes from the trusted edge header', async () => {
    const token = await r.issuer.token({ sub: 'mia', acr: '1', auth_time: now() });
    await S.call('/v1/plain/page', { headers: { ...from('203.0.113.5', token), 'x-edge-country': 'fr' } });
    expect(await S.lastDecision()).toMatchObject({ signals: { country: 'FR', new_country: false } });
    await S.call('/v1/plain/page', { headers: { ...from('203.0.113.5', token), 'x-edge-country': 'BR' } });
    expect(await S.lastDecision()).toMatchObject({ signals: { country: 'BR', new_country: true } });
  });

  it('devices and single use work from memory', async () => {
    const basic = await r.issuer.token({ sub: 'ned', acr: '1', auth_time: now() });
    expect((await S.call('/v1/device/x', { headers: from('203.0.113.5', basic, 'ned-pc') })).status).toBe(401);
    expect((await S.call('/v1/device/x', { headers: from('203.0.113.5', await r.issuer.token({ sub: 'ned', acr: '2', auth_time: now() }), 'ned-pc') })).status).toBe(200);
    expect((await S.call('/v1/device/x', { headers: from('203.0.113.5', basic, 'ned-pc') })).status).toBe(200);
    const once = await r.issuer.token({ sub: 'ned', acr: '1', auth_time: now(), jti: `ned-${Date.now()}` });
    expect((await S.call('/v1/once/x', { headers: from('203.0.113.5', once) })).status).toBe(200);
    expect((await S.call('/v1/once/x', { headers: from('203.0.113.5', once) })).status).toBe(403);
  });
});
