// A real OpenID Provider (the npm package oidc-provider) on loopback, set up
// the way the stepup sidecar expects an IdP to be:
// - the authorization code flow with PKCE for a public (native) client;
// - resource indicators (RFC 8707): the payments API's resource gets JWT
//   access tokens (RFC 9068) for its audience, signed ES256, with the
//   acr, amr and auth_time of the sign-in they came from;
// - the login prompt honours acr_values (a session below the requested level
//   signs in again) as well as max_age (oidc-provider's own check);
// - keys published at /jwks, everything discoverable at
//   /.well-known/openid-configuration.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Provider, { errors, interactionPolicy, type ProviderContext } from 'oidc-provider';
import { interactionPages, type Account } from './interaction-pages.js';
import { ADVERTISED_ACR_VALUES, levelFor, sessionMeets } from './levels.js';
import { memoryStore } from './memory-store.js';

export interface IdentityProviderOptions {
  readonly clientId: string;
  readonly redirectUri: string;
  /** The resource indicator of the API, and the audience its tokens carry. */
  readonly resource: string;
  readonly audience: string;
  /** Scope the API defines. */
  readonly scope: string;
  readonly accounts: readonly Account[];
}

export interface IdentityProvider {
  readonly issuer: string;
  /**
   * Demo shortcut, instead of waiting: the next sign-in is recorded as having
   * happened `seconds` ago (oidc-provider's login result `ts`).
   */
  backdateNextLogin(seconds: number): void;
  close(): Promise<void>;
}

const ACCESS_TOKEN_TTL = 600;

function signingKey(): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid: `demo-${randomBytes(4).toString('hex')}`, alg: 'ES256', use: 'sig' };
}

/** acr, amr and auth_time of the sign-in behind the code (or refresh token) being exchanged. */
async function authenticationClaims(ctx: ProviderContext, token: { kind: string }): Promise<Record<string, unknown> | undefined> {
  if (token.kind !== 'AccessToken') return undefined;
  const source = ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken;
  if (!source) return undefined;
  return { acr: source.acr, amr: source.amr, auth_time: source.authTime };
}

/** oidc-provider's default prompts, plus: sign in again when the session is below the requested acr. */
function interactionsPolicy() {
  const policy = interactionPolicy.base();
  const check = new interactionPolicy.Check('acr_values', 'the session is below the requested authentication level', (ctx) => {
    const requested = ctx.oidc.params.acr_values;
    if (typeof requested !== 'string' || ctx.oidc.result?.login) return false;
    return !sessionMeets(ctx.oidc.session.acr, levelFor(requested));
  });
  policy.get('login')?.checks.add(check);
  return policy;
}

function configuration(opts: IdentityProviderOptions): Record<string, unknown> {
  const resourceServer = { scope: opts.scope, audience: opts.audience, accessTokenTTL: ACCESS_TOKEN_TTL, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
  return {
    adapter: memoryStore(),
    jwks: { keys: [signingKey()] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    acrValues: ADVERTISED_ACR_VALUES,
    scopes: ['openid'],
    clients: [
      {
        client_id: opts.clientId,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [opts.redirectUri],
        id_token_signed_response_alg: 'ES256',
      },
    ],
    findAccount: async (_ctx: unknown, id: string) => (opts.accounts.some((a) => a.id === id) ? { accountId: id, claims: async () => ({ sub: id }) } : undefined),
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => opts.resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: unknown, indicator: string) => {
          if (indicator !== opts.resource) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
          return resourceServer;
        },
      },
    },
    extraTokenClaims: authenticationClaims,
    interactions: { policy: interactionsPolicy(), url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    ttl: { AccessToken: ACCESS_TOKEN_TTL, AuthorizationCode: 60, IdToken: ACCESS_TOKEN_TTL, Interaction: 600, Session: 3600, Grant: 3600 },
    renderError: async (ctx: ProviderContext, out: { error: string; error_description?: string }) => {
      ctx.type = 'text/plain';
      ctx.body = `${out.error}: ${out.error_description ?? ''}`;
    },
  };
}

/** Starts the provider on a free 127.0.0.1 port. */
export async function startIdentityProvider(opts: IdentityProviderOptions): Promise<IdentityProvider> {
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => void res.writeHead(503).end();
  const server: Server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const issuer = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  let backdate = 0;
  const clock = () => {
    const ts = Math.floor(Date.now() / 1000) - backdate;
    backdate = 0;
    return ts;
  };
  const provider = new Provider(issuer, configuration(opts));
  const pages = interactionPages(provider, opts.accounts, clock);
  const callback = provider.callback();
  handle = (req, res) => {
    pages(req, res).then((handled) => handled || callback(req, res), () => res.writeHead(500).end());
  };
  return {
    issuer,
    backdateNextLogin: (seconds) => {
      backdate = seconds;
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
