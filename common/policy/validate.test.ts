import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLoadError, loadPolicyFiles } from './load-files.js';
import { validatePolicy } from './validate.js';

function base(): Record<string, any> {
  return {
    apiVersion: 'stepup.dev/v1alpha1',
    kind: 'StepUpPolicy',
    metadata: { name: 'p', namespace: 'shop' },
    spec: {
      issuers: [{ issuer: 'https://idp', jwksUri: 'https://idp/jwks', audiences: ['api'] }],
      levels: [{ name: 'mfa', acr: ['2'] }],
      rules: [{ name: 'r', match: { paths: ['/x'] }, require: { level: 'mfa', maxAge: '5m' } }],
    },
  };
}

function errorsOf(mutate: (d: Record<string, any>) => void): { path: string; message: string }[] {
  const doc = base();
  mutate(doc);
  const result = validatePolicy(doc);
  return 'errors' in result ? result.errors : [];
}

describe('validatePolicy', () => {
  it('accepts a good policy and fills defaults like the API server', () => {
    const result = validatePolicy(base());
    expect('policy' in result).toBe(true);
    if ('policy' in result) expect(result.policy.spec.mode).toBe('Enforce');
  });

  it.each([
    ['wrong apiVersion', (d: any) => (d.apiVersion = 'stepup.dev/v1'), 'apiVersion', /stepup.dev\/v1alpha1/],
    ['unknown field (typo)', (d: any) => (d.spec.rules[0].requires = {}), 'spec.rules[0].requires', /unknown field/],
    ['missing rules', (d: any) => delete d.spec.rules, 'spec.rules', /required/],
    ['bad mode', (d: any) => (d.spec.mode = 'Audit'), 'spec.mode', /Enforce, DryRun/],
    ['bad duration', (d: any) => (d.spec.rules[0].require.maxAge = '5 minutes'), 'spec.rules[0].require.maxAge', /pattern/],
    ['empty match', (d: any) => (d.spec.rules[0].match = {}), 'spec.rules[0].match', /fewer than 1/],
    ['path not absolute', (d: any) => (d.spec.rules[0].match.paths = ['x']), 'spec.rules[0].match.paths[0]', /pattern/],
    ['unknown level', (d: any) => (d.spec.rules[0].require.level = 'gold'), 'spec', /must name a level/],
    ['Deny with require', (d: any) => (d.spec.rules[0].action = 'Deny'), 'spec.rules[0]', /Deny and Allow rules take none/],
    ['StepUp without require', (d: any) => delete d.spec.rules[0].require, 'spec.rules[0]', /StepUp rule needs require/],
    ['duplicate rule names', (d: any) => d.spec.rules.push({ ...d.spec.rules[0] }), 'spec.rules[1]', /duplicate name/],
    ['http JWKS off loopback', (d: any) => (d.spec.issuers[0].jwksUri = 'http://idp.example.com/jwks'), 'spec.issuers[0].jwksUri', /https/],
    ['CEL syntax error', (d: any) => (d.spec.rules[0].when = 'request.body.amount >'), 'spec.rules[0].when', /CEL/],
    ['CEL unknown signal', (d: any) => (d.spec.rules[0].when = 'signals.ip.flaged'), 'spec.rules[0].when', /flaged/],
    ['CEL not boolean', (d: any) => (d.spec.rules[0].when = '1 + 2'), 'spec.rules[0].when', /bool/],
    ['CEL unknown variable', (d: any) => (d.spec.rules[0].when = 'user.admin'), 'spec.rules[0].when', /user/],
    ['bad name', (d: any) => (d.metadata.name = 'Payments'), 'metadata.name', /DNS/],
    ['IP list with two sources', (d: any) => (d.spec.ipLists = [{ name: 'tor', cidrs: ['10.0.0.0/8'], file: 'tor.txt' }]), 'spec.ipLists[0]', /exactly one of cidrs, file and configMapRef/],
    ['IP list with no source', (d: any) => (d.spec.ipLists = [{ name: 'tor', flagged: true }]), 'spec.ipLists[0]', /exactly one/],
    ['IP list with a bad block', (d: any) => (d.spec.ipLists = [{ name: 'tor', cidrs: ['10.0.0.0/8', '10.0.0.0/40'] }]), 'spec.ipLists[0].cidrs[1]', /not an IPv4 or IPv6/],
    ['IP list entry that is no address', (d: any) => (d.spec.ipLists = [{ name: 'tor', cidrs: ['example.com'] }]), 'spec.ipLists[0].cidrs[0]', /pattern/],
    ['duplicate IP list names', (d: any) => (d.spec.ipLists = [{ name: 'a', cidrs: ['::1'] }, { name: 'a', file: 'x' }]), 'spec.ipLists[1]', /duplicate name/],
    ['configMapRef without key', (d: any) => (d.spec.ipLists = [{ name: 'a', configMapRef: { name: 'lists' } }]), 'spec.ipLists[0].configMapRef.key', /required/],
    ['devices without trustLevel', (d: any) => (d.spec.devices = { header: 'x-device-id' }), 'spec.devices.trustLevel', /required/],
    ['devices with an unknown trustLevel', (d: any) => (d.spec.devices = { trustLevel: 'gold' }), 'spec', /devices.trustLevel must name a level/],
    ['device header in upper case', (d: any) => (d.spec.devices = { header: 'X-Device', trustLevel: 'mfa' }), 'spec.devices.header', /pattern/],
    ['afterRisk not a boolean', (d: any) => (d.spec.rules[0].require.afterRisk = 'yes'), 'spec.rules[0].require.afterRisk', /boolean/],
  ])('%s', (_name, mutate, path, message) => {
    const errors = errorsOf(mutate);
    expect(errors.length).toBeGreaterThan(0);
    const hit = errors.find((e) => e.path === path);
    expect(hit, JSON.stringify(errors)).toBeDefined();
    expect(hit?.message).toMatch(message);
  });
});

