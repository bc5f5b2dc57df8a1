import { describe, expect, it } from 'vitest';
import { parseHosts, redisOptions } from './redis-client.js';

describe('redis client options: the store failure contract', () => {
  const o = redisOptions({ url: 'redis://r:6379', timeoutMs: 50, socketTimeoutMs: 1000 });
  it.each([
    ['no offline queue: commands fail at once while disconnected', 'enableOfflineQueue', false],
    ['nothing in flight is resent after a reconnect', 'autoResendUnfulfilledCommands', false],
    ['at most one retry per command', 'maxRetriesPerRequest', 1],
    ['each command gives up after the store timeout', 'commandTimeout', 50],
    ['a silent connection with waiting commands is dropped', 'socketTimeout', 1000],
  ])('%s', (_n, key, value) => {
    expect(o[key as keyof typeof o]).toBe(value);
  });

  it('reconnects with a capped backoff', () => {
    const retry = o.retryStrategy as (n: number) => number;
    expect([1, 2, 3, 10, 100].map(retry)).toEqual([100, 200, 400, 2000, 2000]);
  });

  it('passes a password and TLS only when given', () => {
    expect(redisOptions({ timeoutMs: 50, socketTimeoutMs: 500, password: 'pw', tls: true })).toMatchObject({ password: 'pw', tls: {} });
    expect(o).not.toHaveProperty('password');
  });
});

describe('parseHosts', () => {
  it.each([
    ['a:1', [{ host: 'a', port: 1 }]],
    ['10.0.0.1:26379, 10.0.0.2:26379', [{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 26379 }]],
    ['[::1]:7000', [{ host: '::1', port: 7000 }]],
  ])('%s', (text, hosts) => {
    expect(parseHosts(text)).toEqual(hosts);
  });
  it.each(['a', ':1', 'a:0', 'a:70000', 'a:x'])('refuses %j', (text) => {
    expect(() => parseHosts(text)).toThrow(/host:port/);
  });
});
