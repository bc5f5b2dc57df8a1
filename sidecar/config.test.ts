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
  ])('refuses %j', (argv, message) => {
    expect(() => parseConfig(argv, {})).toThrow(ConfigError);
    expect(() => parseConfig(argv, {})).toThrow(message);
  });

  it('--help lists every flag with its environment variable', () => {
    const text = helpText();
    for (const [flag, spec] of Object.entries(FLAGS)) {
      expect(text).toContain(`--${flag}`);
      expect(text).toContain(spec.env);
    }
  });
});
