import { describe, expect, it } from 'vitest';
import { extractBearerToken } from './extract-token.js';

describe('extractBearerToken', () => {
  it.each([
    ['no header', {}, {}, 'none', undefined],
    ['bearer token', { authorization: 'Bearer abc.def.ghi' }, {}, 'token', undefined],
    ['scheme is case-insensitive', { authorization: 'bearer abc.def.ghi' }, {}, 'token', undefined],
    ['another scheme is not ours', { authorization: 'Basic dXNlcjpwYXNz' }, {}, 'none', undefined],
    ['two Authorization headers (joined by Envoy)', { authorization: 'Bearer a.b.c,Bearer d.e.f' }, {}, 'malformed', 'multiple_authorization'],
    ['token in header and query', { authorization: 'Bearer a.b.c' }, { access_token: 'a.b.c' }, 'malformed', 'token_in_header_and_query'],
    ['token only in query', {}, { access_token: 'a.b.c' }, 'malformed', 'token_in_query'],
    ['empty bearer', { authorization: 'Bearer ' }, {}, 'malformed', 'malformed_authorization'],
    ['bad characters', { authorization: 'Bearer a.b.c"<script>' }, {}, 'malformed', 'malformed_token'],
  ])('%s', (_name, headers, query, kind, reason) => {
    const got = extractBearerToken(headers as Record<string, string>, query as Record<string, string>);
    expect(got.kind).toBe(kind);
    if (reason) expect(got.kind === 'malformed' && got.reason).toBe(reason);
  });
});
