// Prometheus metrics of the sidecar, on a registry of its own.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly decisions: Counter<'outcome' | 'reason'>;
  readonly ruleHits: Counter<'policy' | 'rule' | 'action'>;
  readonly dryRun: Counter<'policy' | 'rule' | 'would'>;
  readonly celErrors: Counter<'policy' | 'rule'>;
  readonly latency: Histogram<'outcome'>;
  readonly jwksFetches: Counter<'jwks_uri' | 'result'>;
  readonly policyReloads: Counter<'result'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'stepup_sidecar_' });
  return {
    registry,
    decisions: new Counter({ name: 'stepup_decisions_total', help: 'Decisions by outcome and reason.', labelNames: ['outcome', 'reason'], registers: [registry] }),
    ruleHits: new Counter({ name: 'stepup_rule_hits_total', help: 'Enforced rules that fired, by policy, rule and action.', labelNames: ['policy', 'rule', 'action'], registers: [registry] }),
    dryRun: new Counter({ name: 'stepup_dryrun_rule_hits_total', help: 'DryRun rules that fired, with the outcome the decision would have had.', labelNames: ['policy', 'rule', 'would'], registers: [registry] }),
    celErrors: new Counter({ name: 'stepup_cel_errors_total', help: 'Rule conditions that failed to evaluate (the rule fired: fail closed).', labelNames: ['policy', 'rule'], registers: [registry] }),
    latency: new Histogram({
      name: 'stepup_decision_duration_seconds',
      help: 'Time from receiving a Check to answering it.',
      labelNames: ['outcome'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [registry],
    }),
    jwksFetches: new Counter({ name: 'stepup_jwks_fetches_total', help: 'JWKS fetch attempts by URI and result.', labelNames: ['jwks_uri', 'result'], registers: [registry] }),
    // Every worker of a --workers sidecar loads the same files: the aggregate shows one worker's count, not their sum.
    policyReloads: new Counter({ name: 'stepup_policy_reloads_total', help: 'Policy (re)loads by result.', labelNames: ['result'], registers: [registry], aggregator: 'max' }),
  };
}
