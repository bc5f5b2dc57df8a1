// Builds the ioredis client of the Redis signal store: one server (URL),
// Sentinel, or Cluster. The options are the store's failure contract:
//   enableOfflineQueue false        commands fail at once while disconnected (no queue to grow or replay)
//   autoResendUnfulfilledCommands false   nothing in flight is resent after a reconnect
//   maxRetriesPerRequest 1          a command is never retried across more than one reconnect
//   commandTimeout                  each command fails after the store timeout (below the Check deadline)
//   socketTimeout                   a hung server (no bytes while commands wait) is dropped and reconnected
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

export interface RedisConnection {
  /** redis://[:password@]host:port[/db] or rediss:// for TLS. */
  readonly url?: string;
  /** host:port,host:port of Sentinels, with sentinelName. */
  readonly sentinels?: string;
  readonly sentinelName?: string;
  /** host:port,host:port of Cluster seed nodes. */
  readonly cluster?: string;
  /** For Sentinel and Cluster (a URL carries its own). */
  readonly password?: string;
  readonly tls?: boolean;
  readonly timeoutMs: number;
  readonly socketTimeoutMs: number;
}

export function parseHosts(list: string): { host: string; port: number }[] {
  return list.split(',').map((item) => {
    const text = item.trim();
    const colon = text.lastIndexOf(':');
    const host = text.slice(0, colon).replace(/^\[|\]$/g, '');
    const port = Number(text.slice(colon + 1));
    if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`"${text}" is not host:port`);
    return { host, port };
  });
}

export function redisOptions(c: RedisConnection): RedisOptions {
  return {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 1,
    commandTimeout: c.timeoutMs,
    socketTimeout: c.socketTimeoutMs,
    connectTimeout: Math.max(c.socketTimeoutMs, 500),
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    enableReadyCheck: true,
    ...(c.password ? { password: c.password } : {}),
    ...(c.tls ? { tls: {} } : {}),
  };
}

export function createRedisClient(c: RedisConnection): Redis | Cluster {
  const options = redisOptions(c);
  if (c.cluster) {
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: false,
      redisOptions: options,
      clusterRetryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
      slotsRefreshTimeout: Math.max(c.socketTimeoutMs, 500),
    };
    return new Cluster(parseHosts(c.cluster), clusterOptions);
  }
  if (c.sentinels) {
    return new Redis({ ...options, sentinels: parseHosts(c.sentinels), name: c.sentinelName ?? 'mymaster', ...(c.password ? { sentinelPassword: c.password } : {}) });
  }
  if (!c.url) throw new Error('no Redis address configured');
  return new Redis(c.url, options);
}
