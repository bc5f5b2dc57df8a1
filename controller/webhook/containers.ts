// The containers the webhook adds: the stepup sidecar (always) and, in
// standalone Envoy mode, an Envoy that owns the taken-over ports.
import { ENVOY_NAME, IDENTITY_VOLUME, KEYS, SIDECAR_NAME, STATE_VOLUME, type Container } from './pod-types.js';
import type { TakenPort } from './port-takeover.js';
import type { InjectionSettings } from './settings.js';

export const STATE_DIR = '/var/run/stepup/state';
/** The sidecar's trust folder: the token proving its pod identity, the key its snapshots must be signed with. */
export const IDENTITY_DIR = '/var/run/secrets/stepup.dev';
export const PUBLIC_KEY_FILE = 'controller-public-key.pem';

function securityContext(s: InjectionSettings): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    runAsUser: s.runAsUser,
    runAsGroup: s.runAsUser,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** k=v,k2=v2 in key order: the form of --pod-labels. */
export function labelArg(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

/**
 * The sidecar: ext_authz on loopback, health and metrics on the pod IP for
 * the kubelet, pod name and namespace from the Downward API, a projected
 * token (audience: the controller) to prove them, policy snapshots from the
 * controller kept on an emptyDir across container restarts.
 */
export function sidecarContainer(s: InjectionSettings, labels: Readonly<Record<string, string>>): Container {
  const c = s.sidecar;
  const args = [
    `--listen=127.0.0.1:${c.authzPort}`,
    `--http-listen=0.0.0.0:${c.httpPort}`,
    `--controller=${s.controllerAddress}`,
    '--pod-name=$(POD_NAME)',
    '--pod-namespace=$(POD_NAMESPACE)',
    `--pod-labels=${labelArg(labels)}`,
    `--state-dir=${STATE_DIR}`,
    `--deadline-ms=${c.deadlineMs}`,
    `--log-level=${c.logLevel}`,
    ...(c.insecure ? ['--insecure'] : [`--controller-public-key=${IDENTITY_DIR}/${PUBLIC_KEY_FILE}`]),
    ...c.extraArgs,
  ];
  const probe = (path: string, period: number) => ({ httpGet: { path, port: c.httpPort }, periodSeconds: period, timeoutSeconds: 2, failureThreshold: 3 });
  return {
    name: SIDECAR_NAME,
    image: c.image,
    imagePullPolicy: c.imagePullPolicy,
    args,
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'STEPUP_IDENTITY_TOKEN_FILE', value: `${IDENTITY_DIR}/token` },
    ],
    ports: [{ name: 'stepup-health', containerPort: c.httpPort, protocol: 'TCP' }],
    readinessProbe: probe('/readyz', 5),
    livenessProbe: probe('/healthz', 10),
    resources: structuredClone(c.resources),
    securityContext: securityContext(s),
    volumeMounts: [
      { name: STATE_VOLUME, mountPath: STATE_DIR },
      { name: IDENTITY_VOLUME, mountPath: IDENTITY_DIR, readOnly: true },
    ],
  };
}

/** Envoy with the pod's bootstrap inline; its ports carry the names the app's ports had. */
export function envoyContainer(s: InjectionSettings, bootstrap: Record<string, unknown>, taken: readonly TakenPort[]): Container {
  const e = s.envoy;
  return {
    name: ENVOY_NAME,
    image: e.image,
    imagePullPolicy: e.imagePullPolicy,
    args: ['--config-yaml', JSON.stringify(bootstrap), '--disable-hot-restart', '--concurrency', String(e.concurrency), '--log-level', e.logLevel],
    ports: taken.map((t) => ({ name: t.name, containerPort: t.listenerPort, protocol: 'TCP' })),
    readinessProbe: { tcpSocket: { port: (taken[0] as TakenPort).listenerPort }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
    resources: structuredClone(e.resources),
    securityContext: securityContext(s),
  };
}

/**
 * The sidecar's volumes: its snapshot store, and one projected volume with a
 * short-lived token bound to the pod (audience: the controller only) and the
 * controller's public key, taken from the pod annotation the webhook sets
 * (so no object has to be copied into the pod's namespace).
 */
export function sidecarVolumes(s: InjectionSettings): Record<string, unknown>[] {
  const sources: Record<string, unknown>[] = [{ serviceAccountToken: { audience: s.sidecar.tokenAudience, expirationSeconds: 3600, path: 'token' } }];
  if (!s.sidecar.insecure) {
    sources.push({ downwardAPI: { items: [{ path: PUBLIC_KEY_FILE, fieldRef: { fieldPath: `metadata.annotations['${KEYS.controllerPublicKey}']` } }] } });
  }
  return [
    { name: STATE_VOLUME, emptyDir: { sizeLimit: s.stateSizeLimit } },
    { name: IDENTITY_VOLUME, projected: { sources } },
  ];
}
