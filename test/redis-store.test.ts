// The Redis signal store against a real redis-server: the same contract as
// the memory store, then its failure behaviour (reliability.md items 10, 11).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/processes.js';
import { startRedis, type RedisHandle } from '../harness/redis.js';
import { createRedisClient } from '../sidecar/signals/store/redis-client.js';
import { RedisSignalStore, type StoreEvents } from '../sidecar/signals/store/redis-store.js';
import { DEFAULT_RETENTION, DEFAULT_SUBJECT_LIMITS, StoreUnavailable, type StateQuery } from '../sidecar/signals/store/signal-store.js';
import { StoreHealth } from '../sidecar/signals/store/store-health.js';
import { signalStoreContract } from './support/store-contract.js';

let redis: RedisHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

function open(events: Partial<StoreEvents> = {}, maxPendingWrites = 1000) {
  const client = createRedisClient({ url: redis.url, timeoutMs: 50, socketTimeoutMs: 500 });
  const health = new StoreHealth(client, () => undefined, 100);
  const store = new RedisSignalStore(
    client,
    { prefix: 'test:', timeoutMs: 50, maxPendingWrites, retention: DEFAULT_RETENTION, limits: DEFAULT_SUBJECT_LIMITS, maxRateBuckets: 14 },
    health,
    { read: () => undefined, write: () => undefined, pending: () => undefined, ...events },
  );
  return { store, health };
}

async function ready(o: ReturnType<typeof open>) {
  await waitFor('the store to be healthy', async () => o.health.healthy(), 10_000);
  return o.store;
}

signalStoreContract('redis store', () => ready(open()));

const T = 1_800_000_000;
const q = (subject: string): StateQuery => ({ subject, now: T, rateBuckets: [T], causes: [] });

describe('redis store failures', () => {
  it('Redis stopped: reads fail at once, writes are dropped (not queued), nothing is replayed after a restart', async () => {
    const dropped: string[] = [];
    const o = open({ write: (r) => dropped.push(r) });
    const store = await ready(o);
    await redis.stop();
    await waitFor('the loss to be noticed', async () => !o.health.healthy(), 5000);
    const started = performance.now();
    await expect(store.read(q('s1'))).rejects.toBeInstanceOf(StoreUnavailable);
    expect(performance.now() - started).toBeLessThan(1000);
    for (let i = 0; i < 1000; i++) store.write({ subject: 's1', now: T, rateBucket: T, riskCauses: ['x'] });
    expect(dropped.filter((r) => r === 'dropped')).toHaveLength(1000);
    await redis.start();
    await waitFor('the store to recover', async () => o.health.healthy(), 15_000);
    expect(await store.read(q('s1'))).toMatchObject({ rateCounts: [0], riskSince: 0 });
    await store.close();
  });

  it('Redis hung (SIGSTOP): a read gives up within its timeout, the store reports degraded, then recovers', async () => {
    const o = open();
    const store = await ready(o);
    store.write({ subject: 's2', now: T, rateBucket: T });
    await store.drain();
    redis.pause();
    try {
      const started = performance.now();
      await expect(store.read(q('s2'))).rejects.toThrow(/no answer within 50 ms|timed out/);
      expect(performance.now() - started).toBeLessThan(1000);
      expect(store.status()).toMatchObject({ healthy: false, detail: expect.stringMatching(/redis degraded/) });
      for (let i = 0; i < 100; i++) store.write({ subject: 's2', now: T, rateBucket: T });
    } finally {
      redis.resume();
    }
    await waitFor('the store to recover', async () => o.health.healthy(), 15_000);
    expect((await store.read(q('s2'))).rateCounts).toEqual([1]); // the writes made while degraded were dropped, none replayed
    await store.close();
  });

  it('at most maxPendingWrites writes are in flight; the rest are dropped', async () => {
    const results: string[] = [];
    let peak = 0;
    const o = open({ write: (r) => results.push(r), pending: (n) => (peak = Math.max(peak, n)) }, 5);
    const store = await ready(o);
    for (let i = 0; i < 50; i++) store.write({ subject: 's3', now: T, rateBucket: T });
    await store.drain();
    expect(peak).toBe(5);
    expect(results.filter((r) => r === 'ok')).toHaveLength(5);
    expect(results.filter((r) => r === 'dropped')).toHaveLength(45);
    expect((await store.read(q('s3'))).rateCounts).toEqual([5]);
    await store.close();
  });

  it('keys are fingerprint-tagged, in one cluster slot per subject, and all expire', async () => {
    const o = open();
    const store = await ready(o);
    store.write({ subject: 'subj', now: Math.floor(Date.now() / 1000), rateBucket: T, device: { id: 'dev', trusted: true }, country: 'FR', place: { lat: 1, lon: 2, at: T, country: 'FR' }, riskCauses: ['ip:x'] });
    await store.drain();
    await store.read({ ...q('subj'), claimToken: { id: 'jti', ttlSeconds: 60 } });
    const c = new Redis(redis.url);
    try {
      const keys = (await c.keys('test:{subj}*')).sort();
      expect(keys).toEqual(['test:{subj}:c', 'test:{subj}:d', 'test:{subj}:j:jti', 'test:{subj}:k', 'test:{subj}:p', 'test:{subj}:r']);
      for (const k of keys) expect(await c.ttl(k)).toBeGreaterThan(0);
    } finally {
      c.disconnect();
      await store.close();
    }
  });
});
