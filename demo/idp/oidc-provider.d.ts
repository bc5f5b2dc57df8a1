// The few parts of oidc-provider (v9) the demo uses. The package ships no
// types of its own; these are written from its source in node_modules.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

  /** What the token endpoint knows about how the End-User authenticated (AuthorizationCode, RefreshToken). */
  export interface GrantSource {
    acr?: string;
    amr?: string[];
    authTime?: number;
  }

  export interface OidcContext {
    params: Record<string, unknown>;
    session: { accountId?: string; acr?: string; loginTs?: number };
    result?: { login?: unknown; consent?: unknown };
    entities: { AuthorizationCode?: GrantSource; RefreshToken?: GrantSource };
  }

  export interface ProviderContext {
    oidc: OidcContext;
    type: string;
    body: unknown;
  }

  export interface InteractionDetails {
    uid: string;
    params: Record<string, string | undefined>;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    session?: { accountId?: string };
    grantId?: string;
  }

  export interface LoginResult {
    accountId: string;
    acr?: string;
    amr?: string[];
    /** When the End-User authenticated, seconds since the epoch (default: now). */
    ts?: number;
    remember?: boolean;
  }

  export interface InteractionResults {
    login?: LoginResult;
    consent?: { grantId?: string };
  }

  export interface Grant {
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export class Check {
    constructor(reason: string, description: string, check: (ctx: ProviderContext) => boolean | Promise<boolean>);
  }

  export interface Prompt {
    name: string;
    checks: Check[] & { add(check: Check, index?: number): void };
  }

  export const interactionPolicy: {
    base(): Prompt[] & { get(name: string): Prompt | undefined };
    Check: typeof Check;
  };

  export const errors: {
    InvalidTarget: new (description?: string) => Error;
  };

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    readonly issuer: string;
    readonly Grant: {
      new (init: { accountId: string; clientId: string }): Grant;
      find(id: string): Promise<Grant | undefined>;
    };
    callback(): NodeHandler;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: InteractionResults, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  }

  export default Provider;
}
