// What every SignalStore must do, as one table of cases run against each
// implementation: the memory store (unit test) and the Redis store (against a
// real redis-server). Time is passed in, never slept on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION, DEFAULT_SUBJECT_LIMITS, type SignalStore, type StateQuery, type StateUpdate } from '../../sidecar/signals/store/signal-store.js';

const T = 1_800_000_000;
const BUCKETS = [T, T - 5, T - 10];

let n = 0;
/** A subject no other case uses. */
const fresh = () => `subject-${process.pid}-${Date.now()}-${n++}`;

function query(subject: string, over: Partial<StateQuery> = {}): StateQuery {
  return { subject, now: T, rateBuckets: BUCKETS, causes: [], ...over };
}

function update(subject: string, over: Partial<StateUpdate> = {}): StateUpdate {
  return { subject, now: T, rateBucket: T, ...over };
}

/** Runs the contract; `open` is called before the cases (after the store's server is up), `close` after them. */
export function signalStoreContract(name: string, open: () => SignalStore | Promise<SignalStore>, close: (s: SignalStore) => Promise<void> = (s) => s.close()): void {
  describe(`${name}: the SignalStore contract`, () => {
    let store: SignalStore;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      if (store) await close(store);
    });
    const write = async (u: StateUpdate) => {
      store.write(u);
      await store.drain();
    };

    it('an unknown subject has nothing recorded', async () => {
      const s = await store.read(query(fresh(), { device: 'd1', country: 'FR', causes: ['ip:x'] }));
      expect(s).toEqual({ countryKnown: false, countries: 0, rateCounts: [0, 0, 0], riskSince: 0, knownCauses: [] });
    });

    it('devices: known once allowed, trusted sticks, forgotten after retention', async () => {
      const sub = fresh();
      await write(update(sub, { device: { id: 'd1', trusted: false } }));
      expect((await store.read(query(sub, { device: 'd1' }))).device).toEqual({ trusted: false });
      expect((await store.read(query(sub, { device: 'd2' }))).device).toBeUndefined();
      await write(update(sub, { device: { id: 'd1', trusted: true } }));
      await write(update(sub, { now: T + 10, device: { id: 'd1', trusted: false } }));
      expect((await store.read(query(sub, { device: 'd1', now: T + 10 }))).device).toEqual({ trusted: true });
      const later = T + 10 + DEFAULT_RETENTION.deviceSeconds + 1;
      expect((await store.read(query(sub, { device: 'd1', now: later }))).device).toBeUndefined();
    });

    it('devices: past the per-subject cap the oldest is forgotten', async () => {
      const sub = fresh();
      const cap = DEFAULT_SUBJECT_LIMITS.devices;
      for (let i = 0; i <= cap; i++) store.write(update(sub, { now: T + i, device: { id: `d${i}`, trusted: false } }));
      await store.drain();
      expect((await store.read(query(sub, { device: 'd0', now: T + cap }))).device).toBeUndefined();
      expect((await store.read(query(sub, { device: 'd1', now: T + cap }))).device).toBeDefined();
      expect((await store.read(query(sub, { device: `d${cap}`, now: T + cap }))).device).toBeDefined();
    });

    it('rate: every request counts in its bucket', async () => {
      const sub = fresh();
      for (const b of [T, T, T, T - 10, T - 10]) store.write(update(sub, { rateBucket: b }));
      await store.drain();
      expect((await store.read(query(sub))).rateCounts).toEqual([3, 0, 2]);
    });

    it('countries and the last place', async () => {
      const sub = fresh();
      const place = { lat: 48.8566, lon: 2.3522, at: T, country: 'FR' };
      await write(update(sub, { country: 'FR', place }));
      const s = await store.read(query(sub, { country: 'FR' }));
      expect(s).toMatchObject({ countryKnown: true, countries: 1, place });
      expect((await store.read(query(sub, { country: 'US' }))).countryKnown).toBe(false);
    });

    it('risk events: riskSince moves forward, causes are remembered for the retention period', async () => {
      const sub = fresh();
      await write(update(sub, { riskCauses: ['ip:a', 'device:b'] }));
      expect(await store.read(query(sub, { causes: ['ip:a', 'country:FR'] }))).toMatchObject({ riskSince: T, knownCauses: ['ip:a'] });
      await write(update(sub, { now: T + 60, riskCauses: ['country:FR'] }));
      await write(update(sub, { now: T + 30, riskCauses: ['rate:1'] })); // late write: riskSince never goes back
      expect(await store.read(query(sub, { now: T + 60, causes: ['ip:a', 'country:FR'] }))).toMatchObject({ riskSince: T + 60, knownCauses: ['ip:a', 'country:FR'] });
      const later = T + 60 + DEFAULT_RETENTION.riskSeconds + 1;
      expect(await store.read(query(sub, { now: later, causes: ['ip:a'] }))).toMatchObject({ riskSince: 0, knownCauses: [] });
    });

    it('single use: the first claim of a token id wins, every later one is a replay', async () => {
      const sub = fresh();
      const claim = { id: `jti-${sub}`, ttlSeconds: 600 };
      expect((await store.read(query(sub, { claimToken: claim }))).tokenUse).toBe('first');
      expect((await store.read(query(sub, { claimToken: claim }))).tokenUse).toBe('replayed');
      expect((await store.read(query(sub, { claimToken: { ...claim, id: `other-${sub}` } }))).tokenUse).toBe('first');
      expect((await store.read(query(sub))).tokenUse).toBeUndefined();
    });

    it('subjects do not see each other', async () => {
      const a = fresh();
      const b = fresh();
      await write(update(a, { device: { id: 'd', trusted: true }, riskCauses: ['ip:x'] }));
      expect(await store.read(query(b, { device: 'd', causes: ['ip:x'] }))).toMatchObject({ riskSince: 0, knownCauses: [] });
      expect((await store.read(query(b, { device: 'd' }))).device).toBeUndefined();
    });
  });
}
