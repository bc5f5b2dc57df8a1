// Port takeover: Envoy gets the name of each protected container port, so a
// Service whose targetPort is that name sends traffic to Envoy; the app's port
// is renamed and Envoy forwards to it on 127.0.0.1. Probes that named the
// port are pointed at its number, so the kubelet still reaches the app.
import { KEYS, type Container, type ContainerPort, type Handler, type Pod } from './pod-types.js';
import { MAX_TAKEN_PORTS, reservedPorts, type InjectionSettings } from './settings.js';

export interface TakenPort {
  container: string;
  /** The name Services target; Envoy's port carries it after injection. */
  name: string;
  /** The app's port gets this name instead. */
  renamedTo: string;
  containerPort: number;
  /** Where Envoy listens for this port. */
  listenerPort: number;
  http2: boolean;
}

export type PortChoice = { ok: true; ports: TakenPort[] } | { ok: false; reason: string };

const isTcp = (p: ContainerPort) => (p.protocol ?? 'TCP') === 'TCP';

function matches(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

function requestedNames(pod: Pod, named: Map<string, [Container, ContainerPort][]>, settings: InjectionSettings): string[] | string {
  const listed = pod.metadata?.annotations?.[KEYS.ports];
  if (listed === undefined) return [...named.keys()].filter((n) => matches(n, settings.portNames));
  const names = listed.split(',').map((n) => n.trim()).filter(Boolean);
  const unknown = names.filter((n) => !named.has(n));
  return unknown.length > 0 ? `annotation ${KEYS.ports} names ${unknown.join(', ')}, which no container declares as a named TCP port` : names;
}

function conflicts(pod: Pod, settings: InjectionSettings): string | undefined {
  const reserved = new Set(reservedPorts(settings));
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  for (const c of all) {
    const clash = (c.ports ?? []).find((p) => reserved.has(p.containerPort));
    if (clash) return `container ${c.name} uses port ${clash.containerPort}, which the injected proxy needs (reserved: ${[...reserved].join(', ')})`;
  }
  return undefined;
}

/** Which ports Envoy takes over, or why the pod cannot be protected. */
export function choosePorts(pod: Pod, settings: InjectionSettings): PortChoice {
  const clash = conflicts(pod, settings);
  if (clash) return { ok: false, reason: clash };
  const named = new Map<string, [Container, ContainerPort][]>();
  for (const c of pod.spec?.containers ?? []) {
    for (const p of (c.ports ?? []).filter((q) => q.name && isTcp(q))) named.set(p.name as string, [...(named.get(p.name as string) ?? []), [c, p]]);
  }
  const names = requestedNames(pod, named, settings);
  if (typeof names === 'string') return { ok: false, reason: names };
  if (names.length > MAX_TAKEN_PORTS) return { ok: false, reason: `${names.length} ports to protect; at most ${MAX_TAKEN_PORTS}` };
  const ports: TakenPort[] = [];
  for (const [i, name] of names.entries()) {
    const owners = named.get(name) ?? [];
    if (owners.length > 1) return { ok: false, reason: `port name ${name} is declared by more than one container` };
    const [c, p] = owners[0] as [Container, ContainerPort];
    if (p.hostPort) return { ok: false, reason: `port ${name} of container ${c.name} has a hostPort, which would bypass the proxy` };
    const http2 = /^(grpc|http2)(-|$)/.test(name);
    ports.push({ container: c.name, name, renamedTo: `stepup-app-${i}`, containerPort: p.containerPort, listenerPort: settings.envoy.firstListenerPort + i, http2 });
  }
  return { ok: true, ports };
}

function repoint(handler: Handler | undefined, byName: Map<string, number>): void {
  for (const action of [handler?.httpGet, handler?.tcpSocket]) {
    if (action && typeof action.port === 'string' && byName.has(action.port)) action.port = byName.get(action.port) as number;
  }
}

/** Renames the taken ports on the app containers and points their probes and hooks at the numbers. */
export function renameTakenPorts(pod: Pod, taken: readonly TakenPort[]): void {
  for (const c of pod.spec?.containers ?? []) {
    const mine = taken.filter((t) => t.container === c.name);
    if (mine.length === 0) continue;
    const byName = new Map(mine.map((t) => [t.name, t.containerPort]));
    for (const p of c.ports ?? []) {
      const t = mine.find((m) => m.name === p.name);
      if (t) p.name = t.renamedTo;
    }
    [c.livenessProbe, c.readinessProbe, c.startupProbe, c.lifecycle?.postStart, c.lifecycle?.preStop].forEach((h) => repoint(h, byName));
  }
}

/** The record kept on the pod: http=stepup-app-0:8080,grpc=stepup-app-1:9090. */
export function describeTaken(taken: readonly TakenPort[]): string {
  return taken.map((t) => `${t.name}=${t.renamedTo}:${t.containerPort}`).join(',');
}
