// The chart against a real kube-apiserver (scripts/testenv.sh): every
// scenario passes server-side dry-run, `helm install` and `helm upgrade` work,
// the controller's ServiceAccount can do what it needs and nothing more, and
// the CRD outlives the release. No kubelet: objects are what is checked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { CHART, NAMESPACE, renderText, scenarioFile, SCENARIOS } from './support/chart.js';
import { startKube, type Kube } from './support/kube.js';

// Stand-ins for the CRDs of cert-manager, Istio and the Prometheus Operator,
// which the chart's optional objects use. They accept any spec: the dry-run
// checks that the objects are well-formed Kubernetes objects of a served kind,
// not those projects' own schemas.
const FOREIGN = [
  ['cert-manager.io', 'Certificate', 'certificates', 'v1'],
  ['cert-manager.io', 'Issuer', 'issuers', 'v1'],
  ['networking.istio.io', 'ServiceEntry', 'serviceentries', 'v1'],
  ['security.istio.io', 'AuthorizationPolicy', 'authorizationpolicies', 'v1'],
  ['monitoring.coreos.com', 'ServiceMonitor', 'servicemonitors', 'v1'],
];

function standIn([group, kind, plural, version]: string[]): object {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: { group, scope: 'Namespaced', names: { kind, plural }, versions: [{ name: version, served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
  };
}

let kube: Kube;
beforeAll(() => {
  kube = startKube();
  for (const ns of [NAMESPACE, 'istio-system', 'shop']) kube.namespace(ns);
  kube.must(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: FOREIGN.map(standIn) }));
  kube.must(['wait', '--for=condition=Established', '--timeout=60s', ...FOREIGN.map(([g, , p]) => `crd/${p}.${g}`)]);
});
afterAll(async () => {
  await kube?.stop();
});

describe('server-side dry-run', () => {
  it.each(SCENARIOS)('%s scenario: the API server accepts every rendered object', (scenario) => {
    const r = kube.kubectl(['apply', '--dry-run=server', '-f', '-'], renderText(['-f', scenarioFile(scenario)]));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/mutatingwebhookconfiguration.admissionregistration.k8s.io\/stepup-webhook created \(server dry run\)/);
  });

  it('the Istio example workload', () => {
    const r = kube.kubectl(['apply', '--dry-run=server', '-f', 'deploy/istio/example-workload.yaml']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/deployment.apps\/payments created \(server dry run\)/);
  });

  it('deploy/install.yaml too', () => {
    const r = kube.kubectl(['apply', '--dry-run=server', '-f', 'deploy/install.yaml']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/deployment.apps\/stepup-controller created \(server dry run\)/);
  });
});

describe('helm install, upgrade, uninstall', () => {
  const secret = (name: string) => JSON.parse(kube.must(['-n', NAMESPACE, 'get', 'secret', name, '-o', 'json'])).data as Record<string, string>;
  const caBundle = () => Buffer.from(kube.must(['get', 'mutatingwebhookconfiguration', 'stepup-webhook', '-o', 'jsonpath={.webhooks[0].clientConfig.caBundle}']), 'base64').toString();

  it('helm install creates the release; the CRD is established and serves the example policies', () => {
    const r = kube.helm(['install', 'stepup', CHART, '--namespace', NAMESPACE]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/STATUS: deployed/);
    kube.must(['wait', '--for=condition=Established', '--timeout=60s', 'crd/stepuppolicies.stepup.dev']);
    for (const kind of ['deployment/stepup-controller', 'service/stepup-controller', 'service/stepup-webhook', 'configmap/stepup-injector', 'secret/stepup-webhook-tls', 'secret/stepup-controller-signing-key', 'serviceaccount/stepup-controller']) {
      expect(kube.kubectl(['-n', NAMESPACE, 'get', kind]).status, kind).toBe(0);
    }
    for (const file of readdirSync('deploy/examples').filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(readFileSync(`deploy/examples/${file}`, 'utf8'))) {
        const ns = (doc.toJS() as { metadata?: { namespace?: string } } | null)?.metadata?.namespace;
        if (ns) kube.namespace(ns);
      }
      const applied = kube.kubectl(['apply', '--dry-run=server', '-f', `deploy/examples/${file}`]);
      expect(applied.stderr, file).toBe('');
    }
  });

  it('helm upgrade keeps the snapshot signing key and rotates the webhook certificate, trusting the old CA for the switch', () => {
    const keyBefore = secret('stepup-controller-signing-key')['ed25519.pem'];
    const caBefore = Buffer.from(secret('stepup-webhook-tls')['ca.crt'] as string, 'base64').toString();
    const r = kube.helm(['upgrade', 'stepup', CHART, '--namespace', NAMESPACE]);
    expect(r.status, r.stderr).toBe(0);
    expect(secret('stepup-controller-signing-key')['ed25519.pem']).toBe(keyBefore);
    const caAfter = Buffer.from(secret('stepup-webhook-tls')['ca.crt'] as string, 'base64').toString();
    expect(caAfter).not.toBe(caBefore);
    expect(caBundle()).toBe(caAfter + caBefore);
  });

  it('helm uninstall keeps the CRD and the policies in it', () => {
    kube.must(['apply', '-f', 'deploy/examples/payments.yaml']);
    const r = kube.helm(['uninstall', 'stepup', '--namespace', NAMESPACE]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/kept due to the resource policy/);
    expect(kube.kubectl(['get', 'deployment', 'stepup-controller', '-n', NAMESPACE]).status).not.toBe(0);
    expect(kube.must(['get', 'stepuppolicies', '-n', 'shop', '-o', 'name'])).toBe('stepuppolicy.stepup.dev/payments\n');
    // Reinstall for the permission checks below.
    expect(kube.helm(['install', 'stepup', CHART, '--namespace', NAMESPACE, '--skip-crds']).status).toBe(0);
  });
});

