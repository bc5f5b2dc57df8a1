// Who is calling: no token, a verified identity, or a rejection.
import type { IdentityResult } from '../decision/types.js';
import { extractBearerToken } from './extract-token.js';
import type { TokenVerifier } from './token-verifier.js';

export async function identify(
  request: { headers: Readonly<Record<string, string>>; query: Readonly<Record<string, string>> },
  verifier: TokenVerifier,
): Promise<IdentityResult> {
  const found = extractBearerToken(request.headers, request.query);
  if (found.kind === 'none') return { kind: 'anonymous' };
  if (found.kind === 'malformed') {
    const error = found.reason === 'malformed_token' ? 'invalid_token' : 'invalid_request';
    return { kind: 'rejected', error, reason: found.reason, description: found.description };
  }
  return verifier.verify(found.token);
}
