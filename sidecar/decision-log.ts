// The evidence of one decision: what the log line and the metrics record.
// Never the token, never a cookie or a raw header value.
import type { Logger } from 'pino';
import type { Decision, IdentityResult, RequestAttributes } from './decision/types.js';
import type { PolicySet } from '../common/policy/policy-set.js';
import type { Metrics } from './metrics.js';

export interface DecisionRecord {
  decisionId: string;
  request: RequestAttributes | undefined;
  identity: IdentityResult | undefined;
  decision: Decision;
  policySet: PolicySet | undefined;
  /** The signals summary (fingerprints and derived values), when signals were gathered. */
  signals?: Readonly<Record<string, unknown>> | undefined;
  status: number;
  latencyMs: number;
}

function identitySummary(identity: IdentityResult | undefined): Record<string, unknown> | undefined {
  if (!identity) return undefined;
  if (identity.kind !== 'verified') return { kind: identity.kind, ...('reason' in identity ? { reason: identity.reason } : {}) };
  const id = identity.identity;
  return { kind: 'verified', iss: id.issuer, sub: id.subject, acr: id.acr, amr: id.amr, auth_time: id.authTime, exp: id.expiresAt };
}

function firedConditions(record: DecisionRecord): { policy: string; rule: string; when?: string; error?: string }[] {
  const byId = new Map(record.policySet?.policies.map((p) => [p.id, p]) ?? []);
  return record.decision.hits.map((h) => {
    const rule = byId.get(h.policy)?.rules.find((r) => r.name === h.rule);
    return { policy: h.policy, rule: h.rule, ...(rule?.whenText ? { when: rule.whenText } : {}), ...(h.error ? { error: h.error } : {}) };
  });
}

/** The fields of the decision log line. */
export function decisionLogFields(record: DecisionRecord): Record<string, unknown> {
  const d = record.decision;
  const req = record.request;
  return {
    decision_id: record.decisionId,
    request_id: req?.id,
    outcome: d.outcome,
    reason: d.reason,
    status: record.status,
    latency_ms: Math.round(record.latencyMs * 1000) / 1000,
    request: req ? { method: req.method, host: req.host, path: req.path, source: req.sourceAddress, body: req.bodyState } : undefined,
    policies: record.policySet ? { version: record.policySet.version, each: record.policySet.policies.map((p) => `${p.id}@${p.version}`) } : undefined,
    rules: d.hits.map((h) => `${h.policy}/${h.rule}${h.dryRun ? ' (dry-run)' : ''}`),
    triggers: firedConditions(record),
    requirement: d.outcome === 'challenge' ? d.requirement : undefined,
    level_met: d.outcome === 'allow' ? d.levelMet : undefined,
    dry_run: d.dryRun,
    identity: identitySummary(record.identity),
    signals: record.signals,
    ...('description' in d ? { description: d.description } : {}),
  };
}

export type DecisionWriter = (record: DecisionRecord) => void;

/**
 * Writes each decision as pino's own line for log.info(fields, 'decision')
 * ({"level":30,"time":…, base fields, the decision fields, "msg":"decision"}),
 * straight to the logger's destination: one JSON.stringify per line where
 * pino serializes field by field and builds more strings on the way. Skipped
 * when the level is above info; a line JSON.stringify cannot write goes
 * through pino instead.
 */
export function decisionWriter(log: Logger, destination: { write(line: string): unknown }, base: Readonly<Record<string, unknown>>): DecisionWriter {
  return (record) => {
    if (!log.isLevelEnabled('info')) return;
    const fields = decisionLogFields(record);
    let line: string;
    try {
      line = JSON.stringify({ level: 30, time: Date.now(), ...base, ...fields, msg: 'decision' });
    } catch {
      log.info(fields, 'decision');
      return;
    }
    destination.write(`${line}\n`);
  };
}

export function recordMetrics(metrics: Metrics, record: DecisionRecord): void {
  const d = record.decision;
  metrics.decisions.inc({ outcome: d.outcome, reason: d.reason });
  metrics.latency.observe({ outcome: d.outcome }, record.latencyMs / 1000);
  for (const h of d.hits) {
    if (h.dryRun) metrics.dryRun.inc({ policy: h.policy, rule: h.rule, would: d.dryRun?.outcome ?? d.outcome });
    else metrics.ruleHits.inc({ policy: h.policy, rule: h.rule, action: h.action });
    if (h.error) metrics.celErrors.inc({ policy: h.policy, rule: h.rule });
  }
}
