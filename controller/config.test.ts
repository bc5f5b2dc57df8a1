import { describe, expect, it } from 'vitest';
import { ConfigError, FLAGS, helpText, parseConfig } from './config.js';

describe('controller parseConfig', () => {
  it('fills defaults and freezes', () => {
    const parsed = parseConfig(['--signing-key-file', 'k.pem', '--replica-id', 'r1'], {});
    expect(parsed).toMatchObject({ config: { listen: '0.0.0.0:9090', namespace: 'stepup-system', leaderElection: true, leaseDurationSeconds: 15, replicaId: 'r1', insecure: false, tokenAudience: 'stepup-controller' } });
    expect('config' in parsed && Object.isFrozen(parsed.config)).toBe(true);
  });

  it('takes the environment (KUBECONFIG, STEPUP_*); a flag wins', () => {
    const parsed = parseConfig(['--namespace', 'flag-ns'], { KUBECONFIG: '/k', STEPUP_NAMESPACE: 'env-ns', STEPUP_INSECURE: 'true', STEPUP_LEADER_ELECT: 'false' });
    expect(parsed).toMatchObject({ config: { kubeconfig: '/k', namespace: 'flag-ns', insecure: true, leaderElection: false } });
  });

  it.each([
    [[], /a signing key is required/],
    [['--insecure', '--nope'], /nope/],
    [['--signing-key-file', 'a', '--signing-key-secret', 'ns/b'], /mutually exclusive/],
    [['--signing-key-secret', 'just-a-name'], /namespace\/name/],
    [['--insecure', '--distribution-listen', '127.0.0.1:1', '--http-listen', '127.0.0.1:1'], /must differ/],
    [['--insecure', '--http-listen', '127.0.0.1:2', '--webhook-listen', '127.0.0.1:2'], /must differ/],
    [['--insecure', '--lease-duration', '1'], /whole number from 2/],
    [['--insecure', '--report-interval', '30', '--report-stale', '10'], /--report-stale must be longer/],
    [['--insecure', '--lease-duration', '2', '--retry-period-ms', '5000'], /--retry-period-ms must be shorter/],
    [['--insecure', '--log-level', 'loud'], /log-level/],
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
    expect(text).toContain('--insecure');
    expect(text).toContain('STEPUP_INSECURE');
  });
});
