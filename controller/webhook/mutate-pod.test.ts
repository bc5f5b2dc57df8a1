import { describe, expect, it } from 'vitest';
import { applyPatch, TEST_PUBLIC_KEY, testSettings } from './fixtures.js';
import { mutatePod, type Mutation } from './mutate-pod.js';
import type { Container, Pod } from './pod-types.js';

function appPod(change: (p: Pod) => void = () => {}): Pod {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'payments-7d9f-', namespace: 'shop', labels: { app: 'payments' } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'payments:1',
          env: [{ name: 'A', value: '1' }],
          ports: [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9100 }],
          readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
          livenessProbe: { tcpSocket: { port: 'metrics' } },
        },
      ],
    },
  };
  change(pod);
  return pod;
}

const settings = testSettings();

function injected(m: Mutation, pod: Pod): Pod {
  expect(m.allowed).toBe(true);
  if (!m.allowed) throw new Error(m.reason);
  return applyPatch(pod, m.patch);
}

const container = (p: Pod, name: string) => p.spec?.containers.find((c) => c.name === name) as Container;
const bootstrapOf = (p: Pod) => JSON.parse((container(p, 'stepup-envoy').args as string[])[1] as string);

describe('mutatePod, Envoy mode', () => {
  const pod = appPod();
  const m = mutatePod(pod, 'shop', settings);
  const out = injected(m, pod);

  it('adds the sidecar and Envoy after the app, and a state volume', () => {
    expect(out.spec?.containers.map((c) => c.name)).toEqual(['app', 'stepup-sidecar', 'stepup-envoy']);
    expect(out.spec?.volumes).toEqual([
      { name: 'stepup-state', emptyDir: { sizeLimit: '16Mi' } },
      {
        name: 'stepup-identity',
        projected: {
          sources: [
            { serviceAccountToken: { audience: 'stepup-controller', expirationSeconds: 3600, path: 'token' } },
            { downwardAPI: { items: [{ path: 'controller-public-key.pem', fieldRef: { fieldPath: "metadata.annotations['stepup.dev/controller-public-key']" } }] } },
          ],
        },
      },
    ]);
    expect(m.allowed && m.injected).toBe(true);
  });

  it('takes over the named http port: Envoy gets the name, the app port is renamed, its probe uses the number', () => {
    const app = container(out, 'app');
    expect(app.ports).toEqual([{ name: 'stepup-app-0', containerPort: 8080 }, { name: 'metrics', containerPort: 9100 }]);
    expect(app.readinessProbe?.httpGet?.port).toBe(8080);
    expect(app.livenessProbe?.tcpSocket?.port).toBe('metrics');
    expect(app.env).toEqual([{ name: 'A', value: '1' }]);
    expect(container(out, 'stepup-envoy').ports).toEqual([{ name: 'http', containerPort: 15180, protocol: 'TCP' }]);
    expect(out.metadata?.annotations?.['stepup.dev/taken-ports']).toBe('http=stepup-app-0:8080');
  });

  it("Envoy's bootstrap forwards the listener to the app on loopback and checks with the sidecar, failing closed", () => {
    const b = bootstrapOf(out);
    const [listener] = b.static_resources.listeners;
    expect(listener.address.socket_address).toEqual({ address: '0.0.0.0', port_value: 15180 });
    const clusters = Object.fromEntries(b.static_resources.clusters.map((c: any) => [c.name, c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address]));
    expect(clusters).toEqual({ stepup_authz: { address: '127.0.0.1', port_value: 15191 }, app_0: { address: '127.0.0.1', port_value: 8080 } });
    const authz = listener.filter_chains[0].filters[0].typed_config.http_filters[0].typed_config;
    expect(authz.failure_mode_allow).toBe(false);
    expect(authz.grpc_service.timeout).toBe('0.200s');
    expect(b.admin.address.socket_address).toEqual({ address: '127.0.0.1', port_value: 15190 });
  });

  it('gives the sidecar its identity (Downward API, a token for the controller) and the labels the pod is created with', () => {
    const s = container(out, 'stepup-sidecar');
    expect(s.args).toEqual(
      expect.arrayContaining([
        '--listen=127.0.0.1:15191',
        '--http-listen=0.0.0.0:15192',
        '--controller=stepup-controller.stepup-system.svc:9090',
        '--pod-name=$(POD_NAME)',
        '--pod-namespace=$(POD_NAMESPACE)',
        '--pod-labels=app=payments,stepup.dev/protected=true',
        '--state-dir=/var/run/stepup/state',
        '--deadline-ms=150',
        '--controller-public-key=/var/run/secrets/stepup.dev/controller-public-key.pem',
      ]),
    );
    expect(s.args).not.toContain('--insecure');
    expect(s.env).toEqual([
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'STEPUP_IDENTITY_TOKEN_FILE', value: '/var/run/secrets/stepup.dev/token' },
    ]);
    expect(s.volumeMounts).toContainEqual({ name: 'stepup-identity', mountPath: '/var/run/secrets/stepup.dev', readOnly: true });
    expect(s.readinessProbe).toMatchObject({ httpGet: { path: '/readyz', port: 15192 } });
  });

  it('runs both containers locked down', () => {
    for (const name of ['stepup-sidecar', 'stepup-envoy']) {
      expect(container(out, name).securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
    }
  });

  it('labels and annotates the pod, keeping its own labels', () => {
    expect(out.metadata?.labels).toEqual({ app: 'payments', 'stepup.dev/protected': 'true' });
    expect(out.metadata?.annotations).toEqual({
      'stepup.dev/injected': '0.1.0',
      'stepup.dev/controller-public-key': TEST_PUBLIC_KEY,
      'stepup.dev/taken-ports': 'http=stepup-app-0:8080',
      'kubectl.kubernetes.io/default-container': 'app',
    });
  });

  it('is idempotent: a second pass over the injected pod changes nothing', () => {
    const again = mutatePod(out, 'shop', settings);
    expect(again).toEqual({ allowed: true, injected: false, patch: [], reason: 'already injected' });
  });

  it('does not change the pod it was given', () => {
    expect(pod).toEqual(appPod());
  });
});

