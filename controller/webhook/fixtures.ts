// Injection settings for tests: the chart's defaults, with the chart's Envoy
// bootstrap template. Integration tests use the settings the chart renders.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../common/package-root.js';
import { parseInjectionSettings, type InjectionSettings } from './settings.js';

export function chartBootstrapTemplate(): string {
  return readFileSync(join(packageRoot(), 'charts', 'stepup', 'files', 'envoy-bootstrap.yaml'), 'utf8');
}

/** An Ed25519 public key in PEM, as the controller's main would give the webhook. */
export const TEST_PUBLIC_KEY = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();

export function testSettingsInput(): Record<string, unknown> {
  return {
    controllerPublicKey: TEST_PUBLIC_KEY,
    mode: 'envoy',
    version: '0.1.0',
    controllerAddress: 'stepup-controller.stepup-system.svc:9090',
    excludedNamespaces: ['stepup-system', 'kube-system'],
    portNames: ['http', 'http-*', 'http2', 'grpc', 'grpc-*'],
    routeContext: {},
    authzTimeoutMs: 200,
    runAsUser: 65532,
    stateSizeLimit: '16Mi',
    sidecar: { image: 'stepup-sidecar:0.1.0', imagePullPolicy: 'IfNotPresent', deadlineMs: 150, logLevel: 'info', insecure: false, tokenAudience: 'stepup-controller', authzPort: 15191, httpPort: 15192, extraArgs: [], resources: { requests: { cpu: '20m' } } },
    envoy: { image: 'envoyproxy/envoy:distroless-v1.40.0', imagePullPolicy: 'IfNotPresent', adminPort: 15190, firstListenerPort: 15180, concurrency: 2, logLevel: 'warning', resources: {} },
  };
}

/** Settings with `change` applied to the input first. */
export function testSettings(change: (input: Record<string, any>) => void = () => {}): InjectionSettings {
  const input = testSettingsInput();
  change(input);
  return parseInjectionSettings(input, chartBootstrapTemplate());
}

/** Applies add/remove/replace operations (what diffToPatch emits) to a copy, as the API server would. */
export function applyPatch<T>(doc: T, patch: readonly { op: string; path: string; value?: unknown }[]): T {
  const root = structuredClone(doc) as unknown as Record<string, unknown>;
  for (const op of patch) {
    const keys = op.path.split('/').slice(1).map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = keys.pop() as string;
    let parent: any = root;
    for (const k of keys) parent = parent[k];
    if (parent === undefined) throw new Error(`path ${op.path} does not exist`);
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (op.op === 'add') parent.splice(i, 0, structuredClone(op.value));
      else if (op.op === 'remove') parent.splice(i, 1);
      else parent[i] = structuredClone(op.value);
    } else if (op.op === 'remove') {
      if (!(last in parent)) throw new Error(`remove ${op.path}: no such member`);
      delete parent[last];
    } else {
      if (op.op === 'replace' && !(last in parent)) throw new Error(`replace ${op.path}: no such member`);
      parent[last] = structuredClone(op.value);
    }
  }
  return root as unknown as T;
}
