// Runs the built stepup-controller, and sidecars in controller mode, as their
// own processes; makes signing keys and pod identities for them.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../common/package-root.js';
import type { KubeEnv } from './kube.js';
import { freePort, httpOk, startProcess, tempDir, waitFor, writeTemp, type Running } from './processes.js';
import { sidecarEntry } from './sidecar.js';

export interface ControllerHandle extends Running {
  readonly address: string;
  readonly httpPort: number;
}

export function controllerEntry(): string {
  const entry = join(packageRoot(), 'dist', 'controller', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`);
  return entry;
}

/** Fast timings for tests: short status interval, lease and report periods. */
export const FAST_CONTROLLER_ARGS = ['--status-interval-ms', '100', '--lease-duration', '4', '--retry-period-ms', '500', '--report-interval', '1', '--report-stale', '4', '--watch-backoff-max-ms', '2000'];

export async function startController(kubeconfig: string, args: string[], port?: number): Promise<ControllerHandle> {
  const grpcPort = port ?? (await freePort());
  const httpPort = await freePort();
  const proc = startProcess('stepup-controller', process.execPath, [controllerEntry(), '--kubeconfig', kubeconfig, '--distribution-listen', `127.0.0.1:${grpcPort}`, '--http-listen', `127.0.0.1:${httpPort}`, ...FAST_CONTROLLER_ARGS, ...args]);
  await waitFor('the controller to serve sidecars', async () => /serving sidecars/.test(proc.output()), 30_000, proc);
  return Object.assign(proc, { address: `127.0.0.1:${grpcPort}`, httpPort });
}

export interface KeyFiles {
  readonly privateKey: string;
  readonly publicKey: string;
}

export function makeSigningKeyFiles(): KeyFiles {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const dir = tempDir('keys');
  return {
    privateKey: writeTemp(dir, 'signing.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
    publicKey: writeTemp(dir, 'public.pem', publicKey.export({ type: 'spki', format: 'pem' }) as string),
  };
}

export interface ControllerSidecarOptions {
  controller: string;
  podName: string;
  namespace: string;
  labels: Record<string, string>;
  stateDir: string;
  /** Trusted public key file, or 'insecure'. */
  trust: string;
  tokenFile?: string;
  /** Wait for /readyz (a snapshot in force); otherwise only for the HTTP server. */
  waitReady?: boolean;
  ports?: { grpc: number; http: number };
  /** More sidecar flags, e.g. ['--trusted-hops', '1']. */
  extraArgs?: string[];
}

export interface ControllerSidecarHandle extends Running {
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly options: ControllerSidecarOptions;
}

export async function startControllerSidecar(o: ControllerSidecarOptions): Promise<ControllerSidecarHandle> {
  const grpcPort = o.ports?.grpc ?? (await freePort());
  const httpPort = o.ports?.http ?? (await freePort());
  const labels = Object.entries(o.labels).map(([k, v]) => `${k}=${v}`).join(',');
  const trust = o.trust === 'insecure' ? ['--insecure'] : ['--controller-public-key', o.trust];
  const args = [sidecarEntry(), '--controller', o.controller, '--pod-name', o.podName, '--pod-namespace', o.namespace, '--pod-labels', labels, '--state-dir', o.stateDir, '--reconnect-max-ms', '500', ...trust, ...(o.tokenFile ? ['--identity-token-file', o.tokenFile] : []), '--listen', `127.0.0.1:${grpcPort}`, '--http-listen', `127.0.0.1:${httpPort}`, ...(o.extraArgs ?? [])];
  const proc = startProcess(`sidecar ${o.podName}`, process.execPath, args);
  const url = `http://127.0.0.1:${httpPort}/${o.waitReady === false ? 'healthz' : 'readyz'}`;
  await waitFor(`sidecar ${o.podName} to be ${o.waitReady === false ? 'up' : 'ready'}`, () => httpOk(url), 20_000, proc);
  return Object.assign(proc, { grpcPort, httpPort, options: { ...o, ports: { grpc: grpcPort, http: httpPort } } });
}

/**
 * Creates a ServiceAccount and a Pod (it stays Pending: there is no kubelet)
 * and writes a projected-style token bound to that pod, audience
 * stepup-controller, to a file. Returns the file.
 */
export async function podIdentity(kube: KubeEnv, namespace: string, podName: string, labels: Record<string, string>, serviceAccount = 'app'): Promise<string> {
  await kube.apply(`apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${serviceAccount}, namespace: ${namespace}}\n`);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: podName, namespace, labels }, spec: { serviceAccountName: serviceAccount, automountServiceAccountToken: false, containers: [{ name: 'app', image: 'registry.invalid/app:1' }] } };
  await kube.apply(JSON.stringify(pod));
  const token = await kube.kubectl(['create', 'token', serviceAccount, '-n', namespace, '--audience', 'stepup-controller', '--bound-object-kind', 'Pod', '--bound-object-name', podName, '--duration', '1h']);
  return writeTemp(tempDir('token'), 'token', token.trim());
}
