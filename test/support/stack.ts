// A full request path for integration tests: a test issuer (JWKS on loopback),
// the real sidecar, a real Envoy running deploy/envoy/envoy.yaml, and an
// upstream that records what reached it.
import { startEnvoy, type EnvoyHandle } from '../../harness/envoy.js';
import { send, type Reply, type SendOptions } from '../../harness/http-client.js';
import { tempDir, writeTemp } from '../../harness/processes.js';
import { startSidecar, type SidecarHandle } from '../../harness/sidecar.js';
import { TestIssuer } from '../../harness/test-issuer.js';
import { startUpstream, type Upstream } from '../../harness/upstream.js';

export function testPolicy(issuer: TestIssuer, extraRules = ''): string {
  return `apiVersion: stepup.dev/v1alpha1
kind: StepUpPolicy
metadata: {name: payments, namespace: shop}
spec:
  issuers:
    - issuer: ${issuer.url}
      jwksUri: ${issuer.jwksUri}
      audiences: [payments-api]
      authorizationEndpoint: ${issuer.url}/auth
      clientId: payments-web
      redirectUri: https://app.example.com/callback
  levels:
    - {name: basic, acr: ["1"]}
    - {name: mfa, acr: ["2", "urn:example:loa:2"]}
    - {name: phishing-resistant, acr: ["3"], amr: {anyOf: [hwk]}}
  rules:
    - name: large-transfer
      match: {methods: [POST], paths: ["/v1/transfers", "/v1/transfers/**"]}
      when: "request.body.amount > 10000"
      require: {level: mfa, maxAge: 5m}
    - name: admin
      match: {paths: ["/admin/**"]}
      require: {level: phishing-resistant, maxAge: 15m}
    - name: blocked
      match: {paths: ["/v1/blocked/**"]}
      action: Deny
    - name: me
      match: {paths: ["/v1/me"]}
      require: {level: basic}
    - name: production-pii
      match: {paths: ["/v1/records/**"]}
      when: "route.environment == 'production' && route.dataClass == 'financial'"
      require: {level: mfa}
${extraRules}`;
}

export interface Stack {
  issuer: TestIssuer;
  sidecar: SidecarHandle;
  envoy: EnvoyHandle;
  upstream: Upstream;
  policyFile: string;
  /** Sends through Envoy. */
  call(path: string, opts?: SendOptions): Promise<Reply>;
  stop(): Promise<void>;
}

export async function startStack(sidecarArgs: string[] = [], policy?: (issuer: TestIssuer) => string): Promise<Stack> {
  const issuer = await TestIssuer.start();
  const policyFile = writeTemp(tempDir('policy'), 'policy.yaml', (policy ?? testPolicy)(issuer));
  const upstream = await startUpstream();
  const sidecar = await startSidecar(policyFile, sidecarArgs);
  const envoy = await startEnvoy({ authz: sidecar.grpcPort, app: upstream.port });
  return {
    issuer,
    sidecar,
    envoy,
    upstream,
    policyFile,
    call: (path, opts) => send(`${envoy.url}${path}`, opts),
    stop: async () => {
      await envoy.stop();
      await sidecar.stop();
      await upstream.close();
      await issuer.close();
    },
  };
}

export const now = () => Math.floor(Date.now() / 1000);
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
