// Shared pieces of the controller tests: policies, sidecar + Envoy pairs, and
// waits on StepUpPolicy status read back through kubectl.
import { startControllerSidecar, type ControllerSidecarHandle, type ControllerSidecarOptions } from '../../harness/controller.js';
import { startEnvoy, type EnvoyHandle } from '../../harness/envoy.js';
import { send } from '../../harness/http-client.js';
import type { KubeEnv } from '../../harness/kube.js';
import { waitFor } from '../../harness/processes.js';
import type { Upstream } from '../../harness/upstream.js';

/** A policy whose rules deny the given path prefixes, for pods with app=<app>. */
export function denyPolicy(namespace: string, name: string, app: string, paths: string[], extra = ''): string {
  const rules = paths.map((p, i) => `    - {name: deny-${i}, match: {paths: ["${p}/**"]}, action: Deny}`).join('\n');
  return `apiVersion: stepup.dev/v1alpha1
kind: StepUpPolicy
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: ${app}}}
  rules:
${rules}
${extra}`;
}

export interface Workload {
  sidecar: ControllerSidecarHandle;
  envoy: EnvoyHandle;
  /** Status code of GET path through Envoy. */
  status(path: string): Promise<number>;
  /** Waits until GET path answers `code`. */
  expectStatus(path: string, code: number, what: string): Promise<void>;
  /** Stops the sidecar (Envoy stays) and starts it again on the same ports, options changed by `patch`. */
  restartSidecar(patch?: Partial<ControllerSidecarOptions>): Promise<ControllerSidecarHandle>;
  stop(): Promise<void>;
}

export async function startWorkload(upstream: Upstream, options: ControllerSidecarOptions): Promise<Workload> {
  const first = await startControllerSidecar(options);
  const envoy = await startEnvoy({ authz: first.grpcPort, app: upstream.port });
  const status = async (path: string) => (await send(`${envoy.url}${path}`)).status;
  const w: Workload = {
    sidecar: first,
    envoy,
    status,
    expectStatus: (path, code, what) => waitFor(`${options.podName}: ${what} (GET ${path} -> ${code})`, async () => (await status(path)) === code, 20_000, w.sidecar),
    restartSidecar: async (patch = {}) => {
      await w.sidecar.stop();
      w.sidecar = await startControllerSidecar({ ...w.sidecar.options, ...patch });
      return w.sidecar;
    },
    stop: async () => {
      await envoy.stop();
      await w.sidecar.stop();
    },
  };
  return w;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

export interface PolicyView {
  metadata: { generation: number; uid: string };
  status?: { observedGeneration?: number; version?: string; sidecars?: { selected: number; inSync: number; rejected: number; summary: string }; conditions?: Condition[] };
}

export function condition(p: PolicyView, type: string): Condition | undefined {
  return p.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the policy's status satisfies `check`; the error shows the last status seen. */
export async function waitForPolicy(kube: KubeEnv, namespace: string, name: string, what: string, check: (p: PolicyView) => boolean, timeoutMs = 20_000): Promise<PolicyView> {
  let last: PolicyView | undefined;
  try {
    await waitFor(`${namespace}/${name}: ${what}`, async () => {
      last = await kube.getJson<PolicyView>(['stepuppolicy', '-n', namespace, name]);
      return check(last);
    }, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast status: ${JSON.stringify(last?.status)}`);
  }
  return last as PolicyView;
}

/** Accepted and Enforced true at the current generation, with `summary` sidecars in sync. */
export function enforcedAt(summary: string): (p: PolicyView) => boolean {
  return (p) =>
    p.status?.observedGeneration === p.metadata.generation &&
    condition(p, 'Accepted')?.status === 'True' &&
    condition(p, 'Enforced')?.status === 'True' &&
    condition(p, 'Enforced')?.observedGeneration === p.metadata.generation &&
    p.status?.sidecars?.summary === summary;
}

export async function createNamespace(kube: KubeEnv, name: string): Promise<void> {
  await kube.apply(`apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}}\n`);
}
