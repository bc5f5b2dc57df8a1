import { describe, expect, it } from 'vitest';
import { applyPatch } from './fixtures.js';
import { diffToPatch, pointerSegment } from './json-patch.js';

const cases: [string, Record<string, unknown>, Record<string, unknown>, unknown[]][] = [
  ['nothing changes', { a: 1, b: [1, { c: 2 }] }, { a: 1, b: [1, { c: 2 }] }, []],
  ['a member is added', { a: 1 }, { a: 1, b: { c: true } }, [{ op: 'add', path: '/b', value: { c: true } }]],
  ['a member is removed', { a: 1, b: 2 }, { a: 1 }, [{ op: 'remove', path: '/b' }]],
  ['a scalar changes', { a: { b: 'x' } }, { a: { b: 'y' } }, [{ op: 'replace', path: '/a/b', value: 'y' }]],
  ['a type changes', { a: { b: 1 } }, { a: [1] }, [{ op: 'replace', path: '/a', value: [1] }]],
  ['an array grows at its end', { l: [1] }, { l: [1, 2, 3] }, [{ op: 'add', path: '/l/-', value: 2 }, { op: 'add', path: '/l/-', value: 3 }]],
  ['an array element changes in place', { l: [{ n: 'a', p: 1 }] }, { l: [{ n: 'a', p: 2 }] }, [{ op: 'replace', path: '/l/0/p', value: 2 }]],
  ['an array grows and an element changes', { l: [{ p: 1 }] }, { l: [{ p: 2 }, 3] }, [{ op: 'replace', path: '/l/0/p', value: 2 }, { op: 'add', path: '/l/-', value: 3 }]],
  ['an array shrinks', { l: [1, 2] }, { l: [2] }, [{ op: 'replace', path: '/l', value: [2] }]],
  ['keys with / and ~ are escaped', { m: {} }, { m: { 'stepup.dev/x~y': 'v' } }, [{ op: 'add', path: '/m/stepup.dev~1x~0y', value: 'v' }]],
  ['undefined members count as absent', { a: undefined, b: 1 }, { b: 1, c: undefined }, []],
];

describe('diffToPatch', () => {
  it.each(cases)('%s', (_name, before, after, expected) => {
    const patch = diffToPatch(before, after);
    expect(patch).toEqual(expected);
    expect(applyPatch(before, patch)).toEqual(JSON.parse(JSON.stringify(after)));
  });

  it('does not change its inputs', () => {
    const before = { a: [1], b: { c: 1 } };
    const snapshot = structuredClone(before);
    diffToPatch(before, { a: [1, 2], b: {} });
    expect(before).toEqual(snapshot);
  });

  it('escapes pointer segments as RFC 6901 says', () => {
    expect(pointerSegment('a/b~c')).toBe('a~1b~0c');
    expect(pointerSegment(3)).toBe('3');
  });
});
