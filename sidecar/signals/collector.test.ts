import { describe, expect, it } from 'vitest';
import { buildPolicySet } from '../../common/policy/policy-set.js';
import { validatePolicy } from '../../common/policy/validate.js';
import type { StepUpPolicy } from '../../common/policy/types.js';
import type { Identity, IdentityResult, Outcome, RequestAttributes } from '../decision/types.js';
import { SignalCollector, type CollectorOptions } from './collector.js';
import type { GeoLocator } from './geo.js';
import { DEFAULT_RATE_WINDOW } from './rate-window.js';
import { DEFAULT_RISK_WEIGHTS } from './risk-score.js';
import { buildSignalSetup } from './signal-setup.js';
import { MemorySignalStore } from './store/memory-store.js';
import { StoreUnavailable, type SignalStore } from './store/signal-store.js';
import { DEFAULT_TRAVEL_LIMITS } from './travel.js';

const T = 1_800_000_000;
const doc = {
  apiVersion: 'stepup.dev/v1alpha1',
  kind: 'StepUpPolicy',
  metadata: { name: 'p', namespace: 'shop' },
  spec: {
    issuers: [{ issuer: 'https://idp', jwksUri: 'https://idp/jwks', audiences: ['api'] }],
    levels: [{ name: 'basic', acr: ['1'] }, { name: 'mfa', acr: ['2'] }],
    ipLists: [{ name: 'tor', flagged: true, cidrs: ['198.51.100.0/24'] }, { name: 'office', cidrs: ['10.0.0.0/8'] }],
    devices: { trustLevel: 'mfa', cookie: 'did' },
    rules: [
      { name: 'r', match: { paths: ['/x'] }, when: 'signals.device.known', require: { level: 'basic' } },
      { name: 'once', match: { paths: ['/once'] }, require: { level: 'basic', singleUse: true } },
    ],
  },
};
const result = validatePolicy(structuredClone(doc));
if (!('policy' in result)) throw new Error(JSON.stringify(result));
const setup = buildSignalSetup(buildPolicySet([result.policy as StepUpPolicy]), '.');

// A tiny geo source: the last octet's block decides the place.
const PLACES: Record<string, { country: string; lat: number; lon: number }> = { '203.0.113.1': { country: 'FR', lat: 48.86, lon: 2.35 }, '203.0.113.2': { country: 'AU', lat: -33.87, lon: 151.21 }, '203.0.113.3': { country: 'FR', lat: 45.76, lon: 4.84 } };
const geo: GeoLocator = { locate: (a) => PLACES[a] ?? { country: '' } };

const OPTS: CollectorOptions = { trustedHops: 1, geo, weights: DEFAULT_RISK_WEIGHTS, riskEventScore: 40, rateWindow: DEFAULT_RATE_WINDOW, rateThreshold: 3, travel: DEFAULT_TRAVEL_LIMITS, clockSkewSeconds: 30 };

function who(over: Partial<Identity> = {}): IdentityResult {
  return { kind: 'verified', identity: { issuer: 'https://idp', subject: 'alice', audiences: ['api'], amr: [], acr: '1', authTime: T - 100, expiresAt: T + 600, tokenId: 'j1', claims: {}, ...over } };
}

function request(from: string, headers: Record<string, string> = {}, path = '/x'): RequestAttributes {
  return { id: '', method: 'GET', path, host: 'api', scheme: 'https', headers: { 'x-forwarded-for': from, ...headers }, query: {}, body: null, bodyState: 'none', sourceAddress: '127.0.0.1', route: {} };
}

async function step(c: SignalCollector, store: SignalStore, req: RequestAttributes, now: number, outcome: Outcome, identity = who()) {
  const g = await c.gather({ request: req, identity, setup, now });
  g.record(outcome);
  await store.drain();
  return g;
}

