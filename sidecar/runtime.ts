// Builds the runtime (policies + token verifier + signal setup) that the Check pipeline reads.
import type { PolicySet } from '../common/policy/policy-set.js';
import type { PolicyRuntime } from './check-service.js';
import { buildSignalSetup } from './signals/signal-setup.js';
import type { JwksRegistry } from './identity/jwks-registry.js';
import { TokenVerifier, type VerifierOptions } from './identity/token-verifier.js';

/** Throws when the set's signal setup cannot be built (e.g. an IP list file is missing): the set is not used. */
export function buildRuntime(set: PolicySet, jwks: JwksRegistry, opts: VerifierOptions, nowMs: () => number, listBase: string): PolicyRuntime {
  const signals = buildSignalSetup(set, listBase);
  jwks.prefetch(set.issuers.values());
  return Object.freeze({ set, verifier: new TokenVerifier(set.issuers, jwks.get, opts, nowMs), signals });
}
