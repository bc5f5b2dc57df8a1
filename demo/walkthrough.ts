// The story the demo tells, one numbered step each: Alice reads her
// accounts, is challenged on a large transfer, steps up at the IdP, and
// succeeds; an old sign-in is challenged for freshness; a browser is
// redirected to the IdP. Every step checks what came back.
import type { JWTPayload } from 'jose';
import { decisionLines } from '../harness/sidecar.js';
import { waitFor, type Running } from '../harness/processes.js';
import type { Upstream } from '../harness/upstream.js';
import { callApi, decisionIdOf, type ApiAnswer } from './api.js';
import { Browser } from './client/browser.js';
import { parseBearerChallenge, stepUpParams } from './client/challenge.js';
import { signIn, type ClientSettings, type IdpEndpoints, type Person, type SignedIn } from './client/sign-in.js';
import type { IdentityProvider } from './idp/identity-provider.js';
import type { Report } from './report.js';

export interface Demo {
  readonly report: Report;
  /** Envoy's URL: the payments API as clients reach it. */
  readonly api: string;
  readonly idp: IdentityProvider;
  readonly endpoints: IdpEndpoints;
  readonly client: ClientSettings;
  readonly person: Person;
  readonly upstream: Upstream;
  readonly sidecar: Running;
}

type Challenge = Record<string, string>;

const TRANSFER = { amount: 25000 };
const STALE_SECONDS = 600;

function now(): number {
  return Date.now() / 1000;
}

function authAge(claims: JWTPayload): number {
  return typeof claims.auth_time === 'number' ? Math.round(now() - claims.auth_time) : NaN;
}

function describeToken(t: SignedIn): string {
  const amr = Array.isArray(t.claims.amr) ? t.claims.amr.join(', ') : '';
  return `acr "${String(t.claims.acr)}", amr [${amr}], auth_time ${authAge(t.claims)} s ago  (${t.alg}, sub ${t.claims.sub}, aud ${String(t.claims.aud)})`;
}

function checkToken(d: Demo, t: SignedIn, acr: string, amr: string[]): void {
  const got = Array.isArray(t.claims.amr) ? t.claims.amr.join(',') : String(t.claims.amr);
  d.report.check(t.claims.acr === acr, `expected a token with acr "${acr}", got acr "${String(t.claims.acr)}"`);
  d.report.check(got === amr.join(','), `expected amr [${amr.join(', ')}], got [${got}]`);
}

function checkStatus(d: Demo, answer: ApiAnswer, expected: number): void {
  d.report.check(answer.status === expected, `expected status ${expected}, got ${answer.status} ${answer.body.slice(0, 200)}`);
}

/** Calls the API and checks whether the request reached the upstream app. */
async function call(d: Demo, method: string, path: string, token: string | undefined, reaches: boolean): Promise<ApiAnswer> {
  const before = d.upstream.seen.length;
  const answer = await callApi(d.api, method, path, { ...(token ? { token } : {}), ...(method === 'POST' ? { json: TRANSFER } : {}) });
  const reached = d.upstream.seen.length > before;
  d.report.check(reached === reaches, `the request ${reached ? 'reached' : 'did not reach'} the upstream app (status ${answer.status}), it should${reaches ? '' : ' not'} have`);
  return answer;
}

function showPassed(d: Demo, answer: ApiAnswer, expectedLevel: string): void {
  const seen = d.upstream.seen.at(-1);
  const subject = String(seen?.headers['x-stepup-subject']);
  const level = String(seen?.headers['x-stepup-level']);
  d.report.got(`${answer.status}  upstream saw x-stepup-subject: ${subject}, x-stepup-level: ${level}`);
  checkStatus(d, answer, 200);
  d.report.check(subject === 'alice', `expected the upstream to see x-stepup-subject: alice, got ${subject}`);
  d.report.check(level === expectedLevel, `expected the upstream to see x-stepup-level: ${expectedLevel}, got ${level}`);
}

function challengeOf(d: Demo, answer: ApiAnswer, maxAge: string): Challenge {
  const header = answer.headers.get('www-authenticate') ?? '';
  d.report.got(`${answer.status}  WWW-Authenticate: ${header}`);
  checkStatus(d, answer, 401);
  const challenge = parseBearerChallenge(header);
  d.report.check(challenge !== undefined, `expected a Bearer challenge, got WWW-Authenticate: ${header || '(none)'}`);
  d.report.check(challenge.error === 'insufficient_user_authentication', `expected error="insufficient_user_authentication", got error="${challenge.error}"`);
  d.report.check(challenge.acr_values === '2 urn:example:loa:2', `expected acr_values="2 urn:example:loa:2", got "${challenge.acr_values}"`);
  d.report.check(challenge.max_age === maxAge, `expected max_age="${maxAge}", got "${challenge.max_age}"`);
  return challenge;
}