describe('signal fields', () => {
  it('accepts IP lists, devices, afterRisk and singleUse, with defaults filled in', () => {
    const doc = base();
    doc.spec.ipLists = [
      { name: 'tor', flagged: true, cidrs: ['198.51.100.0/24', '2001:db8::/32', '192.0.2.1'] },
      { name: 'office', file: 'office.txt' },
      { name: 'partners', configMapRef: { name: 'ip-lists', key: 'partners' } },
    ];
    doc.spec.devices = { trustLevel: 'mfa' };
    doc.spec.rules[0].require = { level: 'mfa', afterRisk: true, singleUse: true };
    const result = validatePolicy(doc);
    expect('policy' in result, JSON.stringify(result)).toBe(true);
    if (!('policy' in result)) return;
    expect(result.policy.spec.devices?.header).toBe('x-device-id');
    expect(result.policy.spec.ipLists?.[1]?.flagged).toBe(false);
  });
});

describe('loadPolicyFiles', () => {
  it('names the file, the document and the field of every error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepup-validate-'));
    const good = JSON.stringify(base());
    const bad = JSON.stringify({ ...base(), metadata: { name: 'q', namespace: 'shop' }, spec: { ...base().spec, mode: 'Nope' } });
    writeFileSync(join(dir, 'a.yaml'), `${good}\n---\n${bad}\n`);
    writeFileSync(join(dir, 'b.yaml'), 'spec: [unclosed\n');
    const { policies, errors } = loadPolicyFiles(dir);
    expect(policies).toHaveLength(1);
    const lines = errors.map(formatLoadError);
    expect(lines).toContainEqual(expect.stringMatching(/a\.yaml \(document 2, shop\/q\): spec\.mode: must be one of Enforce, DryRun/));
    expect(lines).toContainEqual(expect.stringMatching(/b\.yaml \(document 1\): YAML:/));
  });

  it('refuses the same policy twice', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepup-validate-'));
    writeFileSync(join(dir, 'a.yaml'), JSON.stringify(base()));
    writeFileSync(join(dir, 'b.yaml'), JSON.stringify(base()));
    expect(loadPolicyFiles(dir).errors.map(formatLoadError)).toContainEqual(expect.stringMatching(/shop\/p is also defined in/));
  });

  it('reports a missing path and an empty folder', () => {
    expect(loadPolicyFiles('/nonexistent/stepup').errors[0]?.message).toMatch(/ENOENT|no such file/);
    expect(loadPolicyFiles(mkdtempSync(join(tmpdir(), 'stepup-empty-'))).errors[0]?.message).toMatch(/no \*\.yaml/);
  });
});
