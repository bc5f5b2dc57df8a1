// The IdP's own pages for the interactions oidc-provider asks for:
//   GET  /interaction/:uid        sign-in form (factors follow acr_values), or
//                                 consent, approved at once for the first-party app
//   POST /interaction/:uid/login  checks the factors and finishes the login with
//                                 the acr and amr actually performed
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InteractionDetails, Provider } from 'oidc-provider';
import { levelFor, type IdpLevel } from './levels.js';

export interface Account {
  readonly id: string;
  readonly password: string;
  /** The code her authenticator shows; fixed in this demo. */
  readonly otp: string;
}

/** When the login being finished happened, seconds since the epoch. */
export type LoginClock = () => number;

const LABELS: Record<string, string> = { username: 'Username', password: 'Password', otp: 'One-time code' };
const INPUT_ATTRS: Record<string, string> = { username: 'autocomplete="username"', password: 'type="password"', otp: 'inputmode="numeric" autocomplete="one-time-code"' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sameSecret(given: string | null, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return given !== null && timingSafeEqual(digest(given), digest(expected));
}

function signInPage(details: InteractionDetails, level: IdpLevel, error?: string): string {
  const inputs = level.fields.map((f) => `  <label>${LABELS[f] ?? f} <input name="${f}" ${INPUT_ATTRS[f] ?? ''}></label>`);
  const why = details.prompt.reasons.map(escapeHtml).join(', ');
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"><title>Sign in</title></head><body>',
    `<h1>Sign in to ${escapeHtml(details.params.client_id ?? 'the application')}</h1>`,
    `<p>Level ${level.acr}: ${level.amr.join(' + ')} (asked because: ${why})</p>`,
    ...(error ? [`<p class="error">${escapeHtml(error)}</p>`] : []),
    `<form method="post" action="/interaction/${encodeURIComponent(details.uid)}/login">`,
    ...inputs,
    '  <button type="submit">Sign in</button>',
    '</form></body></html>',
  ].join('\n');
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let text = '';
  for await (const chunk of req) {
    text += (chunk as Buffer).toString();
    if (text.length > 16_384) throw new Error('form too large');
  }
  return new URLSearchParams(text);
}

/** Consent for the first-party app: grant what the request asked for, without a page. */
async function approve(provider: Provider, req: IncomingMessage, res: ServerResponse, details: InteractionDetails): Promise<void> {
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId: details.session?.accountId ?? '', clientId: details.params.client_id ?? '' });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

function checkFactors(form: URLSearchParams, account: Account | undefined, level: IdpLevel): string | undefined {
  if (!account || !sameSecret(form.get('password'), account.password)) return 'Unknown username or wrong password.';
  if (level.amr.includes('otp') && !sameSecret(form.get('otp'), account.otp)) return 'Wrong one-time code.';
  return undefined;
}

async function login(provider: Provider, req: IncomingMessage, res: ServerResponse, accounts: ReadonlyMap<string, Account>, clock: LoginClock): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const form = await readForm(req);
  // The level comes from the stored request, never from the form.
  const level = levelFor(details.params.acr_values);
  const account = accounts.get(form.get('username') ?? '');
  const error = checkFactors(form, account, level);
  if (error || !account) return send(res, 200, 'text/html; charset=utf-8', signInPage(details, level, error));
  const result = { login: { accountId: account.id, acr: level.acr, amr: [...level.amr], ts: clock() } };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

async function show(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'consent') return approve(provider, req, res, details);
  if (details.prompt.name !== 'login') return send(res, 400, 'text/plain', `unsupported prompt ${details.prompt.name}`);
  send(res, 200, 'text/html; charset=utf-8', signInPage(details, levelFor(details.params.acr_values)));
}

/** Handles /interaction/* requests; answers false for any other path. */
export function interactionPages(provider: Provider, accounts: readonly Account[], clock: LoginClock) {
  const byId = new Map(accounts.map((a) => [a.id, a]));
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = new URL(req.url ?? '/', 'http://idp').pathname;
    const match = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(path);
    if (!match) return false;
    try {
      if (req.method === 'GET' && !match[2]) await show(provider, req, res);
      else if (req.method === 'POST' && match[2]) await login(provider, req, res, byId, clock);
      else send(res, 405, 'text/plain', 'method not allowed');
    } catch (err) {
      send(res, 400, 'text/plain', `interaction failed: ${(err as Error).message}`);
    }
    return true;
  };
}
