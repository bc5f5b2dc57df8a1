// Finds the bearer token of a request (RFC 6750 §2.1), refusing ambiguity:
// several Authorization values, or a token also in the query string.

export type TokenExtraction =
  | { kind: 'none' }
  | { kind: 'token'; token: string }
  | { kind: 'malformed'; reason: string; description: string };

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_TOKEN_LENGTH = 16 * 1024;

/**
 * Envoy joins repeated headers with ","; a b64token never contains one, so a
 * comma means several Authorization values.
 */
export function extractBearerToken(headers: Readonly<Record<string, string>>, query: Readonly<Record<string, string>>): TokenExtraction {
  const header = headers.authorization;
  const inQuery = Object.hasOwn(query, 'access_token');
  if (header === undefined) {
    if (inQuery) return { kind: 'malformed', reason: 'token_in_query', description: 'Send the access token in the Authorization header, not in the query string.' };
    return { kind: 'none' };
  }
  if (header.includes(',')) return { kind: 'malformed', reason: 'multiple_authorization', description: 'Send exactly one Authorization header.' };
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (!match) {
    if (/^Bearer\b/i.test(header)) return { kind: 'malformed', reason: 'malformed_authorization', description: 'The Authorization header is not "Bearer <token>".' };
    return { kind: 'none' }; // another scheme (e.g. Basic) is not ours to judge
  }
  const token = match[1] as string;
  if (inQuery) return { kind: 'malformed', reason: 'token_in_header_and_query', description: 'Send the access token once, in the Authorization header only.' };
  if (token.length > MAX_TOKEN_LENGTH || !B64TOKEN.test(token)) {
    return { kind: 'malformed', reason: 'malformed_token', description: 'The bearer token has characters or a length a token cannot have.' };
  }
  return { kind: 'token', token };
}
