// Faults on the request path (reliability.md items 1 and 5, the deadline, and
// policy changes), each against the real sidecar behind a real Envoy.
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { sidecarEntry, decisionLines } from '../harness/sidecar.js';
import { makeKey } from '../harness/test-issuer.js';
import { tempDir, waitFor, writeTemp } from '../harness/processes.js';
import { bearer, now, startStack, testPolicy, type Stack } from './support/stack.js';

let s: Stack | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

const strong = () => ({ acr: '3', amr: ['hwk'], auth_time: now() });

describe('sidecar down or slow', () => {
  it('sidecar killed: Envoy refuses every request and the upstream sees none', async () => {
    s = await startStack();
    expect((await s.call('/v1/accounts')).status).toBe(200);
    s.sidecar.child.kill('SIGKILL');
    await waitFor('the sidecar to exit', async () => s?.sidecar.child.exitCode !== null || s?.sidecar.child.signalCode !== null);
    const before = s.upstream.seen.length;
    const token = await s.issuer.token(strong());
    for (const path of ['/v1/accounts', '/admin/users', '/v1/transfers']) {
      const r = await s.call(path, { headers: bearer(token) });
      expect(r.status).toBe(503);
    }
    expect(s.upstream.seen.length).toBe(before);
  });

  it('a dependency slower than the deadline: the sidecar answers 503 itself (deadline_exceeded)', async () => {
    s = await startStack(['--deadline-ms', '100', '--jwks-timeout-ms', '5000', '--jwks-retries', '0', '--jwks-cooldown', '0']);
    s.issuer.delayMs = 2000;
    s.issuer.keys.push(await makeKey('key-2'));
    const token = await s.issuer.token(strong(), { key: s.issuer.keys[1] });
    const r = await s.call('/admin/users', { headers: bearer(token) });
    expect(r.status).toBe(503);
    expect(r.json()).toMatchObject({ status: 503 });
    await new Promise((res) => setTimeout(res, 50));
    expect(decisionLines(s.sidecar).at(-1)).toMatchObject({ outcome: 'unavailable', reason: 'deadline_exceeded' });
  });
});

describe('JWKS (item 5)', () => {
  it('a new key is accepted after one refetch; a removed key is refused', async () => {
    s = await startStack(['--jwks-cooldown', '0']);
    const oldToken = await s.issuer.token(strong());
    expect((await s.call('/admin/users', { headers: bearer(oldToken) })).status).toBe(200);
    const fetchesBefore = s.issuer.jwksRequests;
    const fresh = await makeKey('key-2');
    s.issuer.keys = [fresh];
    const newToken = await s.issuer.token(strong(), { key: fresh });
    expect((await s.call('/admin/users', { headers: bearer(newToken) })).status).toBe(200);
    expect(s.issuer.jwksRequests - fetchesBefore).toBe(1);
    const r = await s.call('/admin/users', { headers: bearer(oldToken) });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toContain('invalid_token');
  });

  it('JWKS unreachable beyond its cache age: refused with 503, after bounded retries', async () => {
    s = await startStack(['--jwks-max-age', '1', '--jwks-stale-max-age', '1', '--jwks-retries', '1', '--deadline-ms', '2000']);
    const token = await s.issuer.token(strong());
    expect((await s.call('/admin/users', { headers: bearer(token) })).status).toBe(200);
    s.issuer.available = false;
    await new Promise((res) => setTimeout(res, 1100)); // let the keys pass their (1 s) maximum age
    const before = s.issuer.jwksRequests;
    const other = await s.issuer.token({ ...strong(), sub: 'zoe' }); // not in the verified-token cache
    const r = await s.call('/admin/users', { headers: bearer(other) });
    expect(r.status).toBe(503);
    // Envoy may give up first (its 200 ms timeout) on a loaded machine; the sidecar still decides and logs.
    await waitFor('the decision to be logged', async () => decisionLines(s!.sidecar).at(-1)?.reason === 'jwks_unavailable');
    expect(s.issuer.jwksRequests - before).toBe(2);
  });
});

describe('policy changes', () => {
  it('a bad edit keeps the last good policies; a good edit is enforced', async () => {
    s = await startStack();
    const token = await s.issuer.token({ acr: '1', auth_time: now() });
    expect((await s.call('/v1/reports', { headers: bearer(token) })).status).toBe(200);
    writeFileSync(s.policyFile, `${testPolicy(s.issuer)}    - name: reports\n      match: {paths: ["/v1/reports"]}\n      require: {level: nonexistent}\n`);
    await waitFor('the rejection to be logged', async () => /policy change rejected/.test(s?.sidecar.output() ?? ''));
    expect(s.sidecar.output()).toMatch(/policy\.yaml \(document 1, shop\/payments\): spec: every rule's require.level must name a level/);
    expect((await s.call('/v1/reports', { headers: bearer(token) })).status).toBe(200);
    expect((await s.call('/admin/users', { headers: bearer(token) })).status).toBe(401);
    writeFileSync(s.policyFile, `${testPolicy(s.issuer)}    - name: reports\n      match: {paths: ["/v1/reports"]}\n      action: Deny\n`);
    await waitFor('the new policy to be enforced', async () => (await s!.call('/v1/reports', { headers: bearer(token) })).status === 403);
  });

  it('refuses to start on an invalid policy, naming file, document and field', () => {
    const file = writeTemp(tempDir('bad'), 'bad.yaml', 'apiVersion: stepup.dev/v1alpha1\nkind: StepUpPolicy\nmetadata: {name: ok}\nspec:\n  rules: [{name: r, match: {paths: ["/x"]}, action: Deny}]\n---\napiVersion: stepup.dev/v1alpha1\nkind: StepUpPolicy\nmetadata: {name: bad}\nspec:\n  rules: [{name: r, match: {paths: ["/x"]}, when: "signals.ip.flaged", action: Deny}]\n');
    const run = spawnSync(process.execPath, [sidecarEntry(), '--policies', file, '--listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:1'], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/bad\.yaml \(document 2, default\/bad\): spec\.rules\[0\]\.when: CEL: .*flaged/);
  });

  it('a flag typo fails with a pointer to --help', () => {
    const run = spawnSync(process.execPath, [sidecarEntry(), '--polices', 'x'], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/polices[\s\S]*--help/);
  });
});
