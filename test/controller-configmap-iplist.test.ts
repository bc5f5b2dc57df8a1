// IP lists taken from a ConfigMap (spec.ipLists[].configMapRef), end to end on
// a real kube-apiserver: the controller reads the ConfigMap of the policy's
// namespace and sends its entries to the sidecar (behind a real Envoy, client
// address from x-forwarded-for); a ConfigMap edit is enforced without touching
// the policy; a deleted ConfigMap makes the policy Accepted=False while the
// sidecar keeps the version it has.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../common/package-root.js';
import { makeSigningKeyFiles, podIdentity, startController, type ControllerHandle } from '../harness/controller.js';
import { send } from '../harness/http-client.js';
import { kubeUp, type KubeEnv } from '../harness/kube.js';
import { tempDir, waitFor } from '../harness/processes.js';
import { startUpstream, type Upstream } from '../harness/upstream.js';
import { condition, createNamespace, enforcedAt, startWorkload, waitForPolicy, type Workload } from './support/kube-stack.js';

const FIRST = '198.51.100.7';
const SECOND = '203.0.113.9';

let kube: KubeEnv;
let controller: ControllerHandle;
let upstream: Upstream;
let payments: Workload;

const partners = (lines: string) => `apiVersion: v1
kind: ConfigMap
metadata: {name: ip-lists, namespace: shop}
data:
  partners: |
${lines.split('\n').map((l) => `    ${l}`).join('\n')}
`;

const POLICY = `apiVersion: stepup.dev/v1alpha1
kind: StepUpPolicy
metadata: {name: flagged-ips, namespace: shop}
spec:
  selector: {matchLabels: {app: payments}}
  ipLists:
    - {name: blocked, flagged: true, configMapRef: {name: ip-lists, key: partners}}
  rules:
    - {name: deny-flagged, match: {paths: ["/**"]}, when: "signals.ip.flagged", action: Deny}
`;

const from = async (address: string) => (await send(`${payments.envoy.url}/orders`, { headers: { 'x-forwarded-for': address } })).status;
const expectFrom = (address: string, code: number, what: string) =>
  waitFor(`${what} (GET /orders from ${address} -> ${code})`, async () => (await from(address)) === code, 20_000, payments.sidecar);

beforeAll(async () => {
  kube = await kubeUp();
  await kube.kubectl(['apply', '-f', join(packageRoot(), 'deploy', 'crds')]);
  await kube.kubectl(['wait', '--for=condition=Established', 'crd/stepuppolicies.stepup.dev', '--timeout=30s']);
  await createNamespace(kube, 'shop');
  await createNamespace(kube, 'other');
  await createNamespace(kube, 'stepup-system'); // the controller's own: Lease and sync reports
  const keys = makeSigningKeyFiles();
  upstream = await startUpstream();
  controller = await startController(kube.kubeconfig, ['--signing-key-file', keys.privateKey]);
  const token = await podIdentity(kube, 'shop', 'payments-1', { app: 'payments' });
  payments = await startWorkload(upstream, {
    controller: controller.address, namespace: 'shop', podName: 'payments-1', labels: { app: 'payments' }, stateDir: tempDir('state'), trust: keys.publicKey, tokenFile: token,
    extraArgs: ['--trusted-hops', '1'],
  });
}, 180_000);

afterAll(async () => {
  await payments?.stop();
  await controller?.stop();
  await upstream?.close();
  await kube?.down();
});

describe('IP lists from a ConfigMap', () => {
  it('a policy whose ConfigMap does not exist yet is not accepted, and says which reference is missing', async () => {
    // A ConfigMap of the same name in another namespace does not count.
    await kube.apply(partners(FIRST).replace('namespace: shop', 'namespace: other'));
    await kube.apply(POLICY);
    const p = await waitForPolicy(kube, 'shop', 'flagged-ips', 'Accepted=False', (v) => condition(v, 'Accepted')?.status === 'False');
    expect(condition(p, 'Accepted')?.message).toMatch(/spec\.ipLists\[0\]\.configMapRef: ConfigMap shop\/ip-lists not found/);
    expect(await from(FIRST)).toBe(200);
  });

  it('once the ConfigMap appears the policy is accepted: a listed address is denied, another allowed', async () => {
    await kube.apply(partners(`# partners we block\n${FIRST}\n`));
    await expectFrom(FIRST, 403, 'the listed address is flagged');
    expect(await from(SECOND)).toBe(200);
    await waitForPolicy(kube, 'shop', 'flagged-ips', 'enforced, 1/1 in sync', enforcedAt('1/1'));
  });

  it('an edit of the ConfigMap alone is enforced (new version, same generation)', async () => {
    const before = await waitForPolicy(kube, 'shop', 'flagged-ips', 'a version in status', (v) => Boolean(v.status?.version));
    await kube.apply(partners(`${FIRST}\n${SECOND}/32\n`));
    await expectFrom(SECOND, 403, 'the added address is flagged');
    expect(await from(FIRST)).toBe(403);
    expect(await from('192.0.2.1')).toBe(200);
    const after = await waitForPolicy(kube, 'shop', 'flagged-ips', 'enforced at a new version', (v) => enforcedAt('1/1')(v) && v.status?.version !== before.status?.version);
    expect(after.metadata.generation).toBe(before.metadata.generation);
  });

  it('a bad line is not accepted, with the line; the sidecar keeps the previous version', async () => {
    await kube.apply(partners(`${FIRST}\nnot-an-address\n`));
    const p = await waitForPolicy(kube, 'shop', 'flagged-ips', 'Accepted=False for the bad line', (v) => /not-an-address/.test(condition(v, 'Accepted')?.message ?? ''));
    expect(condition(p, 'Accepted')?.message).toMatch(/spec\.ipLists\[0\]\.configMapRef: ConfigMap shop\/ip-lists key partners:2: "not-an-address" is not an IPv4 or IPv6 address/);
    expect(await from(SECOND)).toBe(403);
  });

  it('a deleted ConfigMap: Accepted=False with the reason, and the sidecar keeps enforcing the previous version', async () => {
    await kube.apply(partners(`${FIRST}\n${SECOND}\n`));
    await waitForPolicy(kube, 'shop', 'flagged-ips', 'accepted again', enforcedAt('1/1'));
    await kube.kubectl(['delete', 'configmap', '-n', 'shop', 'ip-lists']);
    const p = await waitForPolicy(kube, 'shop', 'flagged-ips', 'Accepted=False after the delete', (v) => /not found/.test(condition(v, 'Accepted')?.message ?? ''));
    expect(condition(p, 'Accepted')).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(condition(p, 'Accepted')?.message).toMatch(/spec\.ipLists\[0\]\.configMapRef: ConfigMap shop\/ip-lists not found/);
    expect(condition(p, 'Enforced')?.message).toMatch(/sidecars keep enforcing generation 1/);
    expect(await from(FIRST)).toBe(403);
    expect(await from(SECOND)).toBe(403);
    expect(await from('192.0.2.1')).toBe(200);
  });
});
