import { describe, expect, it } from 'vitest';
import { policyObject } from '../testing/fixtures.js';
import { PolicyStore } from './policy-store.js';

describe('PolicyStore', () => {
  it('accepts and compiles a valid policy', () => {
    const store = new PolicyStore();
    expect(store.upsert(policyObject('p', { app: 'payments' }))).toBe(true);
    const e = store.get('shop/p');
    expect(e?.verdict).toEqual({ accepted: true });
    expect(e?.inForce).toMatchObject({ generation: 1, selector: { matchLabels: { app: 'payments' } } });
    expect(JSON.parse(e?.inForce?.document ?? '{}')).toMatchObject({ kind: 'StepUpPolicy', metadata: { name: 'p', namespace: 'shop' } });
  });

  it('a rejected generation keeps the last accepted one of the same object in force', () => {
    const store = new PolicyStore();
    store.upsert(policyObject('p', { generation: 1 }));
    const good = store.get('shop/p')?.inForce;
    store.upsert(policyObject('p', { generation: 2, when: 'signals.ip.flaged' }));
    const e = store.get('shop/p');
    expect(e?.verdict.accepted).toBe(false);
    expect(e?.verdict.accepted === false && e.verdict.reasons[0]).toMatch(/rules\[0\]\.when: CEL: .*flaged/);
    expect(e?.inForce).toBe(good);
  });

  it('a re-created object (new uid) does not inherit the old one\'s accepted generation', () => {
    const store = new PolicyStore();
    store.upsert(policyObject('p', { uid: 'one' }));
    store.upsert(policyObject('p', { uid: 'two', when: 'nope(' }));
    expect(store.get('shop/p')?.inForce).toBeUndefined();
  });

  it('a status-only update (same generation) is not a change', () => {
    const store = new PolicyStore();
    store.upsert(policyObject('p'));
    const revision = store.revision;
    const updated = { ...policyObject('p'), status: { observedGeneration: 1 } };
    expect(store.upsert(updated)).toBe(false);
    expect(store.revision).toBe(revision);
    expect(store.get('shop/p')?.object.status).toEqual({ observedGeneration: 1 });
  });

  it('an IP list by configMapRef is not accepted yet, with a reason (the seam for referenced objects)', () => {
    const store = new PolicyStore();
    const object = policyObject('p');
    (object.spec as Record<string, unknown>).ipLists = [{ name: 'partners', configMapRef: { name: 'ip-lists', key: 'partners' } }];
    store.upsert(object);
    const e = store.get('shop/p');
    expect(e?.verdict.accepted === false && e.verdict.reasons).toEqual([expect.stringMatching(/^spec\.ipLists\[0\]\.configMapRef: .*not resolved by this controller version yet/)]);
  });

  it('remove forgets the policy', () => {
    const store = new PolicyStore();
    store.upsert(policyObject('p'));
    expect(store.remove(policyObject('p'))).toBe(true);
    expect(store.remove(policyObject('p'))).toBe(false);
    expect([...store.all()]).toHaveLength(0);
  });
});
