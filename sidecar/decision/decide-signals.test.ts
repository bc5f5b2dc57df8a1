// decide() with signals: unavailable signals fail closed, afterRisk, singleUse.
import { describe, expect, it } from 'vitest';
import { compilePolicy, type CompiledPolicy } from '../../common/policy/compile.js';
import { validatePolicy } from '../../common/policy/validate.js';
import type { RuleSpec } from '../../common/policy/types.js';
import { DEFAULT_SIGNALS, type Signals } from '../signals/signals.js';
import { decide } from './decide.js';
import type { DecisionInput, Identity, IdentityResult } from './types.js';

const NOW = 1_800_000_000;
const ISS = 'https://idp.example.com';

function policy(rules: RuleSpec[]): CompiledPolicy {
  const doc = {
    apiVersion: 'stepup.dev/v1alpha1',
    kind: 'StepUpPolicy',
    metadata: { name: 'sig', namespace: 'shop' },
    spec: { issuers: [{ issuer: ISS, jwksUri: `${ISS}/jwks`, audiences: ['api'] }], levels: [{ name: 'basic', acr: ['1'] }, { name: 'mfa', acr: ['2'] }], rules },
  };
  const result = validatePolicy(doc);
  if ('errors' in result) throw new Error(JSON.stringify(result.errors));
  return compilePolicy(result.policy);
}

function verified(over: Partial<Identity> = {}): IdentityResult {
  return { kind: 'verified', identity: { issuer: ISS, subject: 'alice', audiences: ['api'], amr: ['pwd'], acr: '1', authTime: NOW - 600, expiresAt: NOW + 600, tokenId: 'jti-1', claims: { sub: 'alice' }, ...over } };
}

function run(p: CompiledPolicy, path: string, extra: Partial<DecisionInput> = {}, identity = verified()) {
  const request = { id: '', method: 'GET', path, host: 'api', scheme: 'https', headers: {}, query: {}, body: null, bodyState: 'none' as const, sourceAddress: '10.0.0.1', route: {} };
  return decide({ request, identity, signals: DEFAULT_SIGNALS, policies: [p], now: NOW, ...extra });
}

const rules = policy([
  { name: 'device', match: { paths: ['/device'] }, when: '!signals.device.known', require: { level: 'mfa' } },
  { name: 'flagged-deny', match: { paths: ['/export'] }, when: 'signals.risk.score > 50', action: 'Deny' },
  { name: 'ip-only', match: { paths: ['/ip'] }, when: 'signals.ip.flagged || signals.geo.country == "KP"', require: { level: 'mfa' } },
  { name: 'no-signals', match: { paths: ['/plain'] }, when: 'request.method == "GET"', require: { level: 'basic' } },
  { name: 'fresh', match: { paths: ['/fresh'] }, require: { level: 'basic', afterRisk: true } },
  { name: 'fresh-aged', match: { paths: ['/fresh-aged'] }, require: { level: 'basic', maxAge: '1h', afterRisk: true } },
  { name: 'once', match: { paths: ['/once'] }, require: { level: 'basic', singleUse: true } },
]);

const known: Signals = { ...DEFAULT_SIGNALS, device: { id: 'd', known: true, trusted: true } };

describe('signals unavailable (the store could not be read)', () => {
  const down = { signalsUnavailable: 'store timeout' };
  it.each([
    ['a StepUp rule reading stored signals fires: challenge', '/device', 'challenge', 'insufficient_level'],
    ['a Deny rule reading stored signals fires: deny', '/export', 'deny', 'deny_rule'],
    ['a rule reading only ip and geo is evaluated as usual', '/ip', 'allow', 'no_rule_matched'],
    ['a rule reading no signals is unaffected', '/plain', 'allow', 'requirements_met'],
    ['afterRisk cannot be checked: challenge', '/fresh', 'challenge', 'risk_after_authentication'],
    ['singleUse cannot be checked: deny', '/once', 'deny', 'replay_check_unavailable'],
  ])('%s', (_n, path, outcome, reason) => {
    const d = run(rules, path, { ...down, signals: known, tokenUse: 'first' });
    expect(d).toMatchObject({ outcome, reason });
  });

  it('the fired rule says why it fired', () => {
    const d = run(rules, '/device', down);
    expect(d.hits).toEqual([expect.objectContaining({ rule: 'device', error: 'signals unavailable: store timeout' })]);
  });

  it('with the store answering, the same requests follow the signals', () => {
    expect(run(rules, '/device', { signals: known })).toMatchObject({ outcome: 'allow' });
    expect(run(rules, '/export', { signals: known })).toMatchObject({ outcome: 'allow' });
  });
});

describe('afterRisk (continuous authentication)', () => {
  const risk = (since: number): Partial<DecisionInput> => ({ signals: { ...DEFAULT_SIGNALS, riskSince: BigInt(since) } });
  it.each([
    ['no risk event', '/fresh', 0, NOW - 600, 'allow', undefined],
    ['authenticated after the risk event', '/fresh', NOW - 900, NOW - 600, 'allow', undefined],
    ['authenticated in the second of the risk event', '/fresh', NOW - 600, NOW - 600, 'allow', undefined],
    ['authenticated before the risk event: max_age reaches back to it', '/fresh', NOW - 120, NOW - 600, 'risk_after_authentication', 120],
    ['risk event this very second: max_age 0', '/fresh', NOW, NOW - 600, 'risk_after_authentication', 0],
    ['with a rule maxAge too, the shorter one is asked for', '/fresh-aged', NOW - 60, NOW - 1800, 'risk_after_authentication', 60],
    ['too old for the rule maxAge: that reason comes first', '/fresh-aged', NOW - 7200, NOW - 7300, 'stale_authentication', 3600],
  ])('%s', (_n, path, since, authTime, result, maxAge) => {
    const d = run(rules, path, risk(since), verified({ authTime }));
    if (result === 'allow') return void expect(d.outcome).toBe('allow');
    expect(d).toMatchObject({ outcome: 'challenge', reason: result, requirement: { maxAgeSeconds: maxAge } });
  });

  it('a token without auth_time is challenged once there is a risk event', () => {
    expect(run(rules, '/fresh', risk(NOW - 10), verified({ authTime: undefined }))).toMatchObject({ outcome: 'challenge', reason: 'risk_after_authentication', requirement: { maxAgeSeconds: 10 } });
  });
});

describe('singleUse', () => {
  it.each([
    ['first use passes', { tokenUse: 'first' as const }, {}, 'allow', 'requirements_met'],
    ['a replay is denied', { tokenUse: 'replayed' as const }, {}, 'deny', 'token_replayed'],
    ['no jti is denied', { tokenUse: 'first' as const }, { tokenId: undefined }, 'deny', 'token_id_missing'],
    ['no answer about the jti is denied', {}, {}, 'deny', 'replay_check_unavailable'],
    ['a replay with too weak a token is still denied', { tokenUse: 'replayed' as const }, { acr: '0' }, 'deny', 'token_replayed'],
  ])('%s', (_n, extra, over, outcome, reason) => {
    expect(run(rules, '/once', extra, verified(over))).toMatchObject({ outcome, reason });
  });

  it('does not concern routes without a singleUse rule', () => {
    expect(run(rules, '/plain', { tokenUse: 'replayed' })).toMatchObject({ outcome: 'allow' });
  });
});
