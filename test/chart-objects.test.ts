// What the chart renders for RBAC, the webhook and its TLS, the injection
// settings (read back by the webhook library), Istio mode, HA, and the
// plain-manifest install.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { formatLoadError, loadPolicyFiles } from '../common/policy/load-files.js';
import { parseInjectionSettings } from '../controller/webhook/settings.js';
import { tempDir } from '../harness/processes.js';
import { spawnSync } from 'node:child_process';
import { CHART, find, render, scenarioFile, type K8sObject } from './support/chart.js';
import { kubeTools } from './support/kube.js';

const rules = (o: K8sObject) => o.rules.map((r: any) => `${r.apiGroups.join(',') || 'core'} ${r.resources.join(',')}${r.resourceNames ? `[${r.resourceNames}]` : ''}: ${r.verbs.join(',')}`);
const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

describe('RBAC of stepup-controller', () => {
  const objects = render();

  it('cluster-wide: read policies, write only their status, read ConfigMaps (IP lists), events, TokenReviews, read single pods', () => {
    expect(rules(find(objects, 'ClusterRole', 'stepup-controller'))).toEqual([
      'stepup.dev stepuppolicies: get,list,watch',
      'stepup.dev stepuppolicies/status: update,patch',
      'core configmaps: get,list,watch',
      'core events: create,patch',
      'authentication.k8s.io tokenreviews: create',
      'core pods: get',
    ]);
  });

  it('in its namespace: its own Lease, ConfigMaps (settings and sync reports)', () => {
    const role = find(objects, 'Role', 'stepup-controller');
    expect(role.metadata.namespace).toBe('stepup-system');
    expect(rules(role)).toEqual(['coordination.k8s.io leases: create', 'coordination.k8s.io leases[stepup-controller]: get,update,patch', 'core configmaps: get,list,watch,create,patch,delete']);
  });

  it('both are bound to the ServiceAccount stepup-controller only', () => {
    for (const kind of ['ClusterRoleBinding', 'RoleBinding']) {
      expect(find(objects, kind).subjects).toEqual([{ kind: 'ServiceAccount', name: 'stepup-controller', namespace: 'stepup-system' }]);
    }
  });
});

describe('the MutatingWebhookConfiguration', () => {
  const objects = render();
  const mwc = find(objects, 'MutatingWebhookConfiguration', 'stepup-webhook');

  it('fails closed, with a timeout, on pod creation only, via the webhook Service', () => {
    expect(mwc.webhooks.map((w: any) => w.name)).toEqual(['namespaces.inject.stepup.dev', 'pods.inject.stepup.dev']);
    for (const w of mwc.webhooks) {
      expect(w).toMatchObject({ failurePolicy: 'Fail', timeoutSeconds: 10, sideEffects: 'None', reinvocationPolicy: 'IfNeeded', admissionReviewVersions: ['v1'] });
      expect(w.rules).toEqual([{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }]);
      expect(w.clientConfig.service).toEqual({ name: 'stepup-webhook', namespace: 'stepup-system', path: '/inject', port: 443 });
      expect(w.namespaceSelector.matchExpressions).toContainEqual({ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['stepup-system', 'kube-system', 'kube-public', 'kube-node-lease'] });
    }
    const svc = find(objects, 'Service', 'stepup-webhook');
    expect(svc.spec.ports).toEqual([{ name: 'https', port: 443, targetPort: 'https-webhook', protocol: 'TCP' }]);
  });

  it('the caBundle is the CA of the generated serving certificate, valid for the Service names', () => {
    const secret = find(objects, 'Secret', 'stepup-webhook-tls');
    const ca = new X509Certificate(b64(secret.data['ca.crt']));
    const cert = new X509Certificate(b64(secret.data['tls.crt']));
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subjectAltName).toContain('DNS:stepup-webhook.stepup-system.svc');
    for (const w of mwc.webhooks) expect(b64(w.clientConfig.caBundle)).toBe(b64(secret.data['ca.crt']));
    const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(360);
    expect(days).toBeLessThan(366);
  });

  it('with cert-manager: a Certificate and Issuer, the CA injected by annotation, no generated key', () => {
    const cm = render(['-f', scenarioFile('cert-manager')]);
    const cert = find(cm, 'Certificate', 'stepup-webhook');
    expect(cert.spec).toMatchObject({ secretName: 'stepup-webhook-tls', duration: '720h', issuerRef: { name: 'stepup-webhook', kind: 'Issuer' } });
    expect(cert.spec.dnsNames).toContain('stepup-webhook.stepup-system.svc');
    expect(find(cm, 'Issuer').spec).toEqual({ selfSigned: {} });
    const hook = find(cm, 'MutatingWebhookConfiguration');
    expect(hook.metadata.annotations).toEqual({ 'cert-manager.io/inject-ca-from': 'stepup-system/stepup-webhook' });
    expect(hook.webhooks[0].clientConfig.caBundle).toBeUndefined();
    expect(cm.some((o) => o.kind === 'Secret' && o.metadata.name === 'stepup-webhook-tls')).toBe(false);
    const issuer = render(['-f', scenarioFile('cert-manager'), '--set', 'webhook.certManager.issuerRef.name=corp-ca', '--set', 'webhook.certManager.issuerRef.kind=ClusterIssuer']);
    expect(find(issuer, 'Certificate').spec.issuerRef).toEqual({ name: 'corp-ca', kind: 'ClusterIssuer' });
    expect(issuer.some((o) => o.kind === 'Issuer')).toBe(false);
  });
});