describe('mutatePod: what is left alone', () => {
  it.each([
    ['the opt-out annotation', appPod((p) => (p.metadata!.annotations = { 'stepup.dev/inject': 'disabled' })), 'shop', /opted out/],
    ['the opt-out label', appPod((p) => (p.metadata!.labels!['stepup.dev/inject'] = 'disabled')), 'shop', /opted out/],
    ['an excluded namespace', appPod(), 'kube-system', /namespace kube-system is excluded/],
    ['a pod without ports', appPod((p) => delete p.spec!.containers[0]!.ports), 'shop', /no port to protect/],
    ['an empty stepup.dev/ports', appPod((p) => (p.metadata!.annotations = { 'stepup.dev/ports': '' })), 'shop', /no port to protect/],
  ])('%s: allowed, unchanged', (_name, pod, ns, reason) => {
    const m = mutatePod(pod, ns, settings);
    expect(m).toMatchObject({ allowed: true, injected: false, patch: [] });
    expect(m.reason).toMatch(reason);
  });
});

describe('mutatePod: pods it cannot protect are refused (fail closed)', () => {
  it.each([
    ['named ports, none matching', appPod((p) => (p.spec!.containers[0]!.ports = [{ name: 'web', containerPort: 80 }])), /no named container port matches/],
    ['an unknown name in stepup.dev/ports', appPod((p) => (p.metadata!.annotations = { 'stepup.dev/ports': 'web' })), /names web, which no container declares/],
    ['a port the proxy needs', appPod((p) => p.spec!.containers[0]!.ports!.push({ name: 'x', containerPort: 15191 })), /uses port 15191/],
    ['a hostPort', appPod((p) => (p.spec!.containers[0]!.ports![0]!.hostPort = 80)), /hostPort/],
    ['the host network', appPod((p) => (p.spec!.hostNetwork = true)), /host network/],
    ['a malformed route context', appPod((p) => (p.metadata!.annotations = { 'stepup.dev/route-context': 'nonsense' })), /route-context/],
    ['a port name in two containers', appPod((p) => p.spec!.containers.push({ name: 'b', ports: [{ name: 'http', containerPort: 81 }] })), /more than one container/],
    ['not a pod', { metadata: {} } as Pod, /not a pod/],
  ])('%s', (_name, pod, reason) => {
    const m = mutatePod(pod, 'shop', settings);
    expect(m.allowed).toBe(false);
    expect(m.reason).toMatch(/^stepup injection: /);
    expect(m.reason).toMatch(reason);
  });
});