describe('what the controller ServiceAccount may do (kubectl auth can-i)', () => {
  const as = `--as=system:serviceaccount:${NAMESPACE}:stepup-controller`;
  const table: [string, boolean][] = [
    ['get stepuppolicies.stepup.dev -A', true],
    ['list stepuppolicies.stepup.dev -A', true],
    ['watch stepuppolicies.stepup.dev -A', true],
    ['update stepuppolicies.stepup.dev --subresource=status -n shop', true],
    ['patch stepuppolicies.stepup.dev --subresource=status -n shop', true],
    ['create events -n shop', true],
    ['patch events -n shop', true],
    ['create tokenreviews.authentication.k8s.io', true],
    ['get pods -n shop', true],
    ['create leases.coordination.k8s.io -n stepup-system', true],
    ['get leases.coordination.k8s.io/stepup-controller -n stepup-system', true],
    ['update leases.coordination.k8s.io/stepup-controller -n stepup-system', true],
    ['get configmaps -n stepup-system', true],
    ['watch configmaps -n stepup-system', true],
    ['patch configmaps -n stepup-system', true],
    ['delete configmaps -n stepup-system', true],
    ['create stepuppolicies.stepup.dev -n shop', false],
    ['update stepuppolicies.stepup.dev -n shop', false],
    ['patch stepuppolicies.stepup.dev -n shop', false],
    ['delete stepuppolicies.stepup.dev -n shop', false],
    ['list pods -n shop', false],
    ['watch pods -A', false],
    ['create pods -n shop', false],
    ['delete pods -n shop', false],
    ['get secrets -n stepup-system', false],
    ['list secrets -A', false],
    ['get configmaps -n shop', true],
    ['list configmaps -A', true],
    ['watch configmaps -A', true],
    ['create configmaps -n shop', false],
    ['update configmaps -n shop', false],
    ['patch configmaps -n shop', false],
    ['delete configmaps -n shop', false],
    ['update leases.coordination.k8s.io/another-lease -n stepup-system', false],
    ['get leases.coordination.k8s.io -n shop', false],
    ['delete events -n shop', false],
    ['patch mutatingwebhookconfigurations.admissionregistration.k8s.io', false],
    ['create serviceaccounts --subresource=token -n shop', false],
    ['list namespaces', false],
    ['get nodes', false],
    ['create clusterrolebindings.rbac.authorization.k8s.io', false],
    ['impersonate users', false],
  ];

  it.each(table)('%s: %s', (question, allowed) => {
    const r = kube.kubectl(['auth', 'can-i', ...question.split(' '), as]);
    expect(r.stdout.trim()).toBe(allowed ? 'yes' : 'no');
  });
});
