// Test fixtures for the controller's unit tests: policy objects as the API
// server returns them, and snapshots.
import type { PolicyObject } from '../policy/policy-store.js';

export function policyObject(name: string, opts: { namespace?: string; uid?: string; generation?: number; app?: string; paths?: string[]; when?: string; jwksUri?: string } = {}): PolicyObject {
  const rules: Record<string, unknown>[] = (opts.paths ?? ['/admin']).map((p, i) => ({ name: `r${i}`, match: { paths: [`${p}/**`] }, action: 'Deny', ...(opts.when ? { when: opts.when } : {}) }));
  const spec: Record<string, unknown> = { ...(opts.app ? { selector: { matchLabels: { app: opts.app } } } : {}), rules };
  if (opts.jwksUri) {
    spec.issuers = [{ issuer: 'https://idp.example.com', jwksUri: opts.jwksUri, audiences: ['api'] }];
  }
  return {
    apiVersion: 'stepup.dev/v1alpha1',
    kind: 'StepUpPolicy',
    metadata: { name, namespace: opts.namespace ?? 'shop', uid: opts.uid ?? `uid-${name}`, generation: opts.generation ?? 1 },
    spec,
  };
}