describe('mutatePod: choices', () => {
  it('stepup.dev/ports picks the ports; grpc ones get an HTTP/2 upstream; each gets its own listener', () => {
    const pod = appPod((p) => {
      p.metadata!.annotations = { 'stepup.dev/ports': 'web, grpc-api' };
      p.spec!.containers[0]!.ports = [{ name: 'web', containerPort: 80 }, { name: 'grpc-api', containerPort: 9000 }, { name: 'http', containerPort: 8080 }];
    });
    const out = injected(mutatePod(pod, 'shop', settings), pod);
    expect(container(out, 'stepup-envoy').ports?.map((p) => [p.name, p.containerPort])).toEqual([['web', 15180], ['grpc-api', 15181]]);
    expect(container(out, 'app').ports?.map((p) => p.name)).toEqual(['stepup-app-0', 'stepup-app-1', 'http']);
    const clusters = bootstrapOf(out).static_resources.clusters;
    expect(clusters.find((c: any) => c.name === 'app_1').typed_extension_protocol_options).toBeDefined();
    expect(clusters.find((c: any) => c.name === 'app_0').typed_extension_protocol_options).toBeUndefined();
  });

  it('route context: the settings, then the pod annotation, reach Envoy as context_extensions', () => {
    const s = testSettings((i) => (i.routeContext = { environment: 'production', dataClass: 'internal' }));
    const pod = appPod((p) => (p.metadata!.annotations = { 'stepup.dev/route-context': 'dataClass=financial' }));
    const b = bootstrapOf(injected(mutatePod(pod, 'shop', s), pod));
    const route = b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0];
    expect(route.typed_per_filter_config['envoy.filters.http.ext_authz'].check_settings.context_extensions).toEqual({ environment: 'production', dataClass: 'financial' });
  });

  it('Istio mode: only the sidecar; ports, probes and the Envoy are left to istio-proxy', () => {
    const s = testSettings((i) => (i.mode = 'istio'));
    const pod = appPod();
    const out = injected(mutatePod(pod, 'shop', s), pod);
    expect(out.spec?.containers.map((c) => c.name)).toEqual(['app', 'stepup-sidecar']);
    expect(out.spec?.containers[0]).toEqual(pod.spec?.containers[0]);
    expect(out.metadata?.labels?.['stepup.dev/protected']).toBe('true');
    expect(out.metadata?.annotations?.['stepup.dev/taken-ports']).toBeUndefined();
  });

  it('insecure development mode is passed to the sidecar only when set, and then needs no public key', () => {
    const s = testSettings((i) => {
      i.sidecar.insecure = true;
      delete i.controllerPublicKey;
    });
    const pod = appPod();
    const out = injected(mutatePod(pod, 'shop', s), pod);
    expect(container(out, 'stepup-sidecar').args).toContain('--insecure');
    expect(container(out, 'stepup-sidecar').args?.some((a: string) => a.startsWith('--controller-public-key'))).toBe(false);
    expect(out.metadata?.annotations?.['stepup.dev/controller-public-key']).toBeUndefined();
  });

  it('without a public key for the sidecar (and not insecure) the pod is refused', () => {
    const s = testSettings((i) => delete i.controllerPublicKey);
    const m = mutatePod(appPod(), 'shop', s);
    expect(m.allowed).toBe(false);
    expect(m.reason).toMatch(/no public key/);
  });

  it('keeps a default-container annotation the pod already has', () => {
    const pod = appPod((p) => (p.metadata!.annotations = { 'kubectl.kubernetes.io/default-container': 'other' }));
    const out = injected(mutatePod(pod, 'shop', settings), pod);
    expect(out.metadata?.annotations?.['kubectl.kubernetes.io/default-container']).toBe('other');
  });
});
