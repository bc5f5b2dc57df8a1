// The client side of a sign-in: the app sends the person's browser to the
// IdP's authorization endpoint (code flow, PKCE S256, state), the person fills
// in whatever the IdP's page asks for, and the app exchanges the code at the
// token endpoint for a JWT access token.
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import type { Browser } from './browser.js';

export interface ClientSettings {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly resource: string;
}

/** From the IdP's discovery document. */
export interface IdpEndpoints {
  readonly issuer: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly jwksUri: string;
}

/** What the person knows or holds, by the name of the form field that asks for it. */
export type Person = Readonly<Record<string, string>>;

/** Step-up parameters of the authorization request (from a challenge, or chosen by the app). */
export interface StepUpParams {
  readonly acrValues?: string;
  readonly maxAge?: number;
}

export interface SignedIn {
  /** The authorization request's parameters, as sent. */
  readonly request: URLSearchParams;
  /** Form fields the IdP asked the person for, in order. */
  readonly askedFor: string[];
  readonly accessToken: string;
  readonly claims: JWTPayload;
  readonly alg: string;
}

const MAX_HOPS = 12;

export async function discover(issuer: string): Promise<IdpEndpoints> {
  const res = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`discovery at ${issuer} answered ${res.status}`);
  const doc = (await res.json()) as Record<string, string>;
  return { issuer: doc.issuer ?? '', authorizationEndpoint: doc.authorization_endpoint ?? '', tokenEndpoint: doc.token_endpoint ?? '', jwksUri: doc.jwks_uri ?? '' };
}

function authorizationRequest(client: ClientSettings, stepUp: StepUpParams, state: string, verifier: string): URLSearchParams {
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: client.scope,
    resource: client.resource,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  if (stepUp.acrValues) params.set('acr_values', stepUp.acrValues);
  if (stepUp.maxAge !== undefined) params.set('max_age', String(stepUp.maxAge));
  return params;
}

interface Form {
  action: string;
  fields: string[];
  error?: string;
}

function readForm(html: string, base: string): Form | undefined {
  const action = /<form[^>]*\baction="([^"]+)"/i.exec(html)?.[1];
  if (!action) return undefined;
  const fields = [...html.matchAll(/<input[^>]*\bname="([^"]+)"/gi)].map((m) => m[1] as string);
  const error = /<p class="error">([^<]*)<\/p>/i.exec(html)?.[1];
  return { action: new URL(action, base).href, fields, ...(error ? { error } : {}) };
}

function fill(fields: readonly string[], person: Person): Record<string, string> {
  const missing = fields.filter((f) => person[f] === undefined);
  if (missing.length > 0) throw new Error(`the IdP asks for ${missing.join(', ')}, which the person does not have`);
  return Object.fromEntries(fields.map((f) => [f, person[f] as string]));
}

function codeFrom(location: URL, state: string, issuer: string): string {
  const q = location.searchParams;
  if (q.get('error')) throw new Error(`the IdP refused: ${q.get('error')}: ${q.get('error_description') ?? ''}`);
  if (q.get('state') !== state) throw new Error('the state parameter came back different');
  if (q.get('iss') !== null && q.get('iss') !== issuer) throw new Error(`the response names issuer ${q.get('iss')}, expected ${issuer}`);
  const code = q.get('code');
  if (!code) throw new Error('the redirect carries no code');
  return code;
}

/** Follows the browser through the IdP until it is sent back to the app with a code. */
async function authorize(browser: Browser, start: string, person: Person, client: ClientSettings, state: string, issuer: string): Promise<{ code: string; askedFor: string[] }> {
  const askedFor: string[] = [];
  let url = start;
  let res = await browser.get(url);
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const location = res.headers.get('location');
    if (location) {
      const next = new URL(location, url);
      if (next.href.startsWith(client.redirectUri)) return { code: codeFrom(next, state, issuer), askedFor };
      url = next.href;
      res = await browser.get(url);
      continue;
    }
    const form = res.status === 200 ? readForm(await res.text(), url) : undefined;
    if (!form) throw new Error(`the IdP answered ${res.status} at ${url}: ${(await res.text().catch(() => '')).slice(0, 200)}`);
    if (form.error) throw new Error(`sign-in failed: ${form.error}`);
    askedFor.push(...form.fields.filter((f) => !askedFor.includes(f)));
    url = form.action;
    res = await browser.postForm(url, fill(form.fields, person));
  }
  throw new Error(`no code after ${MAX_HOPS} redirects`);
}

async function exchange(idp: IdpEndpoints, client: ClientSettings, code: string, verifier: string): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, client_id: client.clientId, code_verifier: verifier, resource: client.resource });
  const res = await fetch(idp.tokenEndpoint, { method: 'POST', body, signal: AbortSignal.timeout(5000) });
  const json = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!res.ok || !json.access_token) throw new Error(`the token endpoint answered ${res.status}: ${json.error ?? ''} ${json.error_description ?? ''}`);
  return json.access_token;
}

/** Signs the person in through the browser, asking for the given step-up parameters. */
export async function signIn(browser: Browser, idp: IdpEndpoints, client: ClientSettings, person: Person, stepUp: StepUpParams = {}): Promise<SignedIn> {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const request = authorizationRequest(client, stepUp, state, verifier);
  const { code, askedFor } = await authorize(browser, `${idp.authorizationEndpoint}?${request}`, person, client, state, idp.issuer);
  const accessToken = await exchange(idp, client, code, verifier);
  return { request, askedFor, accessToken, claims: decodeJwt(accessToken), alg: String(decodeProtectedHeader(accessToken).alg) };
}
