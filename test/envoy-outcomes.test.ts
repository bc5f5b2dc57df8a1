// Every row of design.md's outcome table, through a real Envoy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisionLines } from '../harness/sidecar.js';
import { bearer, now, startStack, type Stack } from './support/stack.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s?.stop();
});

const bigTransfer = { method: 'POST', body: { amount: 25000, to: 'bob' } };

describe('outcomes on the wire (through Envoy)', () => {
  it('no rule matches: the request passes, anonymous', async () => {
    const before = s.upstream.seen.length;
    const r = await s.call('/v1/accounts');
    expect(r.status).toBe(200);
    expect(s.upstream.seen.length).toBe(before + 1);
    expect(s.upstream.seen.at(-1)?.headers['x-stepup-decision-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.upstream.seen.at(-1)?.headers['x-stepup-subject']).toBeUndefined();
  });

  it('a rule needs a level and there is no token: 401 Bearer realm with the acr_values hint', async () => {
    const before = s.upstream.seen.length;
    const r = await s.call('/v1/transfers', bigTransfer);
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer realm="stepup", acr_values="2 urn:example:loa:2", max_age="300"');
    expect(r.headers['content-type']).toBe('application/problem+json');
    const problem = r.json<{ status: number; decision_id: string; type: string }>();
    expect(problem.status).toBe(401);
    expect(problem.decision_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.upstream.seen.length).toBe(before);
  });

  it('level not met: 401 insufficient_user_authentication with acr_values and max_age (RFC 9470)', async () => {
    const token = await s.issuer.token({ acr: '1', amr: ['pwd'], auth_time: now() - 10 });
    const r = await s.call('/v1/transfers', { ...bigTransfer, headers: bearer(token) });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe(
      'Bearer realm="stepup", error="insufficient_user_authentication", error_description="A stronger authentication is required for this request.", acr_values="2 urn:example:loa:2", max_age="300"',
    );
    expect(r.json()).toMatchObject({ status: 401, acr_values: '2 urn:example:loa:2', max_age: 300 });
  });

  it('freshness not met: the same challenge, saying a more recent authentication is needed', async () => {
    const token = await s.issuer.token({ acr: '2', auth_time: now() - 3600 });
    const r = await s.call('/v1/transfers', { ...bigTransfer, headers: bearer(token) });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toMatch(/error="insufficient_user_authentication", error_description="A more recent authentication[^"]*", acr_values="2 urn:example:loa:2", max_age="300"/);
  });

  it('the body decides: a small transfer with a basic token passes, a large one does not', async () => {
    const token = await s.issuer.token({ acr: '1', auth_time: now() });
    expect((await s.call('/v1/transfers', { method: 'POST', body: { amount: 50 }, headers: bearer(token) })).status).toBe(200);
    expect((await s.call('/v1/transfers', { method: 'POST', body: { amount: 10001 }, headers: bearer(token) })).status).toBe(401);
  });

  it('a body too large for Envoy to forward whole cannot be read: the rule fires (fail closed)', async () => {
    const token = await s.issuer.token({ acr: '1', auth_time: now() });
    const padded = { amount: 50, note: 'x'.repeat(20_000) };
    const r = await s.call('/v1/transfers', { method: 'POST', body: padded, headers: bearer(token) });
    expect(r.status).toBe(401);
    await new Promise((res) => setTimeout(res, 50));
    expect(decisionLines(s.sidecar).at(-1)).toMatchObject({ request: { body: 'truncated' }, triggers: [{ rule: 'large-transfer', error: expect.any(String) }] });
  });

  it('level and freshness met: passes with trusted headers', async () => {
    const token = await s.issuer.token({ sub: 'carol', acr: '2', amr: ['pwd', 'otp'], auth_time: now() - 30 });
    const r = await s.call('/v1/transfers', { ...bigTransfer, headers: bearer(token) });
    expect(r.status).toBe(200);
    const seen = s.upstream.seen.at(-1);
    expect(seen?.headers['x-stepup-subject']).toBe('carol');
    expect(seen?.headers['x-stepup-level']).toBe('mfa');
    expect(JSON.parse(seen?.body ?? '{}')).toEqual(bigTransfer.body);
  });

  it('a stronger level meets a weaker requirement only with its amr', async () => {
    const hw = await s.issuer.token({ acr: '3', amr: ['hwk'], auth_time: now() });
    expect((await s.call('/admin/users', { headers: bearer(hw) })).status).toBe(200);
    const noHwk = await s.issuer.token({ acr: '3', amr: ['pwd'], auth_time: now() });
    expect((await s.call('/admin/users', { headers: bearer(noHwk) })).status).toBe(401);
  });

  it('route context (Envoy context_extensions) reaches the conditions', async () => {
    const token = await s.issuer.token({ acr: '1', auth_time: now() });
    const r = await s.call('/v1/records/42', { headers: bearer(token) });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toContain('acr_values="2 urn:example:loa:2"');
  });

  it('a Deny rule: 403 problem+json', async () => {
    const token = await s.issuer.token({ acr: '3', amr: ['hwk'], auth_time: now() });
    const r = await s.call('/v1/blocked/x', { headers: bearer(token) });
    expect(r.status).toBe(403);
    expect(r.headers['content-type']).toBe('application/problem+json');
    expect(r.json()).toMatchObject({ status: 403 });
  });

  it('a browser is redirected to the IdP with acr_values and max_age', async () => {
    const r = await s.call('/v1/transfers', { ...bigTransfer, headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(r.status).toBe(302);
    const location = new URL(String(r.headers.location));
    expect(`${location.origin}${location.pathname}`).toBe(`${s.issuer.url}/auth`);
    expect(location.searchParams.get('acr_values')).toBe('2 urn:example:loa:2');
    expect(location.searchParams.get('max_age')).toBe('300');
    expect(location.searchParams.get('client_id')).toBe('payments-web');
    expect(location.searchParams.get('redirect_uri')).toBe('https://app.example.com/callback');
  });

  it('an invalid token: 401 invalid_token', async () => {
    const token = await s.issuer.token({ acr: '2', exp: now() - 3600 });
    const r = await s.call('/v1/accounts', { headers: bearer(token) });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer realm="stepup", error="invalid_token", error_description="The access token expired."');
  });

  it('every decision leaves one log line with its evidence, and no token', async () => {
    const token = await s.issuer.token({ sub: 'dave', acr: '1', auth_time: now() });
    const r = await s.call('/v1/transfers', { ...bigTransfer, headers: bearer(token) });
    const id = r.json<{ decision_id: string }>().decision_id;
    await new Promise((res) => setTimeout(res, 100));
    const lines = decisionLines(s.sidecar).filter((l) => l.decision_id === id);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      outcome: 'challenge',
      reason: 'insufficient_level',
      status: 401,
      rules: ['shop/payments/large-transfer'],
      triggers: [{ rule: 'large-transfer', when: 'request.body.amount > 10000' }],
      identity: { kind: 'verified', sub: 'dave', acr: '1' },
      requirement: { acrValues: ['2', 'urn:example:loa:2'], maxAgeSeconds: 300 },
    });
    expect(typeof lines[0]?.latency_ms).toBe('number');
    expect(s.sidecar.output()).not.toContain(token);
  });

  it('metrics count decisions by outcome and rule hits by policy and rule', async () => {
    const text = await (await fetch(`http://127.0.0.1:${s.sidecar.httpPort}/metrics`)).text();
    expect(text).toMatch(/stepup_decisions_total\{outcome="challenge",reason="insufficient_level"\} [1-9]/);
    expect(text).toMatch(/stepup_rule_hits_total\{policy="shop\/payments",rule="large-transfer",action="StepUp"\} [1-9]/);
    expect(text).toMatch(/stepup_decision_duration_seconds_bucket/);
    expect(text).toMatch(/stepup_jwks_fetches_total\{jwks_uri="[^"]+",result="ok"\} [1-9]/);
  });
});
