// The step-up decision: a pure function of the request, the verified identity,
// the risk signals, the compiled policies and the clock. No I/O, no throwing.
import type { CompiledLevel, CompiledPolicy } from '../../common/policy/compile.js';
import { policyIssuer } from '../../common/policy/policy-set.js';
import { firstLine } from '../../common/cel.js';
import { freshEnough, meetsLevel, strongestLevelMet } from './levels.js';
import type { CompiledRule } from '../../common/policy/compile.js';
import type { ChallengeReason, Decision, DecisionInput, DenyReason, Identity, Requirement, RuleHit } from './types.js';

/** What one policy's fired rules ask for. */
interface PolicyVerdict {
  readonly policy: CompiledPolicy;
  readonly hits: RuleHit[];
  readonly deny: boolean;
  readonly level?: CompiledLevel;
  readonly maxAgeSeconds?: number;
  /** A fired rule demands authentication after the latest risk event. */
  readonly afterRisk: boolean;
  /** A fired rule demands the token's first use. */
  readonly singleUse: boolean;
}

type Assessment = { kind: 'met' } | { kind: 'deny'; reason: DenyReason } | { kind: 'unmet'; reason: ChallengeReason; verdict: PolicyVerdict };

type WhenContext = Parameters<NonNullable<CompiledRule['when']>>[0];

/** Whether a matching rule fires; an error (signals unavailable, CEL failure) makes it fire (fail closed). */
function fires(rule: CompiledRule, ctx: WhenContext, input: DecisionInput): { fires: boolean; error?: string } {
  if (rule.readsStoredSignals && input.signalsUnavailable !== undefined) return { fires: true, error: `signals unavailable: ${input.signalsUnavailable}` };
  if (!rule.when) return { fires: true };
  try {
    return { fires: rule.when(ctx) };
  } catch (err) {
    return { fires: true, error: firstLine((err as Error).message) };
  }
}

function evaluatePolicy(policy: CompiledPolicy, input: DecisionInput, identity: Identity | null): PolicyVerdict {
  const hits: RuleHit[] = [];
  let deny = false;
  let level: CompiledLevel | undefined;
  let maxAgeSeconds: number | undefined;
  let afterRisk = false;
  let singleUse = false;
  const ctx = { request: input.request as unknown as Record<string, unknown>, identity: identity ? (identity.claims as Record<string, unknown>) : null, route: input.request.route as Record<string, string>, signals: input.signals };
  for (const rule of policy.rules) {
    if (!rule.matches(input.request)) continue;
    const { fires: fired, error } = fires(rule, ctx, input);
    if (!fired) continue;
    hits.push({ policy: policy.id, rule: rule.name, action: rule.action, dryRun: policy.mode === 'DryRun', ...(error ? { error } : {}) });
    if (rule.action === 'Deny') deny = true;
    if (rule.action !== 'StepUp' || !rule.level) continue;
    if (!level || rule.level.rank > level.rank) level = rule.level;
    if (rule.maxAgeSeconds !== undefined) maxAgeSeconds = Math.min(maxAgeSeconds ?? Infinity, rule.maxAgeSeconds);
    afterRisk ||= rule.afterRisk;
    singleUse ||= rule.singleUse;
  }
  return { policy, hits, deny, afterRisk, singleUse, ...(level ? { level } : {}), ...(maxAgeSeconds !== undefined ? { maxAgeSeconds } : {}) };
}

function acceptsToken(policy: CompiledPolicy, identity: Identity): boolean {
  const issuer = policyIssuer(policy, identity.issuer);
  return issuer !== undefined && identity.audiences.some((a) => issuer.audiences.includes(a));
}

/** Why a single-use token cannot pass, if it cannot: no jti, no answer from the store, or seen before. */
function singleUseProblem(who: Identity, input: DecisionInput): DenyReason | undefined {
  if (who.tokenId === undefined) return 'token_id_missing';
  if (input.signalsUnavailable !== undefined || input.tokenUse === undefined) return 'replay_check_unavailable';
  return input.tokenUse === 'replayed' ? 'token_replayed' : undefined;
}

/**
 * When the authentication is older than the latest risk event: the max_age
 * that makes the next authentication come after it (none when riskSince is
 * unknown because the store is unavailable).
 */
function riskGap(who: Identity, input: DecisionInput): { maxAge?: number } | undefined {
  if (input.signalsUnavailable !== undefined) return {};
  const since = Number(input.signals.riskSince);
  if (since <= 0 || (who.authTime !== undefined && who.authTime >= since)) return undefined;
  return { maxAge: Math.max(0, Math.floor(input.now - since)) };
}

function assess(verdict: PolicyVerdict, input: DecisionInput): Assessment {
  const { identity } = input;
  if (verdict.deny) return { kind: 'deny', reason: 'deny_rule' };
  if (!verdict.level) return { kind: 'met' };
  if (identity.kind !== 'verified') {
    const action = verdict.policy.onMissingToken;
    if (action === 'Allow') return { kind: 'met' };
    return action === 'Deny' ? { kind: 'deny', reason: 'missing_token_denied' } : { kind: 'unmet', reason: 'token_missing', verdict };
  }
  const who = identity.identity;
  if (!acceptsToken(verdict.policy, who)) return { kind: 'unmet', reason: 'token_not_accepted', verdict };
  const replay = verdict.singleUse ? singleUseProblem(who, input) : undefined;
  if (replay) return { kind: 'deny', reason: replay };
  if (!meetsLevel(verdict.level, who)) return { kind: 'unmet', reason: 'insufficient_level', verdict };
  if (verdict.maxAgeSeconds !== undefined && !freshEnough(who, verdict.maxAgeSeconds, input.now)) {
    return { kind: 'unmet', reason: 'stale_authentication', verdict };
  }
  const gap = verdict.afterRisk ? riskGap(who, input) : undefined;
  if (gap) {
    const maxAgeSeconds = gap.maxAge === undefined ? verdict.maxAgeSeconds : Math.min(gap.maxAge, verdict.maxAgeSeconds ?? Infinity);
    return { kind: 'unmet', reason: 'risk_after_authentication', verdict: { ...verdict, ...(maxAgeSeconds !== undefined ? { maxAgeSeconds } : {}) } };
  }
  return { kind: 'met' };
}

