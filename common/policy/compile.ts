// Compiles validated StepUpPolicy documents into what the request path reads:
// precompiled matchers, CEL programs and an ordered level ladder. The result
// is immutable; the request path never looks at the raw documents.
import { createHash } from 'node:crypto';
import { compileWhen, type WhenProgram } from '../cel.js';
import { parseDurationSeconds } from '../duration.js';
import { compileHostPattern, compilePathGlob } from './path-glob.js';
import type { IpListSpec, IssuerSpec, LabelSelector, MissingTokenAction, PolicyMode, RuleAction, StepUpPolicy } from './types.js';

export interface CompiledLevel {
  readonly name: string;
  /** Position in the ladder, 0 = weakest. */
  readonly rank: number;
  readonly acr: readonly string[];
  /** acr values of this level and every stronger one: any of them meets this level's acr part. */
  readonly acrAtOrAbove: ReadonlySet<string>;
  readonly amrAnyOf?: readonly string[];
  readonly amrAllOf?: readonly string[];
}

export interface MatchableRequest {
  method: string;
  path: string;
  host: string;
}

export interface CompiledRule {
  readonly name: string;
  readonly action: RuleAction;
  readonly matches: (req: MatchableRequest) => boolean;
  readonly when?: WhenProgram;
  readonly whenText?: string;
  /** True when the rule needs signals (`when` mentions them, or afterRisk / singleUse), so the request path knows whether to gather them. */
  readonly readsSignals: boolean;
  /** True when `when` reads signals kept in the signal store (anything but signals.ip and signals.geo). */
  readonly readsStoredSignals: boolean;
  /** require.afterRisk: auth_time must not be before signals.riskSince. */
  readonly afterRisk: boolean;
  /** require.singleUse: the token's jti may pass once. */
  readonly singleUse: boolean;
  readonly level?: CompiledLevel;
  readonly maxAgeSeconds?: number;
}

export interface CompiledPolicy {
  /** `namespace/name`. */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  /** Content hash of the spec. */
  readonly version: string;
  readonly mode: PolicyMode;
  readonly selector?: LabelSelector;
  readonly issuers: readonly IssuerSpec[];
  readonly levels: readonly CompiledLevel[];
  readonly rules: readonly CompiledRule[];
  readonly onMissingToken: MissingTokenAction;
  readonly ipLists: readonly IpListSpec[];
  /** Where device ids come from, and the level that makes a device trusted. */
  readonly devices?: { readonly header: string; readonly cookie?: string; readonly trustLevel: CompiledLevel };
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A short, stable content hash of any JSON value. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

function compileLevels(policy: StepUpPolicy): CompiledLevel[] {
  const specs = policy.spec.levels ?? [];
  return specs.map((level, rank) => ({
    name: level.name,
    rank,
    acr: [...level.acr],
    acrAtOrAbove: new Set(specs.slice(rank).flatMap((l) => l.acr)),
    ...(level.amr?.anyOf ? { amrAnyOf: [...level.amr.anyOf] } : {}),
    ...(level.amr?.allOf ? { amrAllOf: [...level.amr.allOf] } : {}),
  }));
}

function compileMatch(match: StepUpPolicy['spec']['rules'][number]['match']): (req: MatchableRequest) => boolean {
  const methods = match.methods ? new Set(match.methods) : undefined;
  const hosts = match.hosts?.map(compileHostPattern);
  const paths = match.paths?.map(compilePathGlob);
  return (req) =>
    (!methods || methods.has(req.method)) &&
    (!hosts || hosts.some((h) => h(req.host))) &&
    (!paths || paths.some((p) => p.test(req.path)));
}

const LOCAL_SIGNALS = /\bsignals\s*\.\s*(ip|geo)\b/g;

/** Whether a condition reads `signals`, and whether it reads any beyond ip and geo (computed without the store). */
function signalReads(when: string | undefined): { any: boolean; stored: boolean } {
  if (when === undefined) return { any: false, stored: false };
  return { any: /\bsignals\b/.test(when), stored: /\bsignals\b/.test(when.replace(LOCAL_SIGNALS, '')) };
}

function compileDevices(policy: StepUpPolicy, levels: readonly CompiledLevel[]): CompiledPolicy['devices'] {
  const spec = policy.spec.devices;
  if (!spec) return undefined;
  const trustLevel = levels.find((l) => l.name === spec.trustLevel);
  if (!trustLevel) throw new Error(`devices.trustLevel "${spec.trustLevel}" is not in spec.levels`);
  return { header: (spec.header ?? 'x-device-id').toLowerCase(), ...(spec.cookie ? { cookie: spec.cookie } : {}), trustLevel };
}

/** Compiles one validated policy. Throws when something only compilation can tell is wrong. */
export function compilePolicy(policy: StepUpPolicy): CompiledPolicy {
  const levels = compileLevels(policy);
  const rules = policy.spec.rules.map((rule): CompiledRule => {
    const level = rule.require ? levels.find((l) => l.name === rule.require?.level) : undefined;
    if (rule.require && !level) throw new Error(`rule ${rule.name}: level "${rule.require.level}" is not in spec.levels`);
    const reads = signalReads(rule.when);
    const afterRisk = rule.require?.afterRisk === true;
    const singleUse = rule.require?.singleUse === true;
    return {
      name: rule.name,
      action: rule.action ?? 'StepUp',
      matches: compileMatch(rule.match),
      ...(rule.when !== undefined ? { when: compileWhen(rule.when), whenText: rule.when } : {}),
      readsSignals: reads.any || afterRisk || singleUse,
      readsStoredSignals: reads.stored,
      afterRisk,
      singleUse,
      ...(level ? { level } : {}),
      ...(rule.require?.maxAge ? { maxAgeSeconds: parseDurationSeconds(rule.require.maxAge) } : {}),
    };
  });
  const namespace = policy.metadata.namespace ?? 'default';
  const devices = compileDevices(policy, levels);
  return Object.freeze({
    id: `${namespace}/${policy.metadata.name}`,
    namespace,
    name: policy.metadata.name,
    version: contentHash(policy.spec),
    mode: policy.spec.mode ?? 'Enforce',
    ...(policy.spec.selector ? { selector: policy.spec.selector } : {}),
    issuers: policy.spec.issuers ?? [],
    levels,
    rules,
    onMissingToken: policy.spec.defaults?.onMissingToken ?? 'Challenge',
    ipLists: policy.spec.ipLists ?? [],
    ...(devices ? { devices } : {}),
  });
}
