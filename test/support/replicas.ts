// Replicas of one workload for the signal tests: each replica is a real
// sidecar behind its own real Envoy (deploy/envoy/envoy.yaml), all sharing one
// test issuer, one upstream and one policy, and (when given) one Redis.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEnvoy, type EnvoyHandle } from '../../harness/envoy.js';
import { send, type Reply, type SendOptions } from '../../harness/http-client.js';
import { buildMmdb } from '../../harness/mmdb-writer.js';
import { tempDir, waitFor, writeTemp } from '../../harness/processes.js';
import { decisionLines, startSidecar, type SidecarHandle } from '../../harness/sidecar.js';
import { TestIssuer } from '../../harness/test-issuer.js';
import { startUpstream, type Upstream } from '../../harness/upstream.js';

/** Client addresses the test geo database places (documentation ranges). */
export const ADDR = {
  paris: '203.0.113.10',
  reims: '203.0.113.200',
  sydney: '192.0.2.10',
  flagged: '198.51.100.7',
} as const;

/** A .mmdb placing ADDR's blocks: Paris and Reims (FR, 130 km apart), Sydney (AU); the flagged block is not in it. */
export function writeGeoDb(dir: string): string {
  const file = join(dir, 'geo.mmdb');
  writeFileSync(
    file,
    buildMmdb([
      { cidr: '203.0.113.0/25', country: 'FR', lat: 48.8566, lon: 2.3522 },
      { cidr: '203.0.113.128/25', country: 'FR', lat: 49.2583, lon: 4.0317 },
      { cidr: '192.0.2.0/24', country: 'AU', lat: -33.8688, lon: 151.2093 },
    ]),
  );
  return file;
}

/** One rule per signal, each on its own path. */
export function signalPolicy(issuer: TestIssuer, ipLists = '    - {name: tor, flagged: true, cidrs: ["198.51.100.0/24"]}'): string {
  return `apiVersion: stepup.dev/v1alpha1
kind: StepUpPolicy
metadata: {name: signals, namespace: shop}
spec:
  issuers:
    - {issuer: "${issuer.url}", jwksUri: "${issuer.jwksUri}", audiences: [payments-api]}
  levels:
    - {name: basic, acr: ["1"]}
    - {name: mfa, acr: ["2"]}
  ipLists:
${ipLists}
  devices: {trustLevel: mfa}
  rules:
    - {name: untrusted-device, match: {paths: ["/v1/device/**"]}, when: "!signals.device.trusted", require: {level: mfa}}
    - {name: flagged-address, match: {paths: ["/v1/pay/**"]}, when: "signals.ip.flagged", require: {level: mfa}}
    - {name: flagged-export, match: {paths: ["/v1/export/**"]}, when: "signals.ip.flagged", action: Deny}
    - {name: travel, match: {paths: ["/v1/travel/**"]}, when: "signals.travel.impossible", require: {level: mfa}}
    - {name: burst, match: {paths: ["/v1/rate/**"]}, when: "signals.activity.rate > 5", action: Deny}
    - {name: continuous, match: {paths: ["/v1/account/**"]}, require: {level: basic, afterRisk: true}}
    - {name: one-time, match: {paths: ["/v1/once/**"]}, require: {level: basic, singleUse: true}}
    - {name: plain, match: {paths: ["/v1/plain/**"]}, require: {level: basic}}
`;
}

export interface Replica {
  readonly sidecar: SidecarHandle;
  readonly envoy: EnvoyHandle;
  call(path: string, opts?: SendOptions): Promise<Reply>;
  /** The sidecar's /readyz body. */
  readyz(): Promise<string>;
  /** One metric value from the sidecar's /metrics (first sample whose line starts with `prefix`). */
  metric(prefix: string): Promise<number>;
  /** The decision log line of the last request sent through this replica (waits for it to be written). */
  lastDecision(): Promise<Record<string, unknown>>;
}

export interface Replicas {
  readonly issuer: TestIssuer;
  readonly upstream: Upstream;
  readonly all: Replica[];
  readonly dir: string;
  /** Waits until no replica has a signal write in flight. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

async function startReplica(policyFile: string, args: string[], upstream: Upstream): Promise<Replica> {
  const sidecar = await startSidecar(policyFile, args);
  const envoy = await startEnvoy({ authz: sidecar.grpcPort, app: upstream.port });
  const base = `http://127.0.0.1:${sidecar.httpPort}`;
  let calls = 0; // every request through Envoy makes exactly one decision
  const replica: Replica = {
    sidecar,
    envoy,
    call: (path, opts) => {
      calls++;
      return send(`${envoy.url}${path}`, opts);
    },
    readyz: async () => (await send(`${base}/readyz`)).body,
    metric: async (prefix) => {
      const line = (await send(`${base}/metrics`)).body.split('\n').find((l) => l.startsWith(prefix));
      if (!line) throw new Error(`no metric ${prefix}`);
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    },
    lastDecision: async () => {
      await waitFor('the decision log line', async () => decisionLines(sidecar).length >= calls, 5000);
      return decisionLines(sidecar)[calls - 1] as Record<string, unknown>;
    },
  };
  return replica;
}

/** First requests compile code paths, open the Redis connection and load its script: do them before timing anything. */
async function warmUp(replica: Replica, issuer: TestIssuer): Promise<void> {
  const token = await issuer.token({ sub: `warm-up-${replica.sidecar.grpcPort}`, acr: '1', auth_time: now() });
  for (let i = 0; i < 3; i++) {
    await replica.call('/warm-up', { headers: { 'x-forwarded-for': '127.0.0.1' } });
    await replica.call('/v1/plain/warm-up', { headers: from('127.0.0.1', token, 'warm-up') });
  }
}

export async function startReplicas(count: number, args: string[], policy: (issuer: TestIssuer, dir: string) => string = (i) => signalPolicy(i)): Promise<Replicas> {
  const issuer = await TestIssuer.start();
  const dir = tempDir('signals');
  const policyFile = writeTemp(dir, 'policy.yaml', policy(issuer, dir));
  const upstream = await startUpstream();
  const all: Replica[] = [];
  for (let i = 0; i < count; i++) all.push(await startReplica(policyFile, args, upstream));
  for (const replica of all) await warmUp(replica, issuer);
  return {
    issuer,
    upstream,
    all,
    dir,
    settle: async () => {
      for (const r of all) await waitFor('signal writes to finish', async () => (await r.metric('stepup_signal_store_pending_writes')) === 0, 5000);
    },
    stop: async () => {
      for (const r of all) {
        await r.envoy.stop();
        await r.sidecar.stop();
      }
      await upstream.close();
      await issuer.close();
    },
  };
}

export const now = () => Math.floor(Date.now() / 1000);

/** Headers of a request from `address` (one trusted hop), with a bearer token and optionally a device. */
export function from(address: string, token?: string, device?: string): Record<string, string> {
  return { 'x-forwarded-for': address, ...(token ? { authorization: `Bearer ${token}` } : {}), ...(device ? { 'x-device-id': device } : {}) };
}