const REASON_ORDER: readonly ChallengeReason[] = ['token_missing', 'token_not_accepted', 'insufficient_level', 'stale_authentication', 'risk_after_authentication'];
const DENY_ORDER: readonly DenyReason[] = ['deny_rule', 'token_replayed', 'token_id_missing', 'replay_check_unavailable', 'missing_token_denied'];

function mergeRequirements(unmet: readonly PolicyVerdict[]): Requirement {
  const acrValues = [...new Set(unmet.flatMap((v) => v.level?.acr ?? []))];
  const ages = unmet.flatMap((v) => (v.maxAgeSeconds !== undefined ? [v.maxAgeSeconds] : []));
  const issuers = unmet.flatMap((v) => v.policy.issuers);
  const endpoint = issuers.find((i) => i.authorizationEndpoint);
  const loginUrl = issuers.find((i) => i.loginUrl)?.loginUrl;
  return {
    levels: unmet.map((v) => ({ policy: v.policy.id, level: v.level?.name ?? '' })),
    acrValues,
    ...(ages.length > 0 ? { maxAgeSeconds: Math.min(...ages) } : {}),
    ...(loginUrl ? { loginUrl } : {}),
    ...(endpoint?.authorizationEndpoint
      ? { authorizationEndpoint: { url: endpoint.authorizationEndpoint, ...(endpoint.clientId ? { clientId: endpoint.clientId } : {}), ...(endpoint.redirectUri ? { redirectUri: endpoint.redirectUri } : {}) } }
      : {}),
  };
}

type Combined =
  | { outcome: 'allow'; reason: 'no_rule_matched' | 'requirements_met' | 'anonymous_allowed' }
  | { outcome: 'challenge'; reason: ChallengeReason; requirement: Requirement }
  | { outcome: 'deny'; reason: DenyReason };

/** Deny wins; otherwise every unmet requirement is asked for at once. Order never matters. */
function combine(verdicts: readonly PolicyVerdict[], input: DecisionInput): Combined {
  const { identity } = input;
  const assessments = verdicts.map((v) => assess(v, input));
  const denials = assessments.flatMap((a) => (a.kind === 'deny' ? [a.reason] : []));
  if (denials.length > 0) {
    return { outcome: 'deny', reason: DENY_ORDER.find((r) => denials.includes(r)) as DenyReason };
  }
  const unmet = assessments.flatMap((a) => (a.kind === 'unmet' ? [a] : []));
  if (unmet.length > 0) {
    const reason = REASON_ORDER.find((r) => unmet.some((u) => u.reason === r)) as ChallengeReason;
    return { outcome: 'challenge', reason, requirement: mergeRequirements(unmet.map((u) => u.verdict)) };
  }
  if (!verdicts.some((v) => v.hits.length > 0)) return { outcome: 'allow', reason: 'no_rule_matched' };
  const requiredButAnonymous = identity.kind !== 'verified' && verdicts.some((v) => v.level);
  return { outcome: 'allow', reason: requiredButAnonymous ? 'anonymous_allowed' : 'requirements_met' };
}

function levelMet(verdicts: readonly PolicyVerdict[], identity: Identity): string | undefined {
  const governing = verdicts.find((v) => v.level && acceptsToken(v.policy, identity)) ?? verdicts.find((v) => acceptsToken(v.policy, identity));
  return governing ? strongestLevelMet(governing.policy.levels, identity)?.name : undefined;
}

/** Decides one request. */
export function decide(input: DecisionInput): Decision {
  const { identity } = input;
  if (identity.kind === 'rejected') {
    return { outcome: identity.error, reason: identity.reason, description: identity.description, hits: [] };
  }
  if (identity.kind === 'unavailable') {
    return { outcome: 'unavailable', reason: identity.reason, description: identity.description, hits: [] };
  }
  const who = identity.kind === 'verified' ? identity.identity : null;
  const verdicts = input.policies.map((p) => evaluatePolicy(p, input, who));
  const enforced = verdicts.filter((v) => v.policy.mode === 'Enforce');
  const hits = verdicts.flatMap((v) => v.hits);
  const result = combine(enforced, input);
  const dryRunFired = verdicts.some((v) => v.policy.mode === 'DryRun' && v.hits.length > 0);
  const would = dryRunFired ? combine(verdicts, input) : undefined;
  const dryRun = would ? { dryRun: { outcome: would.outcome, reason: would.reason } } : {};
  if (result.outcome === 'allow' && who) {
    const met = levelMet(enforced, who);
    return { ...result, hits, ...dryRun, ...(met ? { levelMet: met } : {}) };
  }
  return { ...result, hits, ...dryRun };
}
