import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPolicySet } from '../../common/policy/policy-set.js';
import type { IpListSpec, StepUpPolicy } from '../../common/policy/types.js';
import { validatePolicy } from '../../common/policy/validate.js';
import { tempDir } from '../../harness/processes.js';
import { buildSignalSetup, parseListFile, readDeviceId } from './signal-setup.js';

function set(lists: IpListSpec[][]) {
  return buildPolicySet(
    lists.map((ipLists, i) => {
      const r = validatePolicy({ apiVersion: 'stepup.dev/v1alpha1', kind: 'StepUpPolicy', metadata: { name: `p${i}` }, spec: { ipLists, rules: [{ name: 'r', match: { paths: ['/'] }, action: 'Deny' }] } });
      if (!('policy' in r)) throw new Error(JSON.stringify(r));
      return r.policy as StepUpPolicy;
    }),
  );
}

describe('IP lists from a policy set', () => {
  const dir = tempDir('lists');
  writeFileSync(join(dir, 'tor.txt'), '# exit nodes\n198.51.100.7\n\n2001:db8:dead::/48  # a whole block\n');
  writeFileSync(join(dir, 'bad.txt'), '10.0.0.0/8\nnot-an-address\n');

  it.each([
    ['198.51.100.7', ['tor'], true],
    ['2001:db8:dead::1', ['tor'], true],
    ['10.9.9.9', ['office'], false],
    ['192.0.2.1', ['partners', 'office'], false],
    ['203.0.113.1', [], false],
    ['garbage', [], false],
  ])('%s is on %j (flagged: %s)', (address, lists, flagged) => {
    const s = buildSignalSetup(
      set([
        [{ name: 'tor', flagged: true, file: 'tor.txt' }, { name: 'partners', cidrs: ['192.0.2.0/24'] }],
        [{ name: 'office', cidrs: ['10.0.0.0/8', '192.0.2.1'] }],
      ]),
      dir,
    );
    expect(s.lookupAddress(address)).toEqual({ lists, flagged });
  });

  it('the same list name in two policies is one list, flagged when either says so', () => {
    const s = buildSignalSetup(set([[{ name: 'bad', cidrs: ['10.0.0.1'] }], [{ name: 'bad', flagged: true, cidrs: ['10.0.0.2'] }]]), dir);
    expect(s.lookupAddress('10.0.0.1')).toEqual({ lists: ['bad'], flagged: true });
  });

  it.each([
    ['a missing file', [{ name: 'x', file: 'missing.txt' }], /ipLists x: cannot read .*missing\.txt/],
    ['a bad line, with file and line number', [{ name: 'x', file: 'bad.txt' }], /bad\.txt:2: "not-an-address" is not/],
    ['a ConfigMap in standalone mode', [{ name: 'x', configMapRef: { name: 'cm', key: 'k' } }], /configMapRef lists are resolved by the controller/],
  ] as [string, IpListSpec[], RegExp][])('refuses %s', (_n, lists, message) => {
    expect(() => buildSignalSetup(set([lists]), dir)).toThrow(message);
  });

  it('parseListFile ignores comments and blank lines', () => {
    expect(parseListFile('# only comments\n\n   \n', 'f')).toEqual([]);
  });
});

describe('readDeviceId', () => {
  const trustLevel = { name: 'mfa', rank: 1, acr: ['2'], acrAtOrAbove: new Set(['2']) };
  it.each([
    ['default header when no policy configures devices', [], { 'x-device-id': ' abc ' }, 'abc'],
    ['configured header', [{ header: 'x-dev', trustLevel }], { 'x-dev': 'h1', 'x-device-id': 'ignored' }, 'h1'],
    ['cookie when the header is absent', [{ header: 'x-dev', cookie: 'did', trustLevel }], { cookie: 'a=1; did="c1"; z=2' }, 'c1'],
    ['none', [{ header: 'x-dev', cookie: 'did', trustLevel }], { cookie: 'a=1' }, undefined],
    ['empty header is none', [], { 'x-device-id': '  ' }, undefined],
  ])('%s', (_n, sources, headers, id) => {
    expect(readDeviceId(sources, headers as Record<string, string>)).toBe(id);
  });
});
