import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { chartBootstrapTemplate } from './fixtures.js';
import { BootstrapError, renderEnvoyBootstrap, type BootstrapParams } from './envoy-bootstrap.js';

const template = parse(chartBootstrapTemplate()) as Record<string, unknown>;
const params: BootstrapParams = {
  adminPort: 15190,
  authzPort: 15191,
  timeoutMs: 250,
  routeContext: {},
  listeners: [
    { name: 'http', port: 15180, appPort: 8080, http2: false },
    { name: 'grpc', port: 15181, appPort: 9090, http2: true },
  ],
};

function collect(node: unknown, type: string, out: any[] = []): any[] {
  if (Array.isArray(node)) node.forEach((n) => collect(n, type, out));
  else if (node && typeof node === 'object') {
    if ((node as any)['@type'] === type) out.push(node);
    Object.values(node).forEach((n) => collect(n, type, out));
  }
  return out;
}

describe('renderEnvoyBootstrap', () => {
  const b = renderEnvoyBootstrap(template, params) as any;

  it('one listener per port on the pod IP, each routed to its own loopback cluster', () => {
    expect(b.static_resources.listeners.map((l: any) => [l.name, l.address.socket_address.address, l.address.socket_address.port_value])).toEqual([
      ['ingress_http', '0.0.0.0', 15180],
      ['ingress_grpc', '0.0.0.0', 15181],
    ]);
    const routes = b.static_resources.listeners.map((l: any) => l.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.cluster);
    expect(routes).toEqual(['app_0', 'app_1']);
    expect(b.static_resources.clusters.map((c: any) => c.name)).toEqual(['stepup_authz', 'app_0', 'app_1']);
  });

  it('every ext_authz filter fails closed with the configured timeout; no route disables it', () => {
    const filters = collect(b, 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz');
    expect(filters).toHaveLength(2);
    for (const f of filters) {
      expect(f.failure_mode_allow).toBe(false);
      expect(f.grpc_service).toMatchObject({ envoy_grpc: { cluster_name: 'stepup_authz' }, timeout: '0.250s' });
      expect(f.filter_enabled).toBeUndefined();
    }
    for (const r of collect(b, 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute')) {
      expect(r.disabled).toBeUndefined();
      expect(r.check_settings.context_extensions).toBeUndefined();
    }
  });

  it('keeps path normalisation from the template', () => {
    const hcm = b.static_resources.listeners[1].filter_chains[0].filters[0].typed_config;
    expect(hcm).toMatchObject({ normalize_path: true, merge_slashes: true, path_with_escaped_slashes_action: 'REJECT_REQUEST', stat_prefix: 'ingress_grpc' });
  });

  it('does not change the template', () => {
    expect(template).toEqual(parse(chartBootstrapTemplate()));
  });

  it('refuses a template without the expected clusters, and an empty port list', () => {
    const noApp = structuredClone(template) as any;
    noApp.static_resources.clusters = noApp.static_resources.clusters.filter((c: any) => c.name !== 'app');
    expect(() => renderEnvoyBootstrap(noApp, params)).toThrow(BootstrapError);
    expect(() => renderEnvoyBootstrap(template, { ...params, listeners: [] })).toThrow(/no port/);
  });
});
