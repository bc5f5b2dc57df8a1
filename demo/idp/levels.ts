// The authentication levels the demo's OpenID Provider can perform, and how
// it reads a request's acr_values (OpenID Connect Core §3.1.2.1: space
// separated, in order of preference, voluntary).

export interface IdpLevel {
  readonly acr: string;
  /** Authentication methods (RFC 8176 amr values) this level takes. */
  readonly amr: readonly string[];
  /** What the sign-in page asks for. */
  readonly fields: readonly string[];
}

/** Weakest first. */
export const IDP_LEVELS: readonly IdpLevel[] = [
  { acr: '1', amr: ['pwd'], fields: ['username', 'password'] },
  { acr: '2', amr: ['pwd', 'otp'], fields: ['username', 'password', 'otp'] },
];

/**
 * What discovery advertises. "3" (security key) is named because the example
 * policy names it; this IdP has no security-key sign-in, so a request for 3
 * alone gets the basic level, and the sidecar will still refuse that token.
 */
export const ADVERTISED_ACR_VALUES = ['1', '2', '3'];

const BASIC = IDP_LEVELS[0] as IdpLevel;

function rank(acr: string | undefined): number {
  return IDP_LEVELS.findIndex((l) => l.acr === acr);
}

/** The first requested acr value this IdP can perform, else the basic level. */
export function levelFor(acrValues: string | undefined): IdpLevel {
  for (const value of (acrValues ?? '').split(' ')) {
    const level = IDP_LEVELS.find((l) => l.acr === value);
    if (level) return level;
  }
  return BASIC;
}

/** True when a session authenticated at `acr` already meets `level` (same or stronger). */
export function sessionMeets(acr: string | undefined, level: IdpLevel): boolean {
  return rank(acr) >= rank(level.acr);
}
