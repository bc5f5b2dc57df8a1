import { describe, expect, it } from 'vitest';
import type { Decision, RequestAttributes, Requirement } from '../decision/types.js';
import { toHttpOutcome } from './http-response.js';

const request = (accept?: string): RequestAttributes => ({ id: 'r', method: 'GET', path: '/admin/users', host: 'h', scheme: 'https', headers: accept ? { accept } : {}, query: {}, body: null, bodyState: 'none', sourceAddress: '', route: {} });
const challenge = (requirement: Partial<Requirement>): Decision => ({ outcome: 'challenge', reason: 'token_missing', hits: [], requirement: { levels: [], acrValues: ['3'], maxAgeSeconds: 900, ...requirement } });
const idp = { url: 'https://idp.example.com/auth', clientId: 'web', redirectUri: 'https://app.example.com/cb' };
const html = 'text/html,application/xhtml+xml';

function location(d: Decision, accept: string | undefined, browserRedirect = true): string | undefined {
  const out = toHttpOutcome(d, request(accept), { decisionId: 'd-1' }, { realm: 'stepup', browserRedirect });
  if (out.kind !== 'deny') return undefined;
  return out.status === 302 ? out.headers.find(([k]) => k === 'location')?.[1] : `status ${out.status}`;
}

describe('browser redirects', () => {
  it.each([
    ['to the IdP with acr_values, max_age, client and state', { authorizationEndpoint: idp }, html, 'https://idp.example.com/auth?response_type=code&scope=openid&client_id=web&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&acr_values=3&max_age=900&state=d-1'],
    ['to the app login route (relative) when one is named', { authorizationEndpoint: idp, loginUrl: '/login' }, html, '/login?acr_values=3&max_age=900&return_to=%2Fadmin%2Fusers'],
    ['to the app login route (absolute)', { loginUrl: 'https://app.example.com/login?x=1' }, html, 'https://app.example.com/login?x=1&acr_values=3&max_age=900&return_to=%2Fadmin%2Fusers'],
    ['not for API clients', { authorizationEndpoint: idp }, 'application/json', 'status 401'],
    ['not without a place to go', {}, html, 'status 401'],
  ])('%s', (_name, requirement, accept, expected) => {
    expect(location(challenge(requirement), accept)).toBe(expected);
  });

  it('not when switched off', () => {
    expect(location(challenge({ authorizationEndpoint: idp }), html, false)).toBe('status 401');
  });
});

describe('allowed requests', () => {
  it('set the trusted headers they know and remove the others', () => {
    const anonymous = toHttpOutcome({ outcome: 'allow', reason: 'no_rule_matched', hits: [] }, request(), { decisionId: 'd-2' }, { realm: 'r', browserRedirect: true });
    expect(anonymous).toEqual({ kind: 'allow', setHeaders: [['x-stepup-decision-id', 'd-2']], removeHeaders: ['x-stepup-subject', 'x-stepup-level'] });
    const known = toHttpOutcome({ outcome: 'allow', reason: 'requirements_met', hits: [], levelMet: 'mfa' }, request(), { decisionId: 'd-3', subject: 'al\u00efce\n' }, { realm: 'r', browserRedirect: true });
    expect(known).toEqual({ kind: 'allow', setHeaders: [['x-stepup-decision-id', 'd-3'], ['x-stepup-subject', 'al%C3%AFce%0A'], ['x-stepup-level', 'mfa']], removeHeaders: [] });
  });
});
