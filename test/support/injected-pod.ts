// Runs the containers the webhook injected into a stored pod, as the kubelet
// would, but as local processes: the sidecar from dist/ with the container's
// args, and the real Envoy with the container's args (its bootstrap inline).
// Two changes only, both said here: servers bind 127.0.0.1 instead of the pod
// IP, and the sidecar's controller-mode flags are replaced by --policies
// (standalone mode), since no controller runs in these tests.
import { envoyBinary } from '../../harness/envoy.js';
import { httpOk, startProcess, waitFor, type Running } from '../../harness/processes.js';
import { sidecarEntry } from '../../harness/sidecar.js';

type Obj = Record<string, any>;

/** Flags that only make sense with a controller; dropped in favour of --policies. */
export const CONTROLLER_MODE_FLAGS = ['--controller', '--pod-name', '--state-dir', '--controller-public-key', '--insecure'];

function container(pod: Obj, name: string): Obj {
  const c = (pod.spec.containers as Obj[]).find((x) => x.name === name);
  if (!c) throw new Error(`the stored pod has no container ${name}: ${pod.spec.containers.map((x: Obj) => x.name).join(', ')}`);
  return c;
}

/** $(VAR) references resolved the way the kubelet does, from the container's env and the pod's metadata. */
function expand(arg: string, c: Obj, pod: Obj): string {
  const fields: Record<string, string> = { 'metadata.name': pod.metadata.name, 'metadata.namespace': pod.metadata.namespace };
  const env = Object.fromEntries((c.env ?? []).map((e: Obj) => [e.name, e.value ?? fields[e.valueFrom?.fieldRef?.fieldPath]]));
  return arg.replace(/\$\(([A-Z_]+)\)/g, (m, name: string) => env[name] ?? m);
}

const onLoopback = (arg: string) => arg.replace(/^(--[a-z-]+=)0\.0\.0\.0:/, '$1127.0.0.1:');

export function sidecarArgs(pod: Obj, policies: string): string[] {
  const c = container(pod, 'stepup-sidecar');
  const kept = (c.args as string[]).filter((a) => !CONTROLLER_MODE_FLAGS.includes(a.split('=')[0] as string));
  return [...kept.map((a) => onLoopback(expand(a, c, pod))), `--policies=${policies}`];
}

export function envoyArgs(pod: Obj): { args: string[]; bootstrap: Obj } {
  const args = [...(container(pod, 'stepup-envoy').args as string[])];
  const i = args.indexOf('--config-yaml');
  const bootstrap = JSON.parse(args[i + 1] as string) as Obj;
  for (const l of bootstrap.static_resources.listeners) l.address.socket_address.address = '127.0.0.1';
  args[i + 1] = JSON.stringify(bootstrap);
  return { args, bootstrap };
}

export interface RunningPod {
  sidecar: Running;
  envoy: Running;
  /** Envoy's first listener: where the Service's traffic arrives. */
  url: string;
  stop(): Promise<void>;
}

export async function runInjectedPod(pod: Obj, policies: string): Promise<RunningPod> {
  const sArgs = sidecarArgs(pod, policies);
  const httpListen = sArgs.find((a) => a.startsWith('--http-listen='))?.split('=')[1];
  const sidecar = startProcess('injected stepup-sidecar', process.execPath, [sidecarEntry(), ...sArgs]);
  await waitFor('the injected sidecar to be ready', () => httpOk(`http://${httpListen}/readyz`), 20_000, sidecar);
  const { args, bootstrap } = envoyArgs(pod);
  const envoy = startProcess('injected envoy', envoyBinary(), args);
  const admin = bootstrap.admin.address.socket_address.port_value;
  await waitFor('the injected Envoy to be ready', () => httpOk(`http://127.0.0.1:${admin}/ready`), 30_000, envoy);
  const port = bootstrap.static_resources.listeners[0].address.socket_address.port_value;
  return {
    sidecar,
    envoy,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await envoy.stop();
      await sidecar.stop();
    },
  };
}

