// reliability.md item 2: the shipped Envoy configs never fail open.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { envoyBootstrap } from '../harness/envoy.js';

const EXT_AUTHZ = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
const PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute';

function walk(node: unknown, visit: (n: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
  else if (node && typeof node === 'object') {
    visit(node as Record<string, unknown>);
    Object.values(node).forEach((n) => walk(n, visit));
  }
}

const files = readdirSync('deploy/envoy').filter((f) => /\.ya?ml$/.test(f)).map((f) => join('deploy/envoy', f));

describe('shipped Envoy configuration', () => {
  it.each(files)('%s: ext_authz fails closed, with an explicit timeout, on every route', (file) => {
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
    const filters: Record<string, unknown>[] = [];
    const perRoute: Record<string, unknown>[] = [];
    walk(docs, (n) => {
      if (n['@type'] === EXT_AUTHZ) filters.push(n);
      if (n['@type'] === PER_ROUTE) perRoute.push(n);
    });
    expect(filters.length).toBeGreaterThan(0);
    for (const f of filters) {
      expect(f.failure_mode_allow).toBe(false);
      expect((f.grpc_service as Record<string, unknown>).timeout).toMatch(/^0\.\d+s$/);
      expect(f.filter_enabled).toBeUndefined();
      expect(f.deny_at_disable).toBeUndefined();
    }
    for (const r of perRoute) expect(r.disabled).not.toBe(true);
  });

  it('the tests run that very file, changing only ports', () => {
    const original = readFileSync('deploy/envoy/envoy.yaml', 'utf8');
    const rendered = envoyBootstrap({ listen: 1, admin: 2, authz: 3, app: 4 });
    const strip = (t: string) => t.replace(/port_value: \d+/g, 'port_value: N').replace(/address: (0\.0\.0\.0|127\.0\.0\.1)/g, 'address: A');
    const shape = (t: string) => JSON.stringify(parseAllDocuments(strip(t)).map((d) => d.toJS()));
    expect(shape(rendered)).toBe(shape(original));
  });
});
