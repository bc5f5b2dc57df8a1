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

  describe('controller mode', () => {
    const base = ['--controller', '127.0.0.1:7000,127.0.0.1:7001', '--pod-name', 'p-1', '--pod-namespace', 'shop', '--state-dir', '/tmp/s'];

    it('takes several controller addresses and the pod identity', () => {
      const parsed = parseConfig([...base, '--controller-public-key', 'k.pem'], {});
      expect('config' in parsed && parsed.config).toMatchObject({ controller: ['127.0.0.1:7000', '127.0.0.1:7001'], podName: 'p-1', insecure: false, controllerPublicKey: 'k.pem' });
    });

    it('takes --workers (the primary relays the snapshots)', () => {
      expect(parseConfig([...base, '--insecure', '--workers', '2'], {})).toMatchObject({ config: { workers: 2, controller: ['127.0.0.1:7000', '127.0.0.1:7001'] } });
    });

    it('--insecure replaces the public key (flag or environment)', () => {
      expect(parseConfig([...base, '--insecure'], {})).toMatchObject({ config: { insecure: true } });
      expect(parseConfig(base, { STEPUP_INSECURE: 'true' })).toMatchObject({ config: { insecure: true } });
    });

    it.each([
      [['--policies', 'p.yaml', ...base, '--insecure'], /--policies and --controller are mutually exclusive/],
      [[...base.slice(0, 2), '--insecure'], /--pod-name .* is required with --controller/],
      [base, /--controller-public-key .* is required with --controller, unless --insecure/],
      [['--policies', 'p.yaml', '--insecure'], /--insecure only applies with --controller/],
      [['--controller', 'nowhere', '--insecure'], /host:port\[,host:port/],
    ])('refuses %j', (argv, message) => {
      expect(() => parseConfig(argv, {})).toThrow(message);
    });
  });

  it('signal options: defaults, and a Redis store only when asked', () => {
    const parsed = parseConfig(['--policies', 'p'], {});
    expect('config' in parsed && parsed.config).toMatchObject({ trustedHops: 0, redisTimeoutMs: 50, rateWindowSeconds: 60, riskEventScore: 40, riskWeights: '' });
    expect('config' in parsed && parsed.config.redisUrl).toBeUndefined();
    const redis = parseConfig(['--policies', 'p', '--redis', 'redis://127.0.0.1:6379', '--trusted-hops', '1'], { STEPUP_GEO_HEADER: 'cf-ipcountry' });
    expect('config' in redis && redis.config).toMatchObject({ redisUrl: 'redis://127.0.0.1:6379', trustedHops: 1, geoHeader: 'cf-ipcountry' });
  });

  it('--workers: 1 by default, from the flag or STEPUP_WORKERS, 1 to 64', () => {
    expect(parseConfig(['--policies', 'p'], {})).toMatchObject({ config: { workers: 1 } });
    expect(parseConfig(['--policies', 'p'], { STEPUP_WORKERS: '2' })).toMatchObject({ config: { workers: 2 } });
    expect(parseConfig(['--policies', 'p', '--workers', '64'], { STEPUP_WORKERS: '2' })).toMatchObject({ config: { workers: 64 } });
    for (const bad of ['0', '65', 'two', '-1']) expect(() => parseConfig(['--policies', 'p', `--workers=${bad}`], {})).toThrow(/--workers \(STEPUP_WORKERS\) must be a whole number from 1 to 64/);
  });

  it('--help lists every flag with its environment variable', () => {
    const text = helpText();
    for (const [flag, spec] of Object.entries(FLAGS)) {
      expect(text).toContain(`--${flag}`);
      expect(text).toContain(spec.env);
    }
    expect(text).toContain('--insecure');
  });
});
