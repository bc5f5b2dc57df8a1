import { describe, expect, it } from 'vitest';
import { policyObject } from '../testing/fixtures.js';
import { ConfigMapStore } from './configmap-refs.js';
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

  describe('IP lists by configMapRef', () => {
    const withList = (generation = 1) => {
      const object = policyObject('p', { generation, when: 'signals.ip.flagged' });
      (object.spec as Record<string, unknown>).ipLists = [{ name: 'partners', flagged: true, configMapRef: { name: 'ip-lists', key: 'partners' } }];
      return object;
    };
    const cm = (data: Record<string, string>, namespace = 'shop') => ({ metadata: { name: 'ip-lists', namespace }, data });
    const reasons = (store: PolicyStore) => {
      const v = store.get('shop/p')?.verdict;
      return v && !v.accepted ? v.reasons : [];
    };

    it('are resolved from the ConfigMap in the policy\'s namespace into cidrs in the document', () => {
      const configMaps = new ConfigMapStore();
      configMaps.upsert(cm({ partners: '# partners\n198.51.100.0/24\n\n  2001:db8::1  # one host\n' }));
      const store = new PolicyStore(configMaps.lookup);
      store.upsert(withList());
      expect(store.get('shop/p')?.verdict).toEqual({ accepted: true });
      const doc = JSON.parse(store.get('shop/p')?.inForce?.document ?? '{}');
      expect(doc.spec.ipLists).toEqual([{ name: 'partners', flagged: true, cidrs: ['198.51.100.0/24', '2001:db8::1'] }]);
      expect(store.referencedConfigMaps()).toEqual(['shop/ip-lists']);
    });

    it('a ConfigMap of another namespace does not count', () => {
      const configMaps = new ConfigMapStore();
      configMaps.upsert(cm({ partners: '198.51.100.7' }, 'other'));
      const store = new PolicyStore(configMaps.lookup);
      store.upsert(withList());
      expect(reasons(store)).toEqual(['spec.ipLists[0].configMapRef: ConfigMap shop/ip-lists not found']);
    });

    it('a missing key or a bad line is not accepted, with the reason', () => {
      const configMaps = new ConfigMapStore();
      configMaps.upsert(cm({ other: '198.51.100.7' }));
      const store = new PolicyStore(configMaps.lookup);
      store.upsert(withList());
      expect(reasons(store)).toEqual(['spec.ipLists[0].configMapRef: ConfigMap shop/ip-lists has no key "partners"']);
      store.configMapChanged(configMaps.upsert(cm({ partners: '198.51.100.7\n10.0.0.300\n' })) ?? '');
      expect(reasons(store)).toEqual(['spec.ipLists[0].configMapRef: ConfigMap shop/ip-lists key partners:2: "10.0.0.300" is not an IPv4 or IPv6 address or CIDR block']);
    });

    it('more entries than a sidecar accepts in one list are not accepted', () => {
      const configMaps = new ConfigMapStore();
      const lines = Array.from({ length: 1001 }, (_, i) => `10.0.${Math.floor(i / 256)}.${i % 256}`).join('\n');
      configMaps.upsert(cm({ partners: lines }));
      const store = new PolicyStore(configMaps.lookup);
      store.upsert(withList());
      expect(reasons(store)).toEqual([expect.stringMatching(/^spec\.ipLists\[0\]\.configMapRef: .*1000.*\(after reading the ConfigMap\)$/)]);
    });

    it('a ConfigMap change re-evaluates the policy; a broken ConfigMap keeps the last accepted document in force', () => {
      const configMaps = new ConfigMapStore();
      const store = new PolicyStore(configMaps.lookup);
      store.upsert(withList());
      expect(reasons(store)).toEqual(['spec.ipLists[0].configMapRef: ConfigMap shop/ip-lists not found']);

      expect(store.configMapChanged(configMaps.upsert(cm({ partners: '198.51.100.7' })) ?? '')).toEqual(['shop/p']);
      const first = store.get('shop/p')?.inForce;
      expect(store.get('shop/p')?.verdict).toEqual({ accepted: true });

      expect(configMaps.upsert(cm({ partners: '198.51.100.7' }))).toBeUndefined(); // same data: nothing to do
      const revision = store.revision;
      expect(store.configMapChanged('shop/unrelated')).toEqual([]);
      expect(store.revision).toBe(revision);

      expect(store.configMapChanged(configMaps.upsert(cm({ partners: '198.51.100.7\n198.51.100.8' })) ?? '')).toEqual(['shop/p']);
      const second = store.get('shop/p')?.inForce;
      expect(second?.version).not.toBe(first?.version);
      expect(store.revision).toBeGreaterThan(revision);

      expect(store.configMapChanged(configMaps.remove(cm({})) ?? '')).toEqual(['shop/p']);
      expect(reasons(store)).toEqual(['spec.ipLists[0].configMapRef: ConfigMap shop/ip-lists not found']);
      expect(store.get('shop/p')?.inForce).toBe(second);
    });

    it('a policy that no longer references a ConfigMap leaves the index', () => {
      const store = new PolicyStore(new ConfigMapStore().lookup);
      store.upsert(withList());
      store.upsert(policyObject('p', { generation: 2 }));
      expect(store.referencedConfigMaps()).toEqual([]);
      expect(store.configMapChanged('shop/ip-lists')).toEqual([]);
    });
  });

  it('remove forgets the policy', () => {
    const store = new PolicyStore();
    store.upsert(policyObject('p'));
    expect(store.remove(policyObject('p'))).toBe(true);
    expect(store.remove(policyObject('p'))).toBe(false);
    expect([...store.all()]).toHaveLength(0);
  });
});
