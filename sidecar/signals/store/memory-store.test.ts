import { describe, expect, it } from 'vitest';
import { signalStoreContract } from '../../../test/support/store-contract.js';
import { DEFAULT_MEMORY_OPTIONS, MemorySignalStore } from './memory-store.js';

signalStoreContract('memory store', () => new MemorySignalStore());

const T = 1_800_000_000;
const q = (subject: string, now = T) => ({ subject, now, rateBuckets: [], causes: [] });

describe('memory store bounds', () => {
  it('keeps at most maxSubjects subjects, dropping the least recently used', async () => {
    const store = new MemorySignalStore({ ...DEFAULT_MEMORY_OPTIONS, maxSubjects: 2 });
    for (const s of ['a', 'b']) store.write({ subject: s, now: T, rateBucket: T, riskCauses: ['x'] });
    await store.read(q('a')); // a is now the most recently used
    store.write({ subject: 'c', now: T, rateBucket: T, riskCauses: ['x'] });
    expect((await store.read(q('a'))).riskSince).toBe(T);
    expect((await store.read(q('b'))).riskSince).toBe(0);
    expect((await store.read(q('c'))).riskSince).toBe(T);
    expect(store.status().detail).toMatch(/2 subjects/);
  });

  it('token ids expire with their token; a table full of live ids cannot decide (undefined)', async () => {
    const store = new MemorySignalStore({ ...DEFAULT_MEMORY_OPTIONS, maxTokens: 2 });
    const claim = (id: string, now: number) => store.read({ ...q('s', now), claimToken: { id, ttlSeconds: 60 } }).then((s) => s.tokenUse);
    expect(await claim('j1', T)).toBe('first');
    expect(await claim('j2', T)).toBe('first');
    expect(await claim('j3', T + 1)).toBeUndefined();
    expect(await claim('j1', T + 59)).toBe('replayed');
    expect(await claim('j1', T + 61)).toBe('first'); // expired: its token is no longer valid anyway
    expect(await claim('j3', T + 61)).toBe('first'); // j2 expired and made room
  });

  it('a subject untouched for longer than every retention is forgotten', async () => {
    const store = new MemorySignalStore();
    store.write({ subject: 's', now: T, rateBucket: T, riskCauses: ['x'], device: { id: 'd', trusted: true } });
    expect(store.status().detail).toMatch(/1 subjects/);
    const s = await store.read({ ...q('s', T + 91 * 86_400), device: 'd' });
    expect(s).toEqual({ countryKnown: false, countries: 0, rateCounts: [], riskSince: 0, knownCauses: [] });
    expect(store.status().detail).toMatch(/0 subjects/);
  });
});
