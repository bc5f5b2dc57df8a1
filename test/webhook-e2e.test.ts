// The injection webhook end to end: the chart's MutatingWebhookConfiguration
// registered on a real kube-apiserver, pointed (url client config, a CA made
// here) at the webhook library served on loopback with the settings the chart
// renders. Pods are stored injected or unchanged as the labels say, and the
// injected Envoy and sidecar, run with the stored pod's own arguments, enforce
// a policy through a real Envoy.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mutatePod, parseInjectionSettings, startWebhookServer, type InjectionSettings, type Mutation, type WebhookServer } from '../controller/webhook/index.js';
import { send } from '../harness/http-client.js';
import { freePort, tempDir, waitFor, writeTemp } from '../harness/processes.js';
import { decisionLines } from '../harness/sidecar.js';
import { TestIssuer } from '../harness/test-issuer.js';
import { startUpstream, type Upstream } from '../harness/upstream.js';
import { find, render } from './support/chart.js';
import { runInjectedPod } from './support/injected-pod.js';
import { startKube, type Kube } from './support/kube.js';
import { bearer, now, testPolicy } from './support/stack.js';
import { makeTls, type Tls } from './support/tls.js';

type Obj = Record<string, any>;

/** Ports for the injected Envoy and sidecar that are free on this machine (the chart's defaults might not be). */
async function podPorts() {
  for (;;) {
    const [listener, admin, authz, http] = [await freePort(), await freePort(), await freePort(), await freePort()] as [number, number, number, number];
    const inRange = (p: number) => p >= listener && p < listener + 8;
    if (new Set([listener, admin, authz, http]).size === 4 && ![admin, authz, http].some(inRange)) return { listener, admin, authz, http };
  }
}

let kube: Kube;
let tls: Tls;
let server: WebhookServer;
let settings: InjectionSettings;
let webhookPort: number;
let upstream: Upstream;
const calls: { namespace: string; mutation: Mutation }[] = [];

function startServer(port: number) {
  return startWebhookServer({ host: '127.0.0.1', port, certFile: tls.certFile, keyFile: tls.keyFile, settings, onDecision: (mutation, namespace) => calls.push({ namespace, mutation }) });
}

