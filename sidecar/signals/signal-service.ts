// Wires signal collection from the sidecar's configuration: the store (memory
// by default, Redis when configured), geo, the collector and their metrics.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SidecarConfig } from '../config.js';
import { SignalCollector } from './collector.js';
import { createGeoLocator } from './geo.js';
import { bucketRetentionSeconds, rateWindowOf } from './rate-window.js';
import { parseRiskWeights } from './risk-score.js';
import { createSignalMetrics } from './signal-metrics.js';
import type { SignalSource } from './signals.js';
import { MemorySignalStore } from './store/memory-store.js';
import { DEFAULT_RETENTION, DEFAULT_SUBJECT_LIMITS, type SignalStore } from './store/signal-store.js';
import { StoreHealth } from './store/store-health.js';

export interface SignalService {
  readonly source: SignalSource;
  readonly store: SignalStore;
  close(): Promise<void>;
}

async function createStore(config: SidecarConfig, log: Logger, registry: Registry): Promise<{ store: SignalStore; metrics: ReturnType<typeof createSignalMetrics> }> {
  const window = rateWindowOf(config.rateWindowSeconds);
  const retention = { ...DEFAULT_RETENTION, rateSeconds: bucketRetentionSeconds(window) };
  const redis = config.redisUrl ?? config.redisSentinels ?? config.redisCluster;
  if (redis === undefined) {
    const metrics = createSignalMetrics(registry, 'memory');
    const max = config.memoryStoreMaxSubjects;
    return { store: new MemorySignalStore({ maxSubjects: max, maxTokens: max, retention, limits: DEFAULT_SUBJECT_LIMITS }), metrics };
  }
  // Loaded only when configured: ioredis adds about 10 MiB to every sidecar's resident size.
  const { createRedisClient } = await import('./store/redis-client.js');
  const { RedisSignalStore } = await import('./store/redis-store.js');
  const metrics = createSignalMetrics(registry, 'redis');
  const client = createRedisClient({
    ...(config.redisUrl ? { url: config.redisUrl } : {}),
    ...(config.redisSentinels ? { sentinels: config.redisSentinels, sentinelName: config.redisSentinelName } : {}),
    ...(config.redisCluster ? { cluster: config.redisCluster } : {}),
    ...(config.redisPassword ? { password: config.redisPassword } : {}),
    tls: config.redisTls,
    timeoutMs: config.redisTimeoutMs,
    socketTimeoutMs: config.redisSocketTimeoutMs,
  });
  const health = new StoreHealth(client, (healthy, reason) => {
    metrics.setHealthy(healthy);
    if (healthy) log.info('signal store (redis) is healthy');
    else log.warn({ reason }, 'signal store (redis) is degraded: rules reading stored signals fail closed');
  });
  const store = new RedisSignalStore(
    client,
    { prefix: config.redisKeyPrefix, timeoutMs: config.redisTimeoutMs, maxPendingWrites: config.signalMaxPendingWrites, retention, limits: DEFAULT_SUBJECT_LIMITS, maxRateBuckets: window.windowSeconds / window.bucketSeconds + 2 },
    health,
    metrics.storeEvents,
  );
  return { store, metrics };
}

/** Throws when a configured part cannot be opened (e.g. the geo database). */
export async function createSignalService(config: SidecarConfig, log: Logger, registry: Registry): Promise<SignalService> {
  const geo = createGeoLocator({ ...(config.geoipDb ? { dbPath: config.geoipDb } : {}), ...(config.geoHeader ? { header: config.geoHeader } : {}) });
  const { store, metrics } = await createStore(config, log, registry);
  const source = new SignalCollector(
    store,
    {
      trustedHops: config.trustedHops,
      ...(geo ? { geo } : {}),
      weights: parseRiskWeights(config.riskWeights),
      riskEventScore: config.riskEventScore,
      rateWindow: rateWindowOf(config.rateWindowSeconds),
      rateThreshold: config.rateThreshold,
      travel: { maxSpeedKmh: config.travelSpeedKmh, minDistanceKm: config.travelMinKm },
      clockSkewSeconds: config.clockSkewSeconds,
    },
    metrics.collectorEvents,
  );
  return { source, store, close: () => store.close() };
}
