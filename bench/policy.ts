// W1's policy: one StepUpPolicy with 20 rules, each with a CEL `when`, in the
// mix a payments API would have: paths and methods, body amounts, route
// context_extensions, identity claims and risk signals.
//
// For the bench request (POST /v1/transfers, amount 250, production/financial
// route, acr "2"), 8 rules match by method and path, so 8 conditions are
// evaluated; one fires (transfers-in-production, level mfa), and the token
// meets it: the answer is an allow with trusted headers, the common case.
// maxAge of that rule is 12h so a long run never turns it into a challenge.
import { stringify } from 'yaml';
import { compilePolicy, type MatchableRequest } from '../common/policy/compile.js';
import type { RuleSpec, StepUpPolicy } from '../common/policy/types.js';

type Rule = RuleSpec & { when: string };

const WRITE = ['POST', 'PUT', 'PATCH', 'DELETE'];

export const BENCH_RULES: Rule[] = [
  { name: 'large-transfer', match: { methods: ['POST'], paths: ['/v1/transfers', '/v1/transfers/**'] }, when: 'request.body.amount > 10000 || signals.ip.flagged', require: { level: 'mfa', maxAge: '5m' } },
  { name: 'transfer-from-new-device', match: { methods: ['POST'], paths: ['/v1/transfers', '/v1/transfers/**'] }, when: '!signals.device.known && request.body.amount > 1000', require: { level: 'mfa', maxAge: '15m' } },
  { name: 'transfers-in-production', match: { methods: ['POST'], paths: ['/v1/transfers'] }, when: 'route.environment == "production" && route.dataClass == "financial"', require: { level: 'mfa', maxAge: '12h' } },
  { name: 'foreign-currency', match: { methods: ['POST'], paths: ['/v1/transfers'] }, when: 'has(request.body.currency) && request.body.currency != "EUR" && request.body.amount > 500', require: { level: 'mfa', maxAge: '1h' } },
  { name: 'new-country-transfer', match: { methods: ['POST'], paths: ['/v1/transfers', '/v1/transfers/**'] }, when: 'signals.activity.newCountry && request.body.amount > 100', require: { level: 'mfa', maxAge: '1h' } },
  { name: 'high-risk-score', match: { paths: ['/v1/**'] }, when: 'signals.risk.score > 70', require: { level: 'mfa', maxAge: '5m' } },
  { name: 'impossible-travel', match: { paths: ['/v1/**'] }, when: 'signals.travel.impossible', action: 'Deny' },
  { name: 'burst-of-activity', match: { paths: ['/v1/**'] }, when: 'signals.activity.rate > 100 && route.environment == "production"', require: { level: 'mfa', maxAge: '10m' } },
  { name: 'batch-transfers', match: { methods: ['POST'], paths: ['/v1/transfers/batch'] }, when: 'size(request.body.items) > 10', require: { level: 'phishing-resistant', maxAge: '10m' } },
  { name: 'payouts', match: { methods: ['POST'], paths: ['/v1/payouts', '/v1/payouts/**'] }, when: 'request.body.amount >= 5000', require: { level: 'phishing-resistant', maxAge: '10m' } },
  { name: 'beneficiaries', match: { methods: WRITE, paths: ['/v1/beneficiaries/**'] }, when: 'route.environment != "development"', require: { level: 'mfa', maxAge: '30m' } },
  { name: 'close-account', match: { methods: ['DELETE'], paths: ['/v1/accounts/*'] }, when: 'route.dataClass == "financial"', require: { level: 'phishing-resistant', maxAge: '5m' } },
  { name: 'card-limits', match: { methods: ['PATCH', 'PUT'], paths: ['/v1/cards/*/limits'] }, when: 'has(request.body.dailyLimit) && request.body.dailyLimit > 2000', require: { level: 'mfa', maxAge: '15m' } },
  { name: 'api-keys', match: { methods: ['POST'], paths: ['/v1/api-keys'] }, when: 'identity == null || !("hwk" in identity.amr)', require: { level: 'phishing-resistant', maxAge: '15m' } },
  { name: 'export-from-flagged', match: { paths: ['/v1/export/**'] }, when: 'signals.ip.flagged || "tor-exit" in signals.ip.lists', action: 'Deny' },
  { name: 'export-sensitive', match: { methods: ['GET'], paths: ['/v1/export/**'] }, when: 'route.dataClass in ["pii", "financial"]', require: { level: 'mfa', maxAge: '1h' } },
  { name: 'statements-pdf', match: { methods: ['GET'], paths: ['/v1/statements/**'] }, when: 'has(request.query.format) && request.query.format == "pdf"', require: { level: 'basic' } },
  { name: 'change-email', match: { methods: ['POST', 'PUT'], paths: ['/v1/profile/email'] }, when: 'route.environment == "production"', require: { level: 'mfa', maxAge: '15m' } },
  { name: 'admin', match: { paths: ['/admin/**'] }, when: 'route.environment == "production" || signals.risk.score > 20', require: { level: 'phishing-resistant', maxAge: '15m' } },
  { name: 'internal-only', match: { paths: ['/internal/**'] }, when: '!("x-internal-caller" in request.headers)', action: 'Deny' },
];

export const AUDIENCE = 'payments-api';

/** The policy document for an issuer at `issuerUrl` serving its JWKS at `jwksUri`. */
export function benchPolicy(issuerUrl: string, jwksUri: string): StepUpPolicy {
  return {
    apiVersion: 'stepup.dev/v1alpha1',
    kind: 'StepUpPolicy',
    metadata: { name: 'payments-bench', namespace: 'shop' },
    spec: {
      mode: 'Enforce',
      issuers: [{ issuer: issuerUrl, jwksUri, audiences: [AUDIENCE], algorithms: ['ES256'] }],
      levels: [
        { name: 'basic', acr: ['1', 'urn:example:loa:1'] },
        { name: 'mfa', acr: ['2', 'urn:example:loa:2'] },
        { name: 'phishing-resistant', acr: ['3'], amr: { anyOf: ['hwk'] } },
      ],
      rules: BENCH_RULES,
      defaults: { onMissingToken: 'Challenge' },
    },
  };
}

export function benchPolicyYaml(issuerUrl: string, jwksUri: string): string {
  return stringify(benchPolicy(issuerUrl, jwksUri));
}

/** How many rules match a request by method, host and path (their `when` is then evaluated), per the real compiler. */
export function rulesMatching(request: MatchableRequest): number {
  return compilePolicy(benchPolicy('http://127.0.0.1:1', 'http://127.0.0.1:1/jwks')).rules.filter((r) => r.matches(request)).length;
}
