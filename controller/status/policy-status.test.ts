import { describe, expect, it } from 'vitest';
import { PolicyStore } from '../policy/policy-store.js';
import { policyObject } from '../testing/fixtures.js';
import { desiredStatus, sameStatus } from './policy-status.js';
import type { PolicyCounts } from './sync-report.js';

const NOW = new Date('2026-01-02T03:04:05.678Z');

function entryOf(...objects: ReturnType<typeof policyObject>[]) {
  const store = new PolicyStore();
  for (const o of objects) store.upsert(o);
  const entry = store.get('shop/p');
  if (!entry) throw new Error('no entry');
  return entry;
}

const counts = (selected: number, inSync: number, rejected = 0, problems: string[] = []): PolicyCounts => ({ version: 'v', selected, inSync, rejected, problems });

describe('desiredStatus', () => {
  it.each([
    ['all in sync', counts(2, 2), 'True', 'AllInSync', /all 2 selected sidecars enforce generation 1/],
    ['no sidecar selected', counts(0, 0), 'True', 'NoSidecars', /no connected sidecar/],
    ['some pending', counts(3, 1, 0, ['p-2: held']), 'False', 'Pending', /1 of 3 selected sidecars enforce generation 1: p-2: held/],
    ['a NACK', counts(2, 1, 1, ['p-1: the sidecar refused version x: bad']), 'False', 'SnapshotRejected', /1 of 2 selected sidecars refused.*p-1: the sidecar refused/],
  ])('%s', (_name, c, status, reason, message) => {
    const s = desiredStatus(entryOf(policyObject('p')), c, undefined, NOW);
    expect(s.observedGeneration).toBe(1);
    expect(s.sidecars.summary).toBe(`${c.inSync}/${c.selected}`);
    expect(s.conditions[0]).toMatchObject({ type: 'Accepted', status: 'True', reason: 'Compiled', observedGeneration: 1 });
    expect(s.conditions[1]).toMatchObject({ type: 'Enforced', status, reason, observedGeneration: 1, lastTransitionTime: '2026-01-02T03:04:05Z' });
    expect(s.conditions[1]?.message).toMatch(message);
  });

  it('a rejected generation: Accepted=False with the reasons, Enforced=False naming the generation kept', () => {
    const entry = entryOf(policyObject('p', { generation: 1 }), policyObject('p', { generation: 2, when: 'signals.ip.flaged' }));
    const s = desiredStatus(entry, counts(1, 0), undefined, NOW);
    expect(s.observedGeneration).toBe(2);
    expect(s.version).toBeUndefined();
    expect(s.conditions[0]).toMatchObject({ status: 'False', reason: 'Invalid', observedGeneration: 2 });
    expect(s.conditions[0]?.message).toMatch(/flaged/);
    expect(s.conditions[1]).toMatchObject({ status: 'False', reason: 'NotAccepted' });
    expect(s.conditions[1]?.message).toMatch(/sidecars keep enforcing generation 1/);
  });

  it('keeps lastTransitionTime while a condition keeps its status', () => {
    const entry = entryOf(policyObject('p'));
    const first = desiredStatus(entry, counts(1, 0), undefined, new Date('2026-01-01T00:00:00Z'));
    const later = desiredStatus(entry, counts(2, 1), first, NOW);
    expect(later.conditions[1]?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    const flipped = desiredStatus(entry, counts(2, 2), later, NOW);
    expect(flipped.conditions[1]?.lastTransitionTime).toBe('2026-01-02T03:04:05Z');
  });

  it('sameStatus ignores key order', () => {
    expect(sameStatus({ a: 1, b: [{ c: 1, d: 2 }] }, { b: [{ d: 2, c: 1 }], a: 1 })).toBe(true);
    expect(sameStatus({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameStatus(undefined, {})).toBe(false);
  });
});
