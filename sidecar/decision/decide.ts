// The step-up decision: a pure function of the request, the verified identity,
// the risk signals, the compiled policies and the clock. No I/O, no throwing.
import type { CompiledLevel, CompiledPolicy } from '../../common/policy/compile.js';
import { policyIssuer } from '../../common/policy/policy-set.js';
import { firstLine } from '../../common/cel.js';
import { freshEnough, meetsLevel, strongestLevelMet } from './levels.js';
import type { ChallengeReason, Decision, DecisionInput, Identity, IdentityResult, Requirement, RuleHit } from './types.js';

/** What one policy's fired rules ask for. */
interface PolicyVerdict {
  readonly policy: CompiledPolicy;
  readonly hits: RuleHit[];
  readonly deny: boolean;
  readonly level?: CompiledLevel;
  readonly maxAgeSeconds?: number;
}

type Assessment = { kind: 'met' } | { kind: 'deny' } | { kind: 'unmet'; reason: ChallengeReason; verdict: PolicyVerdict };

function evaluatePolicy(policy: CompiledPolicy, input: DecisionInput, identity: Identity | null): PolicyVerdict {
  const hits: RuleHit[] = [];
  let deny = false;
  let level: CompiledLevel | undefined;
  let maxAgeSeconds: number | undefined;
  const ctx = { request: input.request as unknown as Record<string, unknown>, identity: identity ? (identity.claims as Record<string, unknown>) : null, route: input.request.route as Record<string, string>, signals: input.signals };
  for (const rule of policy.rules) {
    if (!rule.matches(input.request)) continue;
    let error: string | undefined;
    if (rule.when) {
      try {
        if (!rule.when(ctx)) continue;
      } catch (err) {
        error = firstLine((err as Error).message); // fail closed: the rule fires
      }
    }
    hits.push({ policy: policy.id, rule: rule.name, action: rule.action, dryRun: policy.mode === 'DryRun', ...(error ? { error } : {}) });
    if (rule.action === 'Deny') deny = true;
    if (rule.action !== 'StepUp' || !rule.level) continue;
    if (!level || rule.level.rank > level.rank) level = rule.level;
    if (rule.maxAgeSeconds !== undefined) maxAgeSeconds = Math.min(maxAgeSeconds ?? Infinity, rule.maxAgeSeconds);
  }
  return { policy, hits, deny, ...(level ? { level } : {}), ...(maxAgeSeconds !== undefined ? { maxAgeSeconds } : {}) };
}

function acceptsToken(policy: CompiledPolicy, identity: Identity): boolean {
  const issuer = policyIssuer(policy, identity.issuer);
  return issuer !== undefined && identity.audiences.some((a) => issuer.audiences.includes(a));
}

function assess(verdict: PolicyVerdict, identity: IdentityResult, now: number): Assessment {
  if (verdict.deny) return { kind: 'deny' };
  if (!verdict.level) return { kind: 'met' };
  if (identity.kind !== 'verified') {
    const action = verdict.policy.onMissingToken;
    if (action === 'Allow') return { kind: 'met' };
    return action === 'Deny' ? { kind: 'deny' } : { kind: 'unmet', reason: 'token_missing', verdict };
  }
  const who = identity.identity;
  if (!acceptsToken(verdict.policy, who)) return { kind: 'unmet', reason: 'token_not_accepted', verdict };
  if (!meetsLevel(verdict.level, who)) return { kind: 'unmet', reason: 'insufficient_level', verdict };
  if (verdict.maxAgeSeconds !== undefined && !freshEnough(who, verdict.maxAgeSeconds, now)) {
    return { kind: 'unmet', reason: 'stale_authentication', verdict };
  }
  return { kind: 'met' };
}

const REASON_ORDER: readonly ChallengeReason[] = ['token_missing', 'token_not_accepted', 'insufficient_level', 'stale_authentication'];

function mergeRequirements(unmet: readonly PolicyVerdict[]): Requirement {
  const acrValues = [...new Set(unmet.flatMap((v) => v.level?.acr ?? []))];
  const ages = unmet.flatMap((v) => (v.maxAgeSeconds !== undefined ? [v.maxAgeSeconds] : []));
  const endpoint = unmet.flatMap((v) => v.policy.issuers).find((i) => i.authorizationEndpoint);
  return {
    levels: unmet.map((v) => ({ policy: v.policy.id, level: v.level?.name ?? '' })),
    acrValues,
    ...(ages.length > 0 ? { maxAgeSeconds: Math.min(...ages) } : {}),
    ...(endpoint?.authorizationEndpoint
      ? { authorizationEndpoint: { url: endpoint.authorizationEndpoint, ...(endpoint.clientId ? { clientId: endpoint.clientId } : {}), ...(endpoint.redirectUri ? { redirectUri: endpoint.redirectUri } : {}) } }
      : {}),
  };
}

type Combined =
  | { outcome: 'allow'; reason: 'no_rule_matched' | 'requirements_met' | 'anonymous_allowed' }
  | { outcome: 'challenge'; reason: ChallengeReason; requirement: Requirement }
  | { outcome: 'deny'; reason: 'deny_rule' | 'missing_token_denied' };

/** Deny wins; otherwise every unmet requirement is asked for at once. Order never matters. */
function combine(verdicts: readonly PolicyVerdict[], identity: IdentityResult, now: number): Combined {
  const assessments = verdicts.map((v) => assess(v, identity, now));
  if (assessments.some((a) => a.kind === 'deny')) {
    return { outcome: 'deny', reason: verdicts.some((v) => v.deny) ? 'deny_rule' : 'missing_token_denied' };
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
  const result = combine(enforced, identity, input.now);
  const dryRunFired = verdicts.some((v) => v.policy.mode === 'DryRun' && v.hits.length > 0);
  const would = dryRunFired ? combine(verdicts, identity, input.now) : undefined;
  const dryRun = would ? { dryRun: { outcome: would.outcome, reason: would.reason } } : {};
  if (result.outcome === 'allow' && who) {
    const met = levelMet(enforced, who);
    return { ...result, hits, ...dryRun, ...(met ? { levelMet: met } : {}) };
  }
  return { ...result, hits, ...dryRun };
}
