import { describe, expect, it } from 'vitest';
import { compilePolicy, type CompiledPolicy } from '../../common/policy/compile.js';
import { validatePolicy } from '../../common/policy/validate.js';
import type { StepUpPolicySpec } from '../../common/policy/types.js';
import { DEFAULT_SIGNALS, type Signals } from '../signals/signals.js';
import { decide } from './decide.js';
import type { Identity, IdentityResult, RequestAttributes } from './types.js';

const NOW = 1_800_000_000;
const ISS = 'https://idp.example.com';

function policy(name: string, spec: Partial<StepUpPolicySpec> & Pick<StepUpPolicySpec, 'rules'>): CompiledPolicy {
  const doc = {
    apiVersion: 'stepup.dev/v1alpha1',
    kind: 'StepUpPolicy',
    metadata: { name, namespace: 'shop' },
    spec: {
      issuers: [{ issuer: ISS, jwksUri: `${ISS}/jwks`, audiences: ['api'] }],
      levels: [
        { name: 'basic', acr: ['1'] },
        { name: 'mfa', acr: ['2', 'urn:mfa'] },
        { name: 'hw', acr: ['3'], amr: { anyOf: ['hwk'] } },
      ],
      ...spec,
    },
  };
  const result = validatePolicy(structuredClone(doc));
  if ('errors' in result) throw new Error(JSON.stringify(result.errors));
  return compilePolicy(result.policy);
}

function request(over: Partial<RequestAttributes> = {}): RequestAttributes {
  return { id: 'r', method: 'GET', path: '/', host: 'api.example.com', scheme: 'https', headers: {}, query: {}, body: null, bodyState: 'none', sourceAddress: '10.0.0.1', route: {}, ...over };
}

function verified(over: Partial<Identity> = {}): IdentityResult {
  const identity: Identity = { issuer: ISS, subject: 'alice', audiences: ['api'], amr: ['pwd'], acr: '1', authTime: NOW - 60, expiresAt: NOW + 600, claims: { sub: 'alice' }, ...over };
  return { kind: 'verified', identity };
}

const anonymous: IdentityResult = { kind: 'anonymous' };

function run(policies: CompiledPolicy[], req: Partial<RequestAttributes>, identity: IdentityResult, signals: Signals = DEFAULT_SIGNALS) {
  return decide({ request: request(req), identity, signals, policies, now: NOW });
}

const transfer = policy('transfer', {
  rules: [
    { name: 'large', match: { methods: ['POST'], paths: ['/v1/transfers', '/v1/transfers/**'] }, when: 'request.body.amount > 10000', require: { level: 'mfa', maxAge: '5m' } },
    { name: 'admin', match: { paths: ['/admin/**'] }, require: { level: 'hw', maxAge: '15m' } },
    { name: 'export', match: { paths: ['/v1/export/*'] }, when: 'signals.ip.flagged', action: 'Deny' },
  ],
});

describe('matching', () => {
  it.each([
    ['POST /v1/transfers matches', 'POST', '/v1/transfers', true],
    ['POST /v1/transfers/abc/x matches **', 'POST', '/v1/transfers/abc/x', true],
    ['GET /v1/transfers: wrong method', 'GET', '/v1/transfers', false],
    ['POST /v1/transfersX: no partial match', 'POST', '/v1/transfersX', false],
    ['POST /v2/transfers: other path', 'POST', '/v2/transfers', false],
  ])('%s', (_name, method, path, fires) => {
    const d = run([transfer], { method, path, body: { amount: 20000n }, bodyState: 'json' }, verified());
    expect(d.hits.map((h) => h.rule).includes('large')).toBe(fires);
    expect(d.outcome).toBe(fires ? 'challenge' : 'allow');
  });

  it('`*` stays within one segment', () => {
    const flagged = { ...DEFAULT_SIGNALS, ip: { flagged: true, lists: ['bad'] } };
    expect(run([transfer], { path: '/v1/export/all' }, verified(), flagged).outcome).toBe('deny');
    expect(run([transfer], { path: '/v1/export/a/b' }, verified(), flagged).outcome).toBe('allow');
  });

  it('matches hosts exactly or by wildcard, ignoring case', () => {
    const p = policy('hosts', { rules: [{ name: 'h', match: { hosts: ['*.corp.example.com', 'admin.example.com'] }, action: 'Deny' }] });
    expect(run([p], { host: 'x.corp.example.com' }, anonymous).outcome).toBe('deny');
    expect(run([p], { host: 'admin.example.com' }, anonymous).outcome).toBe('deny');
    expect(run([p], { host: 'corp.example.com' }, anonymous).outcome).toBe('allow');
    expect(run([p], { host: 'example.com' }, anonymous).outcome).toBe('allow');
  });
});

