import { describe, expect, it } from 'vitest';
import { ConfigError, FLAGS, helpText, parseConfig } from './config.js';

describe('parseConfig', () => {
  it('fills defaults and freezes', () => {
    const parsed = parseConfig(['--policies', 'p.yaml'], {});
    expect('config' in parsed).toBe(true);
    if (!('config' in parsed)) return;
    expect(parsed.config).toMatchObject({ policies: 'p.yaml', listen: '127.0.0.1:9191', deadlineMs: 150, browserRedirect: true });
    expect(Object.isFrozen(parsed.config)).toBe(true);
  });

  it('takes the environment, and a flag wins over it', () => {
    const parsed = parseConfig(['--deadline-ms', '90'], { STEPUP_POLICIES: 'env.yaml', STEPUP_DEADLINE_MS: '50' });
    expect('config' in parsed && parsed.config).toMatchObject({ policies: 'env.yaml', deadlineMs: 90 });
  });

  it.each([
    [['--policies', 'p', '--nope', 'x'], /nope/],
    [[], /--policies .* is required/],
    [['--policies', 'p', '--deadline-ms', 'fast'], /whole number/],
    [['--policies', 'p', '--listen', 'nowhere'], /host:port/],
    [['--policies', 'p', '--browser-redirect', 'yes'], /true or false/],
    [['--policies', 'p', '--log-level', 'loud'], /log-level/],
    [['--policies', 'p', '--listen', '127.0.0.1:1', '--http-listen', '127.0.0.1:1'], /must differ/],
    [['--policies', 'p', '--redis', 'redis://r:6379', '--redis-cluster', 'r:7000'], /only one of --redis/],
    [['--policies', 'p', '--redis', 'redis://r:6379', '--deadline-ms', '100', '--redis-timeout-ms', '100'], /must be below --deadline-ms/],
    [['--policies', 'p', '--risk-weights', 'ipFlagged=500'], /--risk-weights .*0 to 100/],
    [['--policies', 'p', '--risk-weights', 'vpn=10'], /--risk-weights .*fact=weight/],
    [['--policies', 'p', '--trusted-hops', '-1'], /trusted-hops/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseConfig(argv, {})).toThrow(ConfigError);
    expect(() => parseConfig(argv, {})).toThrow(message);
  });

  it('signal options: defaults, and a Redis store only when asked', () => {
    const parsed = parseConfig(['--policies', 'p'], {});
    expect('config' in parsed && parsed.config).toMatchObject({ trustedHops: 0, redisTimeoutMs: 50, rateWindowSeconds: 60, riskEventScore: 40, riskWeights: '' });
    expect('config' in parsed && parsed.config.redisUrl).toBeUndefined();
    const redis = parseConfig(['--policies', 'p', '--redis', 'redis://127.0.0.1:6379', '--trusted-hops', '1'], { STEPUP_GEO_HEADER: 'cf-ipcountry' });
    expect('config' in redis && redis.config).toMatchObject({ redisUrl: 'redis://127.0.0.1:6379', trustedHops: 1, geoHeader: 'cf-ipcountry' });
  });

  it('--help lists every flag with its environment variable', () => {
    const text = helpText();
    for (const [flag, spec] of Object.entries(FLAGS)) {
      expect(text).toContain(`--${flag}`);
      expect(text).toContain(spec.env);
    }
  });
});
