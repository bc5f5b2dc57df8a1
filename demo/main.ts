#!/usr/bin/env node
// The stepup demo (README command 1): a real OpenID Provider, the stepup
// sidecar with the example policy, a real Envoy and a small upstream app, all
// on loopback; then a walk through step-up authentication, checked at every
// step. Exits 0 only when every step behaved as expected.
import { rmSync } from 'node:fs';
import { startEnvoy } from '../harness/envoy.js';
import { tempDir } from '../harness/processes.js';
import { startSidecar } from '../harness/sidecar.js';
import { startUpstream } from '../harness/upstream.js';
import { discover } from './client/sign-in.js';
import { startIdentityProvider } from './idp/identity-provider.js';
import { EXAMPLE_POLICY, exampleClient, writeDemoPolicy } from './policy.js';
import { Report } from './report.js';
import { walkThrough, type Demo } from './walkthrough.js';

/** The person of the story, as the IdP knows her and as she answers its sign-in page. */
const ALICE = { id: 'alice', password: 'correct horse battery staple', otp: '284915' };
/** The payments API as the IdP knows it: resource indicator, token audience, scope. */
const PAYMENTS_API = { resource: 'urn:example:payments-api', audience: 'payments-api', scope: 'payments' };

/** What was started, stopped in reverse order, failures ignored. */
class Stops {
  private readonly stops: (() => Promise<unknown> | unknown)[] = [];

  add(stop: () => Promise<unknown> | unknown): void {
    this.stops.push(stop);
  }

  async run(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) {
      await Promise.resolve()
        .then(stop)
        .catch(() => {});
    }
  }
}

async function start(report: Report, stops: Stops): Promise<Demo> {
  const app = exampleClient();
  const idp = await startIdentityProvider({ ...app, ...PAYMENTS_API, accounts: [ALICE] });
  stops.add(() => idp.close());
  const endpoints = await discover(idp.issuer);
  const dir = tempDir('demo');
  stops.add(() => rmSync(dir, { recursive: true, force: true }));
  const policy = writeDemoPolicy(dir, endpoints);
  const upstream = await startUpstream();
  stops.add(() => upstream.close());
  const sidecar = await startSidecar(policy);
  stops.add(() => sidecar.stop());
  const envoy = await startEnvoy({ authz: sidecar.grpcPort, app: upstream.port });
  stops.add(() => envoy.stop());

  report.line('Running on 127.0.0.1 (all stopped at the end):');
  report.line(`  OpenID Provider  ${idp.issuer.padEnd(24)} oidc-provider: code flow + PKCE, ES256 JWT access tokens, JWKS ${new URL(endpoints.jwksUri).pathname}`);
  report.line(`  stepup sidecar   ${`127.0.0.1:${sidecar.grpcPort} (gRPC)`.padEnd(24)} ${EXAMPLE_POLICY}, issuer pointed at the provider`);
  report.line(`  payments app     ${`127.0.0.1:${upstream.port}`.padEnd(24)} answers 200 and records what reached it`);
  report.line(`  Envoy            ${envoy.url.padEnd(24)} deploy/envoy/envoy.yaml: ext_authz → sidecar, then → app`);
  const client = { ...app, scope: `openid ${PAYMENTS_API.scope}`, resource: PAYMENTS_API.resource };
  const person = { username: ALICE.id, password: ALICE.password, otp: ALICE.otp };
  return { report, api: envoy.url, idp, endpoints, client, person, upstream, sidecar };
}

async function main(): Promise<number> {
  const report = new Report();
  const stops = new Stops();
  const interrupt = () => void stops.run().finally(() => process.exit(130));
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  report.line('stepup demo: step-up authentication for a payments API behind Envoy');
  report.line();
  try {
    await walkThrough(await start(report, stops));
    report.line();
    report.line(`PASS: all ${report.steps} steps behaved as expected.`);
    return 0;
  } catch (err) {
    report.line();
    report.line(`FAIL ${report.where()}: ${(err as Error).message}`);
    return 1;
  } finally {
    await stops.run();
  }
}

process.exit(await main());
