// The values the decision works with. Everything here is plain data: the
// decision is a pure function of these inputs.
import type { CompiledPolicy } from '../../common/policy/compile.js';
import type { Signals } from '../signals/signals.js';

/** What the decision needs to know about one HTTP request. */
export interface RequestAttributes {
  /** Envoy's request id (x-request-id), when it sent one. */
  readonly id: string;
  readonly method: string;
  /** Normalized path without the query string. */
  readonly path: string;
  /** Host without port, lower case. */
  readonly host: string;
  readonly scheme: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  /** Parsed JSON body, or null when there is none, it could not be read as JSON, or no rule reads it. */
  readonly body: unknown;
  /** `not-read`: there is a body, but no rule reads `request.body`, so it was not parsed. */
  readonly bodyState: 'none' | 'json' | 'not-json' | 'truncated' | 'invalid-json' | 'not-read';
  /** The client address Envoy saw (its `source` attribute). */
  readonly sourceAddress: string;
  /** Envoy context_extensions for the route (e.g. environment, data class). */
  readonly route: Readonly<Record<string, string>>;
}

/** A caller whose token was verified. */
export interface Identity {
  readonly issuer: string;
  readonly subject: string;
  readonly audiences: readonly string[];
  readonly acr?: string;
  readonly amr: readonly string[];
  /** Seconds since the epoch. */
  readonly authTime?: number;
  readonly expiresAt: number;
  readonly tokenId?: string;
  /** All claims, for CEL (`identity`). */
  readonly claims: Readonly<Record<string, unknown>>;
}

export type IdentityResult =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'verified'; readonly identity: Identity }
  | { readonly kind: 'rejected'; readonly error: 'invalid_token' | 'invalid_request'; readonly reason: string; readonly description: string }
  | { readonly kind: 'unavailable'; readonly reason: string; readonly description: string };

export interface DecisionInput {
  readonly request: RequestAttributes;
  readonly identity: IdentityResult;
  readonly signals: Signals;
  readonly policies: readonly CompiledPolicy[];
  /** Seconds since the epoch. */
  readonly now: number;
  /**
   * Set (to the reason) when the signal store could not be read for this
   * request. Then rules whose condition reads stored signals fire, afterRisk
   * is not met and singleUse denies: never the defaults that would allow.
   */
  readonly signalsUnavailable?: string;
  /** When a singleUse rule matched and the store answered: whether this is the token's first use. */
  readonly tokenUse?: 'first' | 'replayed';
}

/** One rule that fired, and why it counts. */
export interface RuleHit {
  readonly policy: string;
  readonly rule: string;
  readonly action: 'StepUp' | 'Deny' | 'Allow';
  readonly dryRun: boolean;
  /** Set when `when` failed to evaluate: the rule fired because of it (fail closed). */
  readonly error?: string;
}

/** What the caller must present, merged over every unmet policy. */
export interface Requirement {
  /** `policy: level` of each unmet requirement. */
  readonly levels: readonly { readonly policy: string; readonly level: string }[];
  /** acr values to ask for, preferred first. */
  readonly acrValues: readonly string[];
  readonly maxAgeSeconds?: number;
  /** Where a browser may be sent to step up, if a policy names one. */
  readonly authorizationEndpoint?: { readonly url: string; readonly clientId?: string; readonly redirectUri?: string };
  /** The application's login route, preferred for browsers when a policy names one. */
  readonly loginUrl?: string;
}

export type ChallengeReason = 'token_missing' | 'token_not_accepted' | 'insufficient_level' | 'stale_authentication' | 'risk_after_authentication';

export type DenyReason = 'deny_rule' | 'token_replayed' | 'token_id_missing' | 'replay_check_unavailable' | 'missing_token_denied';

interface Common {
  readonly hits: readonly RuleHit[];
  /** With the DryRun policies counted too: what the outcome would have been (present when a DryRun policy fired a rule). */
  readonly dryRun?: { readonly outcome: 'allow' | 'challenge' | 'deny'; readonly reason: string };
}

export type Decision =
  | (Common & { readonly outcome: 'allow'; readonly reason: 'no_rule_matched' | 'requirements_met' | 'anonymous_allowed'; readonly levelMet?: string })
  | (Common & { readonly outcome: 'challenge'; readonly reason: ChallengeReason; readonly requirement: Requirement })
  | (Common & { readonly outcome: 'deny'; readonly reason: DenyReason })
  | (Common & { readonly outcome: 'invalid_token' | 'invalid_request'; readonly reason: string; readonly description: string })
  | (Common & { readonly outcome: 'unavailable'; readonly reason: string; readonly description: string });

export type Outcome = Decision['outcome'];
