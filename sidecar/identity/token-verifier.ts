// Verifies bearer JWTs (RFC 8725 in mind): algorithm allow-list, no key
// material taken from the token, trusted issuer, audience, expiry, not-before,
// auth_time, and ID tokens refused where an access token is expected.
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import type { IssuerConfig } from '../../common/policy/policy-set.js';
import type { Identity, IdentityResult } from '../decision/types.js';
import { JwksUnavailableError, type JwksCache } from './jwks-cache.js';
import { TokenCache } from './token-cache.js';

export interface VerifierOptions {
  clockSkewSeconds: number;
  /** Verified tokens are reused for at most this long (and never past exp). */
  cacheTtlSeconds: number;
  cacheSize: number;
}

type Rejection = { kind: 'rejected'; error: 'invalid_token'; reason: string; description: string };

class TokenRejected extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;
const ACCEPTED_TYP = new Set(['at+jwt', 'application/at+jwt', 'jwt']);
const ID_TOKEN_CLAIMS = ['nonce', 'at_hash', 'c_hash'] as const;

function reject(reason: string, description = 'The access token is invalid.'): Rejection {
  return { kind: 'rejected', error: 'invalid_token', reason, description };
}

function checkHeader(header: ProtectedHeaderParameters, allowed: readonly string[]): void {
  if (typeof header.alg !== 'string' || !allowed.includes(header.alg)) throw new TokenRejected('disallowed_algorithm', `alg ${String(header.alg)} is not allowed`);
  for (const h of FORBIDDEN_HEADERS) {
    if (h in header) throw new TokenRejected('forbidden_header', `header parameter ${h} is not accepted`);
  }
  if (header.typ !== undefined && !ACCEPTED_TYP.has(String(header.typ).toLowerCase())) throw new TokenRejected('wrong_type', `typ ${String(header.typ)} is not an access token`);
  if (header.kid !== undefined && (typeof header.kid !== 'string' || header.kid.length > 256 || /[^\x21-\x7e]/.test(header.kid))) {
    throw new TokenRejected('bad_kid', 'kid is not a printable string of at most 256 characters');
  }
}

function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

function toIdentity(payload: JWTPayload, now: number, skew: number): Identity {
  for (const claim of ID_TOKEN_CLAIMS) {
    if (claim in payload) throw new TokenRejected('id_token', `claim ${claim} marks an ID token, not an access token`);
  }
  const authTime = payload.auth_time;
  if (authTime !== undefined && (typeof authTime !== 'number' || authTime > now + skew)) throw new TokenRejected('bad_auth_time', 'auth_time is not a past time');
  if (payload.acr !== undefined && typeof payload.acr !== 'string') throw new TokenRejected('bad_claims', 'acr is not a string');
  if (payload.amr !== undefined && !Array.isArray(payload.amr)) throw new TokenRejected('bad_claims', 'amr is not an array');
  return {
    issuer: payload.iss as string,
    subject: payload.sub as string,
    audiences: stringList(payload.aud),
    ...(typeof payload.acr === 'string' ? { acr: payload.acr } : {}),
    amr: stringList(payload.amr),
    ...(typeof authTime === 'number' ? { authTime } : {}),
    expiresAt: payload.exp as number,
    ...(typeof payload.jti === 'string' ? { tokenId: payload.jti } : {}),
    claims: Object.freeze({ ...payload }),
  };
}

function joseReason(err: unknown): Rejection {
  if (err instanceof TokenRejected) return reject(err.reason);
  if (err instanceof errors.JWTExpired) return reject('token_expired', 'The access token expired.');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' || err.claim === 'iat') return reject('token_not_yet_valid', 'The access token is not valid yet.');
    if (err.claim === 'aud') return reject('wrong_audience');
    return reject(`bad_claim_${err.claim}`);
  }
  if (err instanceof errors.JWKSNoMatchingKey) return reject('unknown_key');
  if (err instanceof errors.JWSSignatureVerificationFailed) return reject('bad_signature');
  if (err instanceof errors.JOSEAlgNotAllowed) return reject('disallowed_algorithm');
  if (err instanceof errors.JOSENotSupported) return reject('unsupported');
  return reject('malformed');
}

export class TokenVerifier {
  private readonly cache: TokenCache;

  constructor(
    private readonly issuers: ReadonlyMap<string, IssuerConfig>,
    private readonly jwksFor: (issuer: IssuerConfig) => JwksCache,
    private readonly opts: VerifierOptions,
    private readonly nowMs: () => number,
  ) {
    this.cache = new TokenCache(opts.cacheSize);
  }

  async verify(token: string): Promise<IdentityResult> {
    const nowMs = this.nowMs();
    const hit = this.cache.get(token, nowMs);
    if (hit && this.jwksFor(this.issuers.get(hit.identity.issuer) as IssuerConfig).hasKid(hit.kid)) {
      return { kind: 'verified', identity: hit.identity };
    }
    try {
      return await this.verifyFresh(token, nowMs);
    } catch (err) {
      if (err instanceof JwksUnavailableError) return { kind: 'unavailable', reason: 'jwks_unavailable', description: 'The signing keys of the token issuer cannot be fetched right now.' };
      return joseReason(err);
    }
  }

  private async verifyFresh(token: string, nowMs: number): Promise<IdentityResult> {
    const header = decodeProtectedHeader(token);
    const iss = decodeJwt(token).iss;
    const issuer = typeof iss === 'string' ? this.issuers.get(iss) : undefined;
    if (!issuer) return reject('untrusted_issuer');
    checkHeader(header, issuer.algorithms);
    const now = nowMs / 1000;
    const { payload } = await jwtVerify(token, this.jwksFor(issuer).resolver, {
      issuer: issuer.issuer,
      audience: [...issuer.audiences],
      algorithms: [...issuer.algorithms],
      clockTolerance: this.opts.clockSkewSeconds,
      currentDate: new Date(nowMs),
      requiredClaims: ['exp', 'sub'],
    });
    const identity = toIdentity(payload, now, this.opts.clockSkewSeconds);
    const until = Math.min((identity.expiresAt + this.opts.clockSkewSeconds) * 1000, nowMs + this.opts.cacheTtlSeconds * 1000);
    this.cache.set(token, { identity, kid: typeof header.kid === 'string' ? header.kid : undefined, until });
    return { kind: 'verified', identity };
  }
}
