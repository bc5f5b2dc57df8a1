import { describe, expect, it } from 'vitest';
import { buildPolicySet } from '../../common/policy/policy-set.js';
import type { RuleSpec, StepUpPolicy } from '../../common/policy/types.js';
import { validatePolicy } from '../../common/policy/validate.js';
import { checkSharedState, SharedStateRefused, stateKeepingRules, usesMemoryStore } from './shared-state.js';

function set(rules: RuleSpec[]) {
  const r = validatePolicy({
    apiVersion: 'stepup.dev/v1alpha1',
    kind: 'StepUpPolicy',
    metadata: { name: 'p', namespace: 'shop' },
    spec: { issuers: [{ issuer: 'https://idp.example', jwksUri: 'https://idp.example/jwks', audiences: ['a'] }], levels: [{ name: 'basic', acr: ['1'] }], ipLists: [{ name: 'tor', flagged: true, cidrs: ['198.51.100.0/24'] }], rules },
  });
  if (!('policy' in r)) throw new Error(JSON.stringify(r));
  return buildPolicySet([r.policy as StepUpPolicy]);
}

const rule = (name: string, extra: Partial<RuleSpec>): RuleSpec => ({ name, match: { paths: ['/x/**'] }, action: 'Deny', ...extra }) as RuleSpec;

describe('stateKeepingRules', () => {
  it('finds nothing in rules that read only the request, the identity, the route, IP lists and geo', () => {
    const s = set([
      rule('body', { when: 'request.body.amount > 10' }),
      rule('route', { when: 'route.environment == "production" && identity != null' }),
      rule('ip', { when: 'signals.ip.flagged || "tor" in signals.ip.lists' }),
      rule('geo', { when: 'signals.geo.country == "FR"' }),
      rule('plain', {}),
    ]);
    expect(stateKeepingRules(s)).toEqual([]);
  });

  it.each([
    ['activity.rate', 'signals.activity.rate > 5', 'signals.activity'],
    ['activity.newCountry', 'signals.activity.newCountry', 'signals.activity'],
    ['device', '!signals.device.known', 'signals.device'],
    ['travel', 'signals.travel.impossible', 'signals.travel'],
    ['risk score', 'signals.ip.flagged || signals.risk.score > 50', 'signals.risk'],
    ['riskSince', 'signals.riskSince > 0', 'signals.riskSince'],
    ['spaced member access', 'signals . device . trusted', 'signals.device'],
  ])('names a rule reading %s', (_what, when, shown) => {
    expect(stateKeepingRules(set([rule('r', { when })]))).toEqual([`shop/p rule r: ${shown}`]);
  });

  it('names afterRisk and singleUse requirements', () => {
    const s = set([
      rule('after', { action: 'StepUp', require: { level: 'basic', afterRisk: true } }),
      rule('once', { action: 'StepUp', require: { level: 'basic', singleUse: true } }),
      rule('both', { action: 'StepUp', when: 'signals.travel.impossible', require: { level: 'basic', afterRisk: true, singleUse: true } }),
    ]);
    expect(stateKeepingRules(s)).toEqual(['shop/p rule after: require.afterRisk', 'shop/p rule once: require.singleUse', 'shop/p rule both: signals.travel, require.afterRisk, require.singleUse']);
  });
});

describe('checkSharedState', () => {
  const keeping = set([rule('burst', { when: 'signals.activity.rate > 5' })]);
  const plain = set([rule('ip', { when: 'signals.ip.flagged' })]);

  it('refuses a set that keeps state with several workers on the memory store, saying what to do', () => {
    const attempt = () => checkSharedState(keeping, { workers: 2 });
    expect(attempt).toThrow(SharedStateRefused);
    expect(attempt).toThrow(/--workers 2 .*shop\/p rule burst: signals\.activity.*--redis .*--workers 1/);
  });

  it.each([
    ['one worker', keeping, { workers: 1 }],
    ['Redis', keeping, { workers: 4, redisUrl: 'redis://r:6379' }],
    ['Redis Sentinel', keeping, { workers: 2, redisSentinels: 's:26379' }],
    ['Redis Cluster', keeping, { workers: 2, redisCluster: 'c:7000' }],
    ['a set with static signals only', plain, { workers: 8 }],
  ])('accepts with %s', (_what, s, config) => {
    expect(() => checkSharedState(s, config)).not.toThrow();
  });

  it('usesMemoryStore says whether any Redis is configured', () => {
    expect(usesMemoryStore({})).toBe(true);
    expect(usesMemoryStore({ redisCluster: 'c:7000' })).toBe(false);
  });
});