describe('injection settings', () => {
  it.each([
    ['default', 'envoy'],
    ['istio', 'istio'],
  ])('%s: the webhook library accepts what the chart renders (%s mode)', (scenario, mode) => {
    const cm = find(render(['-f', scenarioFile(scenario)]), 'ConfigMap', 'stepup-injector');
    const settings = parseInjectionSettings(JSON.parse(cm.data['settings.json']), cm.data['envoy.yaml']);
    expect(settings.mode).toBe(mode);
    expect(settings.controllerAddress).toBe('stepup-controller.stepup-system.svc:9090');
    expect(settings.sidecar.tokenAudience).toBe('stepup-controller');
    expect(settings.excludedNamespaces).toContain('stepup-system');
  });

  it("the Envoy bootstrap template is deploy/envoy/envoy.yaml, byte for byte (so the shipped-config checks cover it)", () => {
    const copy = readFileSync(join(CHART, 'files', 'envoy-bootstrap.yaml'), 'utf8');
    expect(copy, 'charts/stepup/files/envoy-bootstrap.yaml differs: cp deploy/envoy/envoy.yaml charts/stepup/files/envoy-bootstrap.yaml').toBe(readFileSync('deploy/envoy/envoy.yaml', 'utf8'));
  });
});

describe('Istio mode', () => {
  const objects = render(['-f', scenarioFile('istio')]);

  it('checks every request to injected pods with the stepup provider, which fails closed with a timeout', () => {
    const policy = find(objects, 'AuthorizationPolicy');
    expect(policy.metadata.namespace).toBe('istio-system');
    expect(policy.spec).toEqual({ selector: { matchLabels: { 'stepup.dev/protected': 'true' } }, action: 'CUSTOM', provider: { name: 'stepup' }, rules: [{}] });
    const mesh = parse(find(objects, 'ConfigMap', 'stepup-istio-meshconfig').data['meshConfig.yaml']);
    expect(mesh.extensionProviders).toEqual([
      expect.objectContaining({ name: 'stepup', envoyExtAuthzGrpc: expect.objectContaining({ service: 'stepup-authz.local', port: 15191, timeout: '0.200s', failOpen: false }) }),
    ]);
  });

  it('maps the provider host to the sidecar in the same pod', () => {
    const entry = find(objects, 'ServiceEntry');
    expect(entry.spec).toEqual({ hosts: ['stepup-authz.local'], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 15191, name: 'grpc', protocol: 'GRPC' }], endpoints: [{ address: '127.0.0.1' }] });
  });

  it('deploy/istio/istiod-values.yaml declares the very provider the chart renders', () => {
    const rendered = parse(find(objects, 'ConfigMap', 'stepup-istio-meshconfig').data['meshConfig.yaml']);
    const shipped = parse(readFileSync('deploy/istio/istiod-values.yaml', 'utf8'));
    expect(shipped.meshConfig).toEqual(rendered);
  });

  it('is off by default', () => {
    expect(render().some((o) => ['AuthorizationPolicy', 'ServiceEntry'].includes(o.kind))).toBe(false);
  });
});

describe('HA and optional objects', () => {
  it('ha: 3 replicas, PDB minAvailable 2, NetworkPolicy, ServiceMonitor', () => {
    const objects = render(['-f', scenarioFile('ha')]);
    expect(find(objects, 'Deployment').spec.replicas).toBe(3);
    expect(find(objects, 'PodDisruptionBudget').spec.minAvailable).toBe(2);
    const np = find(objects, 'NetworkPolicy');
    expect(np.spec.ingress.map((r: any) => r.ports[0].port)).toEqual(['https-webhook', 'grpc-dist', 'http-metrics']);
    expect(np.spec.ingress[1].from).toEqual([{ namespaceSelector: {}, podSelector: { matchLabels: { 'stepup.dev/protected': 'true' } } }]);
    expect(find(objects, 'ServiceMonitor').spec.endpoints).toEqual([{ port: 'http-metrics', path: '/metrics', interval: '30s' }]);
  });

  it('one replica: no PodDisruptionBudget that would block node drains', () => {
    expect(render(['--set', 'controller.replicas=1', '--set', 'controller.leaderElection.enabled=false']).some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
  });
});

describe('deploy/examples', () => {
  it('every example policy passes the standalone validator (the CRD schema and CEL compile)', () => {
    const { policies, errors } = loadPolicyFiles('deploy/examples');
    expect(errors.map(formatLoadError)).toEqual([]);
    expect(policies.map((p) => p.policy.metadata.name).sort()).toEqual(['admin-console', 'data-export', 'payments']);
  });
});

describe('deploy/install.yaml', () => {
  it('is what scripts/render-install.sh renders from the chart now', () => {
    const out = join(tempDir('install'), 'install.yaml');
    const r = spawnSync('bash', ['scripts/render-install.sh', out], { encoding: 'utf8', env: { ...process.env, HELM: kubeTools().helm } });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync('deploy/install.yaml', 'utf8'), 'deploy/install.yaml is stale; regenerate it with: bash scripts/render-install.sh').toBe(readFileSync(out, 'utf8'));
  });
});
