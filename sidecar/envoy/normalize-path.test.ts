import { describe, expect, it } from 'vitest';
import { compilePathGlob } from '../../common/policy/path-glob.js';
import { normalizePath } from './normalize-path.js';

describe('normalizePath', () => {
  it.each([
    ['/admin/users', '/admin/users'],
    ['//admin//users', '/admin/users'],
    ['/public/../admin/x', '/admin/x'],
    ['/./admin/./x', '/admin/x'],
    ['/%61dmin/x', '/admin/x'],
    ['/a/%2e%2e/admin', '/admin'],
    ['/admin%2Fx', '/admin%2Fx'],
    ['/../../etc', '/etc'],
    ['/v1/transfers/', '/v1/transfers/'],
    ['/', '/'],
  ])('%s -> %s', (raw, want) => {
    expect(normalizePath(raw)).toBe(want);
  });
});

describe('path globs', () => {
  it.each([
    ['/v1/transfers/**', '/v1/transfers/a/b', true],
    ['/v1/transfers/**', '/v1/transfers', false],
    ['/v1/*/items', '/v1/a/items', true],
    ['/v1/*/items', '/v1/a/b/items', false],
    ['/v1/a.b', '/v1/aXb', false],
    ['/files/*.pdf', '/files/x.pdf', true],
  ])('%s vs %s', (glob, path, match) => {
    expect(compilePathGlob(glob).test(path)).toBe(match);
  });
});
