// A policy set: the compiled policies one workload enforces, plus the issuers
// they trust, checked for consistency before it is used.
import { compilePolicy, contentHash, type CompiledPolicy } from './compile.js';
import type { IssuerSpec, StepUpPolicy } from './types.js';

export interface IssuerConfig {
  readonly issuer: string;
  readonly jwksUri: string;
  /** Union of every policy's audiences for this issuer (each policy still checks its own). */
  readonly audiences: readonly string[];
  readonly algorithms: readonly string[];
}

export interface PolicySet {
  readonly policies: readonly CompiledPolicy[];
  readonly issuers: ReadonlyMap<string, IssuerConfig>;
  /** Content hash over every policy's version. */
  readonly version: string;
  /** Any rule's condition reads `signals`. */
  readonly readsSignals: boolean;
  /** Any rule's condition reads `request.body`: only then is a JSON body parsed. */
  readonly readsBody: boolean;
}

export const DEFAULT_ALGORITHMS = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'] as const;

function mergeIssuers(policies: readonly CompiledPolicy[]): Map<string, IssuerConfig> {
  const issuers = new Map<string, IssuerConfig>();
  for (const policy of policies) {
    for (const spec of policy.issuers) {
      const algorithms = spec.algorithms ?? [...DEFAULT_ALGORITHMS];
      const prior = issuers.get(spec.issuer);
      if (prior && prior.jwksUri !== spec.jwksUri) {
        throw new Error(`issuer ${spec.issuer} has jwksUri ${spec.jwksUri} in ${policy.id} but ${prior.jwksUri} elsewhere`);
      }
      issuers.set(spec.issuer, {
        issuer: spec.issuer,
        jwksUri: spec.jwksUri,
        audiences: [...new Set([...(prior?.audiences ?? []), ...spec.audiences])],
        algorithms: prior ? prior.algorithms.filter((a) => algorithms.includes(a)) : algorithms,
      });
    }
  }
  return issuers;
}

/** The version of a set holding these policies (`[id, policy version]` pairs, any order). */
export function policySetVersion(entries: readonly (readonly [string, string])[]): string {
  return contentHash([...entries].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([id, version]) => [id, version]));
}

/** Compiles validated policies into a set. Throws on inconsistencies across policies. */
export function buildPolicySet(docs: readonly StepUpPolicy[]): PolicySet {
  return assemblePolicySet(docs.map(compilePolicy));
}

/** Makes a set of already compiled policies. Throws on inconsistencies across policies. */
export function assemblePolicySet(compiled: readonly CompiledPolicy[]): PolicySet {
  const policies = [...compiled].sort((a, b) => (a.id < b.id ? -1 : 1));
  return Object.freeze({
    policies,
    issuers: mergeIssuers(policies),
    version: policySetVersion(policies.map((p) => [p.id, p.version])),
    readsSignals: policies.some((p) => p.rules.some((r) => r.readsSignals)),
    readsBody: policies.some((p) => p.rules.some((r) => r.readsBody)),
  });
}

/** The issuer entry a policy keeps for `iss`, if it trusts that issuer. */
export function policyIssuer(policy: CompiledPolicy, iss: string): IssuerSpec | undefined {
  return policy.issuers.find((i) => i.issuer === iss);
}