/** The sidecar's decision log line for one decision, trimmed to what a reader needs. */
async function showDecision(d: Demo, answer: ApiAnswer): Promise<void> {
  const id = decisionIdOf(answer);
  const find = () => decisionLines(d.sidecar).find((l) => l.decision_id === id);
  await waitFor('the decision log line', async () => find() !== undefined, 3000).catch(() => {});
  const line = find();
  d.report.check(line !== undefined, `the sidecar logged no decision with id ${id}`);
  const who = (line.identity ?? {}) as Record<string, unknown>;
  const amr = Array.isArray(who.amr) ? who.amr.join(',') : '';
  d.report.more(`sidecar log: decision ${String(id).slice(0, 8)}… outcome=${String(line.outcome)} reason=${String(line.reason)} rules=${(line.rules as string[]).join(',')} sub=${String(who.sub)} acr=${String(who.acr)} amr=${amr} latency=${String(line.latency_ms)}ms`);
}

async function signInBasic(d: Demo, phone: Browser): Promise<SignedIn> {
  d.report.step('Alice signs in to the payments app at the basic level');
  const t = await signIn(phone, d.endpoints, d.client, d.person, { acrValues: '1' });
  d.report.sent(`GET ${d.endpoints.authorizationEndpoint}  acr_values=1  (code flow with PKCE, then POST /token)`);
  d.report.got(`the IdP asked for: ${t.askedFor.join(', ')}`);
  d.report.got(`access token: ${describeToken(t)}`);
  checkToken(d, t, '1', ['pwd']);
  d.report.why('The IdP (oidc-provider) checked her password and minted a JWT for the payments API.');
  return t;
}

async function readAccounts(d: Demo, basic: SignedIn): Promise<void> {
  d.report.step('She reads her accounts');
  d.report.sent('GET /v1/accounts  (Authorization: Bearer <acr 1 token>)');
  const answer = await call(d, 'GET', '/v1/accounts', basic.accessToken, true);
  showPassed(d, answer, 'basic');
  d.report.why('No rule covers reading accounts: Envoy passes the request on, with identity headers the app can trust.');
}

async function largeTransfer(d: Demo, basic: SignedIn): Promise<Challenge> {
  d.report.step('She sends a large transfer with the same token');
  d.report.sent(`POST /v1/transfers  ${JSON.stringify(TRANSFER)}  (Authorization: Bearer <acr 1 token>)`);
  const answer = await call(d, 'POST', '/v1/transfers', basic.accessToken, false);
  const challenge = challengeOf(d, answer, '300');
  await showDecision(d, answer);
  d.report.why('Rule large-transfer wants level mfa (acr 2) from the last 5 minutes; acr 1 is too weak: an RFC 9470 challenge.');
  return challenge;
}

function showAuthorizationRequest(d: Demo, t: SignedIn): void {
  d.report.sent(`GET ${d.endpoints.authorizationEndpoint} with:`);
  const fromChallenge = new Set(['acr_values', 'max_age']);
  for (const key of ['response_type', 'client_id', 'scope', 'resource', 'code_challenge_method', 'acr_values', 'max_age']) {
    const value = t.request.get(key);
    if (value !== null) d.report.more(`  ${key.padEnd(22)} ${value}${fromChallenge.has(key) ? '   (from the challenge)' : ''}`);
  }
}

async function stepUp(d: Demo, browser: Browser, challenge: Challenge, why: string): Promise<SignedIn> {
  const wanted = stepUpParams(challenge);
  const t = await signIn(browser, d.endpoints, d.client, d.person, wanted);
  showAuthorizationRequest(d, t);
  d.report.got(`the IdP asked for: ${t.askedFor.join(', ')}  (${why})`);
  d.report.got(`access token: ${describeToken(t)}`);
  d.report.check(t.request.get('acr_values') === challenge.acr_values, 'the authorization request did not carry the challenge\'s acr_values');
  d.report.check(t.request.get('max_age') === challenge.max_age, 'the authorization request did not carry the challenge\'s max_age');
  d.report.check(t.askedFor.includes('otp'), `expected the IdP to ask for a one-time code, it asked for ${t.askedFor.join(', ')}`);
  checkToken(d, t, '2', ['pwd', 'otp']);
  d.report.check(authAge(t.claims) <= 60, `expected a fresh auth_time, got one ${authAge(t.claims)} s old`);
  d.report.why('The IdP honoured acr_values and max_age: a new sign-in with a one-time code, so the token says acr 2, amr pwd + otp.');
  return t;
}