describe('SignalCollector', () => {
  it('client address, IP lists and flagged, through one trusted hop', async () => {
    const c = new SignalCollector(new MemorySignalStore(), OPTS);
    const g = await c.gather({ request: request('1.1.1.1, 198.51.100.9'), identity: who(), setup, now: T });
    expect(g.signals.ip).toEqual({ flagged: true, lists: ['tor'] });
    const office = await c.gather({ request: request('10.2.3.4'), identity: who(), setup, now: T });
    expect(office.signals.ip).toEqual({ flagged: false, lists: ['office'] });
  });

  it('devices are known and trusted only after an ALLOW, per subject', async () => {
    const store = new MemorySignalStore();
    const c = new SignalCollector(store, OPTS);
    const dev = { 'x-device-id': 'laptop-1' };
    const rows: [Outcome, IdentityResult, boolean, boolean][] = [
      ['challenge', who(), false, false], // challenged: nothing learned
      ['deny', who(), false, false],
      ['allow', who({ acr: '1' }), false, false], // allowed with basic: known, not trusted
      ['allow', who({ acr: '2' }), true, false], // allowed with mfa: trusted from now on
      ['allow', who({ acr: '1' }), true, true],
    ];
    for (const [i, [outcome, identity, knownBefore, trustedBefore]] of rows.entries()) {
      const g = await step(c, store, request('203.0.113.1', dev), T + i, outcome, identity);
      expect([i, g.signals.device.known, g.signals.device.trusted]).toEqual([i, knownBefore || trustedBefore, trustedBefore]);
      expect(g.signals.device.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    }
    const bob = await c.gather({ request: request('203.0.113.1', dev), identity: who({ subject: 'bob' }), setup, now: T + 9 });
    expect(bob.signals.device).toMatchObject({ known: false, trusted: false });
    const cookie = await c.gather({ request: request('203.0.113.1', { cookie: 'a=b; did=laptop-1' }), identity: who(), setup, now: T + 9 });
    expect(cookie.signals.device).toMatchObject({ known: true, trusted: true });
  });

  it('rate counts every request of the subject in the window, this one included', async () => {
    const store = new MemorySignalStore();
    const c = new SignalCollector(store, OPTS);
    const rates: bigint[] = [];
    for (const [i, o] of (['allow', 'challenge', 'deny', 'allow'] as Outcome[]).entries()) rates.push((await step(c, store, request('203.0.113.1'), T + i, o)).signals.activity.rate);
    expect(rates).toEqual([1n, 2n, 3n, 4n]);
    expect((await c.gather({ request: request('203.0.113.1'), identity: who(), setup, now: T + 120 })).signals.activity.rate).toBe(1n);
  });

  it('new country, impossible travel, score and riskSince', async () => {
    const store = new MemorySignalStore();
    const c = new SignalCollector(store, OPTS);
    const dev = { 'x-device-id': 'd' };
    const home = await step(c, store, request('203.0.113.1', dev), T, 'allow');
    expect(home.signals).toMatchObject({ geo: { country: 'FR' }, activity: { newCountry: false }, travel: { impossible: false }, riskSince: 0n });
    expect(home.signals.risk.score).toBe(15n); // unknown device only: below the event score
    const away = await step(c, store, request('203.0.113.2', dev), T + 60, 'challenge');
    expect(away.signals).toMatchObject({ geo: { country: 'AU' }, activity: { newCountry: true }, travel: { impossible: true }, riskSince: BigInt(T + 60) });
    expect(away.signals.risk.score).toBe(70n);
    // the same risky context again: not a new event, riskSince stays
    const again = await step(c, store, request('203.0.113.2', dev), T + 90, 'challenge');
    expect(again.signals.riskSince).toBe(BigInt(T + 60));
    // Lyon after Paris, an hour later: possible
    const lyon = await step(c, store, request('203.0.113.3', dev), T + 3600, 'allow');
    expect(lyon.signals.travel.impossible).toBe(false);
  });

  it('anonymous callers get local signals only, nothing is stored', async () => {
    const store = new MemorySignalStore();
    const c = new SignalCollector(store, OPTS);
    const g = await step(c, store, request('198.51.100.1'), T, 'allow', { kind: 'anonymous' });
    expect(g.signals).toMatchObject({ ip: { flagged: true }, device: { known: false }, activity: { rate: 0n }, riskSince: 0n });
    expect(g.signals.risk.score).toBe(55n);
    expect(store.status().detail).toMatch(/0 subjects/);
  });

  it('claims the jti only when a singleUse rule matches', async () => {
    const store = new MemorySignalStore();
    const c = new SignalCollector(store, OPTS);
    expect((await c.gather({ request: request('203.0.113.1'), identity: who(), setup, now: T })).tokenUse).toBeUndefined();
    expect((await c.gather({ request: request('203.0.113.1', {}, '/once'), identity: who(), setup, now: T })).tokenUse).toBe('first');
    expect((await c.gather({ request: request('203.0.113.1', {}, '/once'), identity: who(), setup, now: T })).tokenUse).toBe('replayed');
    expect((await c.gather({ request: request('203.0.113.1', {}, '/once'), identity: who({ tokenId: 'j2' }), setup, now: T })).tokenUse).toBe('first');
  });

  it('a failing store: signals unavailable, local facts kept, nothing recorded', async () => {
    let writes = 0;
    const broken: SignalStore = { read: () => Promise.reject(new StoreUnavailable('no answer within 50 ms')), write: () => void writes++, status: () => ({ kind: 'redis', healthy: false, detail: '' }), drain: async () => undefined, close: async () => undefined };
    const c = new SignalCollector(broken, OPTS);
    const g = await c.gather({ request: request('198.51.100.1'), identity: who(), setup, now: T });
    expect(g.unavailable).toBe('no answer within 50 ms');
    expect(g.signals.ip.flagged).toBe(true);
    g.record('allow');
    expect(writes).toBe(0);
  });
});