function createPod(namespace: string, pod: Obj) {
  return kube.kubectlAsync(['create', '-n', namespace, '-o', 'json', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', ...pod }));
}

function appPod(name: string, extra: { labels?: Obj; annotations?: Obj; spec?: Obj } = {}): Obj {
  return {
    metadata: { name, labels: { app: 'payments', ...extra.labels }, annotations: extra.annotations ?? {} },
    spec: {
      containers: [{ name: 'app', image: 'payments:1', ports: [{ name: 'http', containerPort: upstream.port }], readinessProbe: { httpGet: { path: '/ready', port: 'http' } } }],
      ...extra.spec,
    },
  };
}

const names = (pod: Obj) => (pod.spec.containers as Obj[]).map((c) => c.name);

beforeAll(async () => {
  upstream = await startUpstream();
  const ports = await podPorts();
  const cm = find(render(['--set', `injection.envoy.firstListenerPort=${ports.listener}`, '--set', `injection.envoy.adminPort=${ports.admin}`, '--set', `injection.sidecar.authzPort=${ports.authz}`, '--set', `injection.sidecar.httpPort=${ports.http}`]), 'ConfigMap', 'stepup-injector');
  // The controller's main adds its public key to the settings the chart renders.
  const controllerPublicKey = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
  settings = parseInjectionSettings({ ...JSON.parse(cm.data['settings.json']), controllerPublicKey }, cm.data['envoy.yaml']);
  tls = makeTls(['IP:127.0.0.1']);
  server = await startServer(0);
  webhookPort = server.port;
  kube = startKube();
  kube.namespace('stepup-system');
  kube.namespace('shop', { 'stepup.dev/inject': 'enabled' });
  kube.namespace('plain');
  const mwc = find(render(), 'MutatingWebhookConfiguration', 'stepup-webhook');
  for (const w of mwc.webhooks) w.clientConfig = { url: `https://127.0.0.1:${webhookPort}/inject`, caBundle: Buffer.from(tls.caPem).toString('base64') };
  kube.must(['apply', '-f', '-'], JSON.stringify(mwc));
});

afterAll(async () => {
  await server?.close();
  await kube?.stop();
  await upstream?.close();
});

describe('injection on a real kube-apiserver', () => {
  it('a pod in a namespace labelled stepup.dev/inject=enabled is stored with the sidecar and Envoy', async () => {
    const before = calls.length;
    const r = await createPod('shop', appPod('payments-1'));
    expect(r.status, r.stderr).toBe(0);
    const pod = JSON.parse(r.stdout);
    expect(names(pod)).toEqual(['app', 'stepup-sidecar', 'stepup-envoy']);
    expect(pod.spec.containers[0].ports[0]).toMatchObject({ name: 'stepup-app-0', containerPort: upstream.port });
    expect(pod.spec.containers[0].readinessProbe.httpGet.port).toBe(upstream.port);
    expect(pod.spec.containers[2].ports[0]).toMatchObject({ name: 'http', containerPort: settings.envoy.firstListenerPort });
    expect(pod.metadata.labels['stepup.dev/protected']).toBe('true');
    const [first, ...again] = calls.slice(before);
    expect(first).toMatchObject({ namespace: 'shop', mutation: { allowed: true, injected: true } });
    // The API server may call again (reinvocationPolicy IfNeeded, after its own plugins changed the pod): nothing more is added.
    for (const call of again) expect(call.mutation).toEqual({ allowed: true, injected: false, patch: [], reason: 'already injected' });
  });

  it('a generateName pod (as a ReplicaSet creates them) is injected too', async () => {
    const pod = appPod('');
    pod.metadata = { generateName: 'payments-7d9f-', labels: pod.metadata.labels };
    const r = await createPod('shop', pod);
    expect(r.status, r.stderr).toBe(0);
    expect(names(JSON.parse(r.stdout))).toEqual(['app', 'stepup-sidecar', 'stepup-envoy']);
  });

  it('a second pass over the stored pod changes nothing', () => {
    const stored = JSON.parse(kube.must(['get', 'pod', '-n', 'shop', 'payments-1', '-o', 'json']));
    expect(mutatePod(stored, 'shop', settings)).toEqual({ allowed: true, injected: false, patch: [], reason: 'already injected' });
  });

  it('a pod in an unlabelled namespace is stored unchanged, without a call to the webhook', async () => {
    const before = calls.length;
    const r = await createPod('plain', appPod('plain-1'));
    expect(r.status, r.stderr).toBe(0);
    const pod = JSON.parse(r.stdout);
    expect(names(pod)).toEqual(['app']);
    expect(pod.spec.containers[0].ports[0].name).toBe('http');
    expect(calls.length).toBe(before);
  });

  it('a pod annotated stepup.dev/inject: disabled is stored unchanged, without a call to the webhook', async () => {
    const before = calls.length;
    const r = await createPod('shop', appPod('opted-out', { annotations: { 'stepup.dev/inject': 'disabled' } }));
    expect(r.status, r.stderr).toBe(0);
    expect(names(JSON.parse(r.stdout))).toEqual(['app']);
    expect(calls.length).toBe(before);
  });

  it('a pod labelled stepup.dev/inject=enabled in an unlabelled namespace is injected', async () => {
    const r = await createPod('plain', appPod('labelled-1', { labels: { 'stepup.dev/inject': 'enabled' } }));
    expect(r.status, r.stderr).toBe(0);
    expect(names(JSON.parse(r.stdout))).toEqual(['app', 'stepup-sidecar', 'stepup-envoy']);
  });

  it('the release namespace is never injected, even for a labelled pod', async () => {
    const r = await createPod('stepup-system', appPod('own-1', { labels: { 'stepup.dev/inject': 'enabled' } }));
    expect(r.status, r.stderr).toBe(0);
    expect(names(JSON.parse(r.stdout))).toEqual(['app']);
  });

  it('a pod the proxy cannot protect is refused with the reason', async () => {
    const r = await createPod('shop', appPod('host-net', { spec: { hostNetwork: true } }));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/admission webhook "namespaces.inject.stepup.dev" denied the request: stepup injection: a pod on the host network/);
  });
});

describe('the injected Envoy and sidecar enforce a policy', () => {
  it('run with the stored pod arguments, they challenge, deny and allow; the app sees only what passed', async () => {
    const issuer = await TestIssuer.start();
    const policy = writeTemp(tempDir('policy'), 'policy.yaml', testPolicy(issuer));
    const stored = JSON.parse(kube.must(['get', 'pod', '-n', 'shop', 'payments-1', '-o', 'json']));
    const pod = await runInjectedPod(stored, policy);
    try {
      // The first check also opens Envoy's connection to the sidecar; on a loaded
      // machine that can take longer than the 200 ms budget, and Envoy then
      // answers 503 (fail closed). Wait for the path to be warm, then count.
      await waitFor('a first request through the injected Envoy', async () => (await send(`${pod.url}/v1/accounts`)).status === 200, 15_000);
      const logged = decisionLines(pod.sidecar).length;
      const seen = upstream.seen.length;
      const open = await send(`${pod.url}/v1/accounts`);
      expect(open.status).toBe(200);
      const challenge = await send(`${pod.url}/admin/users`);
      expect(challenge.status).toBe(401);
      expect(challenge.headers['www-authenticate']).toMatch(/^Bearer realm="stepup", acr_values="3", max_age="900"/);
      expect((await send(`${pod.url}/v1/blocked/x`)).status).toBe(403);
      const token = await issuer.token({ acr: '3', amr: ['hwk'], auth_time: now() });
      const allowed = await send(`${pod.url}/admin/users`, { headers: bearer(token) });
      expect(allowed.status).toBe(200);
      expect(upstream.seen.slice(seen).map((s) => s.url)).toEqual(['/v1/accounts', '/admin/users']);
      expect(upstream.seen.at(-1)?.headers['x-stepup-subject']).toBe('alice');
      expect(decisionLines(pod.sidecar).slice(logged).map((l) => l.outcome)).toEqual(['allow', 'challenge', 'deny', 'allow']);
    } finally {
      await pod.stop();
      await issuer.close();
    }
  });
});

describe('failure policy', () => {
  it('webhook down: pods in labelled namespaces are not created (fail closed); other namespaces are not affected', async () => {
    await server.close();
    try {
      const r = await createPod('shop', appPod('while-down'));
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/failed calling webhook "namespaces.inject.stepup.dev"/);
      expect((await createPod('plain', appPod('plain-while-down'))).status).toBe(0);
    } finally {
      server = await startServer(webhookPort);
    }
    expect((await createPod('shop', appPod('after-restart'))).status).toBe(0);
  });
});