async function retry(d: Demo, token: SignedIn, why: string): Promise<void> {
  d.report.sent(`POST /v1/transfers  ${JSON.stringify(TRANSFER)}  (Authorization: Bearer <new acr 2 token>)`);
  const answer = await call(d, 'POST', '/v1/transfers', token.accessToken, true);
  showPassed(d, answer, 'mfa');
  d.report.why(why);
}

async function staleSignIn(d: Demo, laptop: Browser): Promise<Challenge> {
  d.report.step(`On her laptop, Alice signed in with MFA ${STALE_SECONDS / 60} minutes ago`);
  d.idp.backdateNextLogin(STALE_SECONDS);
  const t = await signIn(laptop, d.endpoints, d.client, d.person, { acrValues: '2' });
  d.report.sent(`GET ${d.endpoints.authorizationEndpoint}  acr_values=2  (the laptop app asks for MFA up front)`);
  d.report.more(`(demo shortcut: the IdP records this sign-in as ${STALE_SECONDS} s old instead of us waiting)`);
  d.report.got(`access token: ${describeToken(t)}`);
  checkToken(d, t, '2', ['pwd', 'otp']);
  d.report.check(Math.abs(authAge(t.claims) - STALE_SECONDS) <= 30, `expected auth_time ${STALE_SECONDS} s ago, got ${authAge(t.claims)} s`);
  d.report.sent(`POST /v1/transfers  ${JSON.stringify(TRANSFER)}  (Authorization: Bearer <acr 2 token, ${STALE_SECONDS} s old>)`);
  const answer = await call(d, 'POST', '/v1/transfers', t.accessToken, false);
  const challenge = challengeOf(d, answer, '300');
  const description = challenge.error_description ?? '';
  d.report.check(/more recent authentication/i.test(description), `expected error_description to ask for a more recent authentication, got "${description}"`);
  d.report.why(`The level is right, but the sign-in is older than max_age 300 s: "${description}"`);
  return challenge;
}

async function browserRedirect(d: Demo): Promise<void> {
  d.report.step('A browser opens an admin page without a token');
  d.report.sent('GET /admin/reports  (Accept: text/html, no token)');
  const before = d.upstream.seen.length;
  const answer = await callApi(d.api, 'GET', '/admin/reports', { accept: 'text/html' });
  const location = answer.headers.get('location') ?? '';
  d.report.got(`${answer.status}  Location: ${location}`);
  checkStatus(d, answer, 302);
  d.report.check(d.upstream.seen.length === before, 'the request reached the upstream app, it should not have');
  const url = new URL(location);
  d.report.check(`${url.origin}${url.pathname}` === d.endpoints.authorizationEndpoint, `expected a redirect to ${d.endpoints.authorizationEndpoint}, got ${location}`);
  const q = url.searchParams;
  d.report.check(q.get('acr_values') === '3' && q.get('max_age') === '900', `expected acr_values=3 and max_age=900, got acr_values=${q.get('acr_values')} max_age=${q.get('max_age')}`);
  d.report.why('Browsers are sent to the IdP instead: rule admin wants phishing-resistant (acr 3) from the last 15 minutes.');
}

export async function walkThrough(d: Demo): Promise<void> {
  const phone = new Browser();
  const basic = await signInBasic(d, phone);
  await readAccounts(d, basic);
  const challenge = await largeTransfer(d, basic);

  d.report.step('The app steps up: it sends Alice back to the IdP with what the challenge asked for');
  const mfa = await stepUp(d, phone, challenge, 'her session is acr 1, below the requested 2');
  d.report.step('The app retries the transfer with the new token');
  await retry(d, mfa, 'acr 2 meets level mfa and the sign-in is seconds old: the transfer reaches the app.');

  const laptop = new Browser();
  const stale = await staleSignIn(d, laptop);
  d.report.step('The laptop app signs in again with the challenge\'s max_age, and retries');
  const fresh = await stepUp(d, laptop, stale, `her session is ${STALE_SECONDS} s old, more than max_age`);
  await retry(d, fresh, 'A fresh sign-in at acr 2: the transfer reaches the app.');

  await browserRedirect(d);
}