describe('levels, amr and maxAge', () => {
  const body = { method: 'POST', path: '/v1/transfers', body: { amount: 50000n }, bodyState: 'json' as const };
  it.each([
    ['acr of the level', { acr: '2' }, 'allow', undefined],
    ['second acr value of the level', { acr: 'urn:mfa' }, 'allow', undefined],
    ['acr of a stronger level', { acr: '3', amr: ['hwk'] }, 'allow', undefined],
    ['acr of a weaker level', { acr: '1' }, 'challenge', 'insufficient_level'],
    ['unknown acr', { acr: 'gold' }, 'challenge', 'insufficient_level'],
    ['no acr', { acr: undefined }, 'challenge', 'insufficient_level'],
    ['level met but authenticated 6 minutes ago', { acr: '2', authTime: NOW - 360 }, 'challenge', 'stale_authentication'],
    ['level met, exactly 5 minutes ago', { acr: '2', authTime: NOW - 300 }, 'allow', undefined],
    ['level met, no auth_time', { acr: '2', authTime: undefined }, 'challenge', 'stale_authentication'],
  ])('%s', (_name, over, outcome, reason) => {
    const d = run([transfer], body, verified(over as Partial<Identity>));
    expect(d.outcome).toBe(outcome);
    if (reason) expect(d.reason).toBe(reason);
  });

  it('amr constraints of the required level must hold', () => {
    expect(run([transfer], { path: '/admin/users' }, verified({ acr: '3', amr: ['pwd'] })).reason).toBe('insufficient_level');
    expect(run([transfer], { path: '/admin/users' }, verified({ acr: '3', amr: ['pwd', 'hwk'] })).outcome).toBe('allow');
  });

  it('allOf needs every method', () => {
    const p = policy('allof', { levels: [{ name: 'strong', acr: ['2'], amr: { allOf: ['pwd', 'otp'] } }], rules: [{ name: 'r', match: { paths: ['/**'] }, require: { level: 'strong' } }] });
    expect(run([p], { path: '/x' }, verified({ acr: '2', amr: ['pwd'] })).outcome).toBe('challenge');
    expect(run([p], { path: '/x' }, verified({ acr: '2', amr: ['otp', 'pwd'] })).outcome).toBe('allow');
  });

  it('reports the strongest level met on allow', () => {
    const d = run([transfer], body, verified({ acr: '3', amr: ['hwk'] }));
    expect(d.outcome === 'allow' && d.levelMet).toBe('hw');
  });

  it('the challenge names the required acr values, preferred first, and max_age', () => {
    const d = run([transfer], body, verified({ acr: '1' }));
    expect(d.outcome).toBe('challenge');
    if (d.outcome !== 'challenge') return;
    expect(d.requirement.acrValues).toEqual(['2', 'urn:mfa']);
    expect(d.requirement.maxAgeSeconds).toBe(300);
  });
});

describe('combination', () => {
  const a = policy('a', { rules: [{ name: 'mfa-5m', match: { paths: ['/pay'] }, require: { level: 'mfa', maxAge: '5m' } }] });
  const b = policy('b', { rules: [{ name: 'hw-1h', match: { paths: ['/pay'] }, require: { level: 'hw', maxAge: '1h' } }] });
  const c = policy('c', { rules: [{ name: 'basic-1m', match: { paths: ['/pay'] }, require: { level: 'basic', maxAge: '1m' } }] });
  const deny = policy('d', { rules: [{ name: 'no', match: { paths: ['/pay'] }, action: 'Deny' }] });

  it('strongest level and shortest maxAge win, whatever the order', () => {
    for (const order of [[a, b, c], [c, b, a], [b, c, a]]) {
      const d = run(order, { path: '/pay' }, verified({ acr: '2', authTime: NOW - 120 }));
      expect(d.outcome).toBe('challenge');
      if (d.outcome !== 'challenge') continue;
      expect(d.requirement.acrValues).toEqual(expect.arrayContaining(['3']));
      expect(d.requirement.maxAgeSeconds).toBe(60);
      expect(d.hits.map((h) => h.rule).sort()).toEqual(['basic-1m', 'hw-1h', 'mfa-5m']);
    }
  });

  it('within one policy: strongest level, shortest maxAge', () => {
    const p = policy('one', { rules: [
      { name: 'x', match: { paths: ['/p'] }, require: { level: 'basic', maxAge: '1m' } },
      { name: 'y', match: { paths: ['/p'] }, require: { level: 'mfa', maxAge: '1h' } },
    ] });
    const stale = run([p], { path: '/p' }, verified({ acr: '2', authTime: NOW - 120 }));
    expect(stale.reason).toBe('stale_authentication');
    const d = run([p], { path: '/p' }, verified({ acr: '1', authTime: NOW - 10 }));
    expect(d.outcome === 'challenge' && d.requirement.acrValues).toEqual(['2', 'urn:mfa']);
  });

  it('Deny wins over everything, in any order', () => {
    for (const order of [[a, deny], [deny, a]]) {
      expect(run(order, { path: '/pay' }, verified({ acr: '3', amr: ['hwk'] })).outcome).toBe('deny');
    }
  });

  it('nothing matched: allow without hits', () => {
    const d = run([a, b], { path: '/other' }, anonymous);
    expect(d).toMatchObject({ outcome: 'allow', reason: 'no_rule_matched', hits: [] });
  });

  it('an Allow rule records the match and requires nothing', () => {
    const p = policy('allow', { rules: [{ name: 'health', match: { paths: ['/healthz'] }, action: 'Allow' }] });
    expect(run([p], { path: '/healthz' }, anonymous)).toMatchObject({ outcome: 'allow', hits: [{ rule: 'health', action: 'Allow' }] });
  });
});

