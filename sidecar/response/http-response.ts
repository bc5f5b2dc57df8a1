// Turns a Decision into what the client or the upstream sees. Pure: the Envoy
// edge only translates the result into a CheckResponse.
import type { Decision, RequestAttributes, Requirement } from '../decision/types.js';
import { formatBearerChallenge, type BearerChallenge } from './www-authenticate.js';

export const TRUSTED_HEADERS = { subject: 'x-stepup-subject', level: 'x-stepup-level', decisionId: 'x-stepup-decision-id' } as const;

export interface ResponseOptions {
  realm: string;
  /** Send browsers to the IdP with a 302 when the policy names an authorizationEndpoint. */
  browserRedirect: boolean;
}

export type HttpOutcome =
  | { kind: 'allow'; setHeaders: [string, string][]; removeHeaders: string[] }
  | { kind: 'deny'; status: number; headers: [string, string][]; body: string };

const PROBLEM_TYPE = 'https://stepup.dev/problems/';

const CHALLENGE_TEXT: Record<string, string> = {
  token_missing: 'This request needs an access token.',
  token_not_accepted: 'The access token is not accepted for this resource.',
  insufficient_level: 'A stronger authentication is required for this request.',
  stale_authentication: 'A more recent authentication is required for this request.',
  risk_after_authentication: 'The risk for this account changed after the last authentication: authenticate again.',
};

const DENY_TEXT: Record<string, string> = {
  token_replayed: 'This token was already used, and this request accepts a token only once.',
  token_id_missing: 'This request accepts single-use tokens only, and the token has no jti.',
  replay_check_unavailable: 'Whether this single-use token was used before cannot be checked now.',
};

function problem(status: number, type: string, title: string, detail: string, decisionId: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: PROBLEM_TYPE + type, title, status, detail, decision_id: decisionId, ...extra });
}

function deny(status: number, extraHeaders: [string, string][], body: string): HttpOutcome {
  return {
    kind: 'deny',
    status,
    headers: [['content-type', 'application/problem+json'], ['cache-control', 'no-store'], ...extraHeaders],
    body,
  };
}

function wantsHtml(request: RequestAttributes): boolean {
  const accept = request.headers.accept ?? '';
  return /(^|,)\s*text\/html\b/i.test(accept);
}

/** The app's login route with the step-up parameters and where to come back to. */
function loginRedirect(loginUrl: string, req: Requirement, request: RequestAttributes): string {
  const url = new URL(loginUrl, 'http://same-host.invalid');
  if (req.acrValues.length > 0) url.searchParams.set('acr_values', req.acrValues.join(' '));
  if (req.maxAgeSeconds !== undefined) url.searchParams.set('max_age', String(req.maxAgeSeconds));
  url.searchParams.set('return_to', request.path);
  return url.origin === 'http://same-host.invalid' ? `${url.pathname}${url.search}` : url.toString();
}

function redirectUrl(req: Requirement, request: RequestAttributes, decisionId: string): string | undefined {
  if (req.loginUrl) return loginRedirect(req.loginUrl, req, request);
  const ep = req.authorizationEndpoint;
  if (!ep) return undefined;
  const url = new URL(ep.url);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', 'openid');
  if (ep.clientId) url.searchParams.set('client_id', ep.clientId);
  if (ep.redirectUri) url.searchParams.set('redirect_uri', ep.redirectUri);
  if (req.acrValues.length > 0) url.searchParams.set('acr_values', req.acrValues.join(' '));
  if (req.maxAgeSeconds !== undefined) url.searchParams.set('max_age', String(req.maxAgeSeconds));
  url.searchParams.set('state', decisionId);
  return url.toString();
}

function challengeResponse(d: Extract<Decision, { outcome: 'challenge' }>, request: RequestAttributes, decisionId: string, opts: ResponseOptions): HttpOutcome {
  const req = d.requirement;
  const location = opts.browserRedirect && wantsHtml(request) ? redirectUrl(req, request, decisionId) : undefined;
  if (location) return { kind: 'deny', status: 302, headers: [['location', location], ['cache-control', 'no-store']], body: '' };
  const detail = CHALLENGE_TEXT[d.reason] ?? 'Authentication required.';
  const challenge: BearerChallenge = { realm: opts.realm, acrValues: req.acrValues, ...(req.maxAgeSeconds !== undefined ? { maxAgeSeconds: req.maxAgeSeconds } : {}) };
  if (d.reason === 'insufficient_level' || d.reason === 'stale_authentication' || d.reason === 'risk_after_authentication') {
    Object.assign(challenge, { error: 'insufficient_user_authentication', errorDescription: detail });
  } else if (d.reason === 'token_not_accepted') {
    Object.assign(challenge, { error: 'invalid_token', errorDescription: detail });
  }
  const extra = { acr_values: req.acrValues.join(' '), ...(req.maxAgeSeconds !== undefined ? { max_age: req.maxAgeSeconds } : {}) };
  const title = d.reason === 'token_missing' ? 'Authentication required' : 'Step-up authentication required';
  return deny(401, [['www-authenticate', formatBearerChallenge(challenge)]], problem(401, d.reason.replace(/_/g, '-'), title, detail, decisionId, extra));
}

/** The HTTP answer for a decision; `subject` is the verified caller, if any. */
export function toHttpOutcome(d: Decision, request: RequestAttributes, ids: { decisionId: string; subject?: string }, opts: ResponseOptions): HttpOutcome {
  const { decisionId } = ids;
  switch (d.outcome) {
    case 'allow': {
      const set: [string, string][] = [[TRUSTED_HEADERS.decisionId, decisionId]];
      if (ids.subject !== undefined) {
        set.push([TRUSTED_HEADERS.subject, headerSafe(ids.subject)], [TRUSTED_HEADERS.level, d.levelMet ?? 'none']);
      }
      const setNames = new Set(set.map(([k]) => k));
      return { kind: 'allow', setHeaders: set, removeHeaders: Object.values(TRUSTED_HEADERS).filter((h) => !setNames.has(h)) };
    }
    case 'challenge':
      return challengeResponse(d, request, decisionId, opts);
    case 'deny':
      return deny(403, [], problem(403, 'denied', 'Forbidden', DENY_TEXT[d.reason] ?? 'A policy denies this request.', decisionId));
    case 'invalid_token':
    case 'invalid_request': {
      const header = formatBearerChallenge({ realm: opts.realm, error: d.outcome, errorDescription: d.description });
      return deny(401, [['www-authenticate', header]], problem(401, d.outcome.replace(/_/g, '-'), 'Invalid credentials', d.description, decisionId));
    }
    case 'unavailable':
      return deny(503, [['retry-after', '1']], problem(503, 'unavailable', 'Authorization unavailable', d.description, decisionId));
  }
}

/** Header values stay printable ASCII: anything else is percent-encoded. */
function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]|%/g, (ch) => encodeURIComponent(ch));
}
