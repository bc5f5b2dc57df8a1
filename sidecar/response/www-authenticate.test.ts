import { describe, expect, it } from 'vitest';
import { formatBearerChallenge, quote } from './www-authenticate.js';

describe('Bearer challenge', () => {
  it.each([
    ['realm only', { realm: 'stepup' }, 'Bearer realm="stepup"'],
    [
      'RFC 9470 insufficient_user_authentication',
      { realm: 'stepup', error: 'insufficient_user_authentication' as const, errorDescription: 'A stronger authentication is required', acrValues: ['2', 'urn:example:loa:2'], maxAgeSeconds: 300 },
      'Bearer realm="stepup", error="insufficient_user_authentication", error_description="A stronger authentication is required", acr_values="2 urn:example:loa:2", max_age="300"',
    ],
    ['invalid_token', { realm: 'r', error: 'invalid_token' as const, errorDescription: 'expired' }, 'Bearer realm="r", error="invalid_token", error_description="expired"'],
    ['description with quote and backslash is made safe', { realm: 'r', error: 'invalid_token' as const, errorDescription: 'a "b" \\c' }, 'Bearer realm="r", error="invalid_token", error_description="a  b   c"'],
    ['realm with quote is escaped', { realm: 'my "realm"' }, 'Bearer realm="my \\"realm\\""'],
    ['acr value with quote is escaped', { realm: 'r', acrValues: ['a"b'] }, 'Bearer realm="r", acr_values="a\\"b"'],
    ['fractional max_age is floored', { realm: 'r', maxAgeSeconds: 59.9 }, 'Bearer realm="r", max_age="59"'],
  ])('%s', (_name, challenge, expected) => {
    expect(formatBearerChallenge(challenge)).toBe(expected);
  });

  it('never lets control characters or non-ASCII into the header', () => {
    expect(quote('a\r\nb\u00e9')).toBe('"a??b?"');
  });
});
