// The StepUpPolicy CRD on a real kube-apiserver (reliability item 13): it is
// accepted (CEL cost estimates included), refuses the mistakes its schema and
// CEL rules can see at apply time, and shows its printer columns.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../common/package-root.js';
import { kubeUp, type KubeEnv } from '../harness/kube.js';
import { createNamespace } from './support/kube-stack.js';

let kube: KubeEnv;
beforeAll(async () => {
  kube = await kubeUp();
  await kube.kubectl(['apply', '-f', join(packageRoot(), 'deploy', 'crds')]);
  await kube.kubectl(['wait', '--for=condition=Established', 'crd/stepuppolicies.stepup.dev', '--timeout=30s']);
  await createNamespace(kube, 'shop');
});
afterAll(async () => kube?.down());

const policy = (spec: string) => `apiVersion: stepup.dev/v1alpha1\nkind: StepUpPolicy\nmetadata: {name: probe, namespace: shop}\nspec:\n${spec}`;
const ISSUER = '  issuers: [{issuer: "https://idp.example.com", jwksUri: "https://idp.example.com/jwks", audiences: [api]}]\n';
const LEVELS = '  levels: [{name: mfa, acr: ["2"]}]\n';

describe('the CRD on the API server', () => {
  it('deploy/crds holds exactly the chart CRD', () => {
    const chart = readFileSync(join(packageRoot(), 'charts', 'stepup', 'files', 'crd-stepuppolicies.yaml'), 'utf8');
    const plain = readFileSync(join(packageRoot(), 'deploy', 'crds', 'stepuppolicies.stepup.dev.yaml'), 'utf8');
    expect(plain).toBe(chart);
  });

  it('is established with its short name and category', async () => {
    const out = await kube.kubectl(['api-resources', '--api-group', 'stepup.dev', '--no-headers']);
    expect(out).toMatch(/stepuppolicies\s+sup\s+stepup\.dev\/v1alpha1\s+true\s+StepUpPolicy/);
  });

  it('the example policy is accepted, defaults filled in', async () => {
    await kube.kubectl(['apply', '-f', join(packageRoot(), 'deploy', 'examples', 'payments.yaml')]);
    const mode = await kube.kubectl(['get', 'sup', '-n', 'shop', 'payments', '-o', 'jsonpath={.spec.mode}/{.spec.defaults.onMissingToken}']);
    expect(mode).toBe('Enforce/Challenge');
  });

  it.each([
    ['a rule naming a missing level', `${ISSUER}${LEVELS}  rules: [{name: r, match: {paths: ["/x"]}, require: {level: nope}}]\n`, /every rule's require.level must name a level in spec.levels/],
    ['a bad duration', `${ISSUER}${LEVELS}  rules: [{name: r, match: {paths: ["/x"]}, require: {level: mfa, maxAge: 5 minutes}}]\n`, /maxAge.*should match/],
    ['an empty match', '  rules: [{name: r, match: {}, action: Deny}]\n', /match.*at least 1 properties/],
    ['an empty path list', '  rules: [{name: r, match: {paths: []}, action: Deny}]\n', /paths.*at least 1 items/],
    ['a StepUp rule without require', '  rules: [{name: r, match: {paths: ["/x"]}}]\n', /a StepUp rule needs require/],
    ['a Deny rule with require', `${ISSUER}${LEVELS}  rules: [{name: r, match: {paths: ["/x"]}, action: Deny, require: {level: mfa}}]\n`, /Deny and Allow rules take none/],
    ['StepUp rules and no issuer', `${LEVELS}  rules: [{name: r, match: {paths: ["/x"]}, require: {level: mfa}}]\n`, /needs at least one issuer/],
    ['a plain-http JWKS on a remote host', '  issuers: [{issuer: x, jwksUri: "http://idp.example.com/jwks", audiences: [a]}]\n  rules: [{name: r, match: {paths: ["/x"]}, action: Deny}]\n', /jwksUri must use https/],
    ['duplicate rule names', '  rules: [{name: r, match: {paths: ["/x"]}, action: Deny}, {name: r, match: {paths: ["/y"]}, action: Deny}]\n', /Duplicate value/],
    ['an unknown mode', '  mode: Audit\n  rules: [{name: r, match: {paths: ["/x"]}, action: Deny}]\n', /Unsupported value: "Audit"/],
    ['In without values', '  selector: {matchExpressions: [{key: app, operator: In}]}\n  rules: [{name: r, match: {paths: ["/x"]}, action: Deny}]\n', /In and NotIn need values/],
  ])('refuses %s at apply time', async (_what, spec, message) => {
    const r = await kube.run(['apply', '-f', '-'], policy(spec));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it('lets through what only the controller can tell (a CEL typo in when)', async () => {
    const r = await kube.run(['apply', '-f', '-'], policy('  rules: [{name: r, match: {paths: ["/x"]}, when: "signals.ip.flaged", action: Deny}]\n'));
    expect(r.code).toBe(0);
    await kube.kubectl(['delete', 'sup', '-n', 'shop', 'probe']);
  });

  it('prints mode, accepted, enforced, sidecars in sync and age', async () => {
    const out = await kube.kubectl(['get', 'sup', '-n', 'shop']);
    expect(out.split('\n')[0]).toMatch(/^NAME\s+MODE\s+ACCEPTED\s+ENFORCED\s+IN-SYNC\s+AGE/);
  });

  it('documents its fields for kubectl explain', async () => {
    const out = await kube.kubectl(['explain', 'stepuppolicy.status.conditions']);
    expect(out).toMatch(/Accepted: the spec is valid and compiled/);
    const rules = await kube.kubectl(['explain', 'sup.spec.rules.require.maxAge']);
    expect(rules).toMatch(/auth_time/);
  });
});
