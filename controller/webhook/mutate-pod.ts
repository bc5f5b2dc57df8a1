// The injection decision and mutation, as a pure function: a pod in, a JSON
// patch (or a refusal with the reason) out. Which pods reach it is decided by
// the MutatingWebhookConfiguration's selectors (namespace or pod labelled
// stepup.dev/inject=enabled); this function still honours every opt-out, so
// a misconfigured selector cannot inject a pod that refused.
import { parseLabels } from '../../common/label-selector.js';
import { envoyContainer, sidecarContainer, sidecarVolumes } from './containers.js';
import { renderEnvoyBootstrap } from './envoy-bootstrap.js';
import { diffToPatch, type PatchOp } from './json-patch.js';
import { KEYS, SIDECAR_NAME, type Pod } from './pod-types.js';
import { choosePorts, describeTaken, renameTakenPorts, type TakenPort } from './port-takeover.js';
import type { InjectionSettings } from './settings.js';

export type Mutation =
  | { allowed: true; injected: boolean; patch: PatchOp[]; reason: string }
  | { allowed: false; reason: string };

const skip = (reason: string): Mutation => ({ allowed: true, injected: false, patch: [], reason });
const deny = (reason: string): Mutation => ({ allowed: false, reason: `stepup injection: ${reason}` });

function skipReason(pod: Pod, namespace: string, s: InjectionSettings): string | undefined {
  const meta = pod.metadata ?? {};
  if (s.excludedNamespaces.includes(namespace)) return `namespace ${namespace} is excluded`;
  if (meta.annotations?.[KEYS.inject] === 'disabled' || meta.labels?.[KEYS.inject] === 'disabled') return `opted out (${KEYS.inject}: disabled)`;
  if (pod.spec?.containers.some((c) => c.name === SIDECAR_NAME)) return 'already injected';
  return undefined;
}

function routeContext(pod: Pod, s: InjectionSettings): Record<string, string> {
  const own = pod.metadata?.annotations?.[KEYS.routeContext];
  return { ...s.routeContext, ...(own ? parseLabels(own) : {}) };
}

/** Ports Envoy takes over, or the Mutation that ends injection here. */
function portsOrEnd(pod: Pod, s: InjectionSettings): TakenPort[] | Mutation {
  const choice = choosePorts(pod, s);
  if (!choice.ok) return deny(`${choice.reason}; or opt the pod out with the annotation ${KEYS.inject}: disabled`);
  if (choice.ports.length > 0) return choice.ports;
  const declaresPorts = pod.spec?.containers.some((c) => (c.ports ?? []).length > 0);
  if (pod.metadata?.annotations?.[KEYS.ports] !== undefined || !declaresPorts) return skip('no port to protect');
  return deny(
    `no named container port matches ${s.portNames.join(', ')}, so a Service could reach the app around the proxy; ` +
      `name the app's HTTP port, list the ports in the annotation ${KEYS.ports}, or opt the pod out with ${KEYS.inject}: disabled`,
  );
}

function inject(pod: Pod, s: InjectionSettings, taken: TakenPort[], context: Record<string, string>): Pod {
  const copy = structuredClone(pod);
  const meta = (copy.metadata ??= {});
  const spec = copy.spec as NonNullable<Pod['spec']>;
  meta.labels = { ...meta.labels, [KEYS.protected]: 'true' };
  meta.annotations = { ...meta.annotations, [KEYS.injected]: s.version };
  if (!s.sidecar.insecure) meta.annotations[KEYS.controllerPublicKey] = s.controllerPublicKey as string;
  if (!meta.annotations[KEYS.defaultContainer] && spec.containers[0]) meta.annotations[KEYS.defaultContainer] = spec.containers[0].name;
  const added = [sidecarContainer(s, meta.labels)];
  if (s.mode === 'envoy') {
    meta.annotations[KEYS.takenPorts] = describeTaken(taken);
    renameTakenPorts(copy, taken);
    const bootstrap = renderEnvoyBootstrap(s.bootstrapTemplate, {
      adminPort: s.envoy.adminPort,
      authzPort: s.sidecar.authzPort,
      timeoutMs: s.authzTimeoutMs,
      routeContext: context,
      listeners: taken.map((t) => ({ name: t.name, port: t.listenerPort, appPort: t.containerPort, http2: t.http2 })),
    });
    added.push(envoyContainer(s, bootstrap, taken));
  }
  spec.containers = [...spec.containers, ...added];
  spec.volumes = [...(spec.volumes ?? []), ...sidecarVolumes(s)];
  return copy;
}

/**
 * Injects the stepup sidecar (and, in Envoy mode, Envoy) into a pod being
 * created in `namespace`. Idempotent: an injected pod yields an empty patch.
 */
export function mutatePod(pod: Pod, namespace: string, settings: InjectionSettings): Mutation {
  if (!pod.spec || !Array.isArray(pod.spec.containers)) return deny('the object is not a pod with containers');
  const skipped = skipReason(pod, namespace, settings);
  if (skipped) return skip(skipped);
  if (pod.spec.hostNetwork) return deny('a pod on the host network cannot be protected by an in-pod proxy');
  if (!settings.sidecar.insecure && !settings.controllerPublicKey) return deny("the controller has no public key to give the sidecar (it could not verify any policy snapshot); check the controller's signing key");
  let context: Record<string, string>;
  try {
    context = routeContext(pod, settings);
  } catch (err) {
    return deny(`annotation ${KEYS.routeContext}: ${(err as Error).message}`);
  }
  let taken: TakenPort[] = [];
  if (settings.mode === 'envoy') {
    const ports = portsOrEnd(pod, settings);
    if (!Array.isArray(ports)) return ports;
    taken = ports;
  }
  const after = inject(pod, settings, taken, context);
  const where = taken.length > 0 ? `, Envoy on ${taken.map((t) => `${t.name}→${t.listenerPort}`).join(', ')}` : '';
  return { allowed: true, injected: true, patch: diffToPatch(pod, after), reason: `injected (${settings.mode} mode${where})` };
}
