// Builds the runtime (policies + token verifier) that the Check pipeline reads.
import type { PolicySet } from '../common/policy/policy-set.js';
import type { PolicyRuntime } from './check-service.js';
import type { JwksRegistry } from './identity/jwks-registry.js';
import { TokenVerifier, type VerifierOptions } from './identity/token-verifier.js';

export function buildRuntime(set: PolicySet, jwks: JwksRegistry, opts: VerifierOptions, nowMs: () => number): PolicyRuntime {
  jwks.prefetch(set.issuers.values());
  return Object.freeze({ set, verifier: new TokenVerifier(set.issuers, jwks.get, opts, nowMs) });
}