describe('missing and foreign tokens', () => {
  const mk = (onMissingToken: 'Challenge' | 'Deny' | 'Allow') => policy(`m-${onMissingToken.toLowerCase()}`, { defaults: { onMissingToken }, rules: [{ name: 'r', match: { paths: ['/p'] }, require: { level: 'mfa' } }] });
  it.each([
    ['Challenge', 'challenge', 'token_missing'],
    ['Deny', 'deny', 'missing_token_denied'],
    ['Allow', 'allow', 'anonymous_allowed'],
  ] as const)('onMissingToken %s', (mode, outcome, reason) => {
    expect(run([mk(mode)], { path: '/p' }, anonymous)).toMatchObject({ outcome, reason });
  });

  it('a token for another audience does not count', () => {
    expect(run([mk('Challenge')], { path: '/p' }, verified({ acr: '2', audiences: ['other'] })).reason).toBe('token_not_accepted');
  });

  it('rejected and unavailable identities short-cut the rules', () => {
    const rejected: IdentityResult = { kind: 'rejected', error: 'invalid_token', reason: 'bad_signature', description: 'x' };
    expect(run([transfer], { path: '/admin/x' }, rejected)).toMatchObject({ outcome: 'invalid_token', reason: 'bad_signature' });
    const down: IdentityResult = { kind: 'unavailable', reason: 'jwks_unavailable', description: 'x' };
    expect(run([transfer], { path: '/' }, down)).toMatchObject({ outcome: 'unavailable' });
  });
});

describe('conditions', () => {
  it('a CEL runtime error makes the rule fire (fail closed) and is reported', () => {
    const d = run([transfer], { method: 'POST', path: '/v1/transfers', body: null, bodyState: 'none' }, verified({ acr: '1' }));
    expect(d.outcome).toBe('challenge');
    expect(d.hits[0]?.error).toMatch(/amount|null|key/i);
  });

  it('sees identity, route and signals', () => {
    const p = policy('ctx', { rules: [{ name: 'r', match: { paths: ['/**'] }, when: 'route.dataClass == "pii" && identity.sub == "alice" && signals.risk.score >= 50', action: 'Deny' }] });
    const risky = { ...DEFAULT_SIGNALS, risk: { score: 70n } };
    expect(run([p], { path: '/x', route: { dataClass: 'pii' } }, verified(), risky).outcome).toBe('deny');
    expect(run([p], { path: '/x', route: { dataClass: 'public' } }, verified(), risky).outcome).toBe('allow');
    expect(run([p], { path: '/x', route: { dataClass: 'pii' } }, verified(), DEFAULT_SIGNALS).outcome).toBe('allow');
  });

  it('a condition over identity fires for anonymous callers (identity is null)', () => {
    const p = policy('anon', { rules: [{ name: 'r', match: { paths: ['/**'] }, when: 'identity == null', action: 'Deny' }] });
    expect(run([p], { path: '/x' }, anonymous).outcome).toBe('deny');
    expect(run([p], { path: '/x' }, verified()).outcome).toBe('allow');
  });
});

describe('DryRun', () => {
  const dry = policy('dry', { mode: 'DryRun', rules: [{ name: 'would-deny', match: { paths: ['/p'] }, action: 'Deny' }, { name: 'would-stepup', match: { paths: ['/q'] }, require: { level: 'hw' } }] });
  it('never blocks, records what it would have done', () => {
    const d = run([dry], { path: '/p' }, anonymous);
    expect(d).toMatchObject({ outcome: 'allow', dryRun: { outcome: 'deny' }, hits: [{ rule: 'would-deny', dryRun: true }] });
    const q = run([dry], { path: '/q' }, verified());
    expect(q).toMatchObject({ outcome: 'allow', dryRun: { outcome: 'challenge', reason: 'insufficient_level' } });
  });
  it('does not weaken an enforced policy', () => {
    const d = run([dry, transfer], { path: '/admin/x' }, verified());
    expect(d.outcome).toBe('challenge');
  });
});
