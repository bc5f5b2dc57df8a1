// Renders one pod's Envoy bootstrap from the shipped template (the chart's
// files/envoy-bootstrap.yaml, a copy of deploy/envoy/envoy.yaml): one
// listener per taken-over port, each forwarding to the app on loopback, the
// ext_authz timeout and the sidecar's port from the settings, the route
// context from the pod. Everything else, including failure_mode_allow: false,
// is kept as shipped.

type Node = Record<string, unknown>;

const EXT_AUTHZ = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
const PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute';
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
export const AUTHZ_CLUSTER = 'stepup_authz';
const APP_CLUSTER = 'app';

export interface BootstrapListener {
  /** The port's original name (what Services target). */
  name: string;
  /** Where Envoy listens on the pod IP. */
  port: number;
  /** The app's port on 127.0.0.1. */
  appPort: number;
  /** The app speaks HTTP/2 (gRPC) on this port. */
  http2: boolean;
}

export interface BootstrapParams {
  adminPort: number;
  authzPort: number;
  timeoutMs: number;
  listeners: readonly BootstrapListener[];
  routeContext: Readonly<Record<string, string>>;
}

export class BootstrapError extends Error {}

function walk(node: unknown, visit: (n: Node) => void): void {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
  else if (node && typeof node === 'object') {
    visit(node as Node);
    Object.values(node).forEach((n) => walk(n, visit));
  }
}

function socket(address: string, port: number): Node {
  return { socket_address: { address, port_value: port } };
}

function endpoint(cluster: Node, port: number): void {
  cluster.load_assignment = { cluster_name: cluster.name, endpoints: [{ lb_endpoints: [{ endpoint: { address: socket('127.0.0.1', port) } }] }] };
}

/** A listener for one taken-over port, cloned from the template's listener. */
function listenerFor(proto: Node, l: BootstrapListener, cluster: string, p: BootstrapParams): Node {
  const listener = structuredClone(proto);
  listener.name = `ingress_${l.name}`;
  listener.address = socket('0.0.0.0', l.port);
  walk(listener, (n) => {
    if (typeof n.stat_prefix === 'string') n.stat_prefix = `ingress_${l.name}`;
    if (n.route && typeof (n.route as Node).cluster === 'string') (n.route as Node).cluster = cluster;
    if (n['@type'] === EXT_AUTHZ) ((n.grpc_service as Node).timeout = `${(p.timeoutMs / 1000).toFixed(3)}s`);
    if (n['@type'] === PER_ROUTE) {
      const settings = (n.check_settings ?? {}) as Node;
      if (Object.keys(p.routeContext).length > 0) settings.context_extensions = { ...p.routeContext };
      else delete settings.context_extensions;
      n.check_settings = settings;
    }
  });
  return listener;
}

function appCluster(proto: Node, l: BootstrapListener, name: string): Node {
  const cluster = structuredClone(proto);
  cluster.name = name;
  endpoint(cluster, l.appPort);
  if (l.http2) {
    cluster.typed_extension_protocol_options = {
      [HTTP_OPTIONS]: { '@type': `type.googleapis.com/${HTTP_OPTIONS}`, explicit_http_config: { http2_protocol_options: {} } },
    };
  }
  return cluster;
}

/** The bootstrap for one pod. Throws BootstrapError when the template lacks the expected listener or clusters. */
export function renderEnvoyBootstrap(template: Readonly<Node>, p: BootstrapParams): Node {
  const config = structuredClone(template) as Node;
  const res = config.static_resources as { listeners?: Node[]; clusters?: Node[] } | undefined;
  const protoListener = res?.listeners?.[0];
  const authz = res?.clusters?.find((c) => c.name === AUTHZ_CLUSTER);
  const protoApp = res?.clusters?.find((c) => c.name === APP_CLUSTER);
  if (!res || res.listeners?.length !== 1 || !protoListener || !authz || !protoApp) {
    throw new BootstrapError(`the Envoy bootstrap template must have one listener and the clusters "${AUTHZ_CLUSTER}" and "${APP_CLUSTER}"`);
  }
  if (p.listeners.length === 0) throw new BootstrapError('no port to listen on');
  config.admin = { ...(config.admin as Node), address: socket('127.0.0.1', p.adminPort) };
  endpoint(authz, p.authzPort);
  const names = p.listeners.map((_, i) => `app_${i}`);
  res.listeners = p.listeners.map((l, i) => listenerFor(protoListener, l, names[i] as string, p));
  const others = res.clusters?.filter((c) => c !== protoApp) ?? [];
  res.clusters = [...others, ...p.listeners.map((l, i) => appCluster(protoApp, l, names[i] as string))];
  return config;
}
