// Policy distribution end to end on a real kube-apiserver: StepUpPolicies
// applied with kubectl reach, through the controller, only the sidecars they
// select, each behind a real Envoy; status tells when every selected sidecar
// enforces the new generation. Secure mode: the sidecars prove their pod
// identity (bound service-account tokens, checked by TokenReview) and verify
// the controller's Ed25519 signatures.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../common/package-root.js';
import { makeSigningKeyFiles, podIdentity, startController, startControllerSidecar, type ControllerHandle, type KeyFiles } from '../harness/controller.js';
import { kubeUp, type KubeEnv } from '../harness/kube.js';
import { tempDir, waitFor, writeTemp } from '../harness/processes.js';
import { startUpstream, type Upstream } from '../harness/upstream.js';
import { condition, createNamespace, denyPolicy, enforcedAt, startWorkload, waitForPolicy, type Workload } from './support/kube-stack.js';

let kube: KubeEnv;
let keys: KeyFiles;
let controller: ControllerHandle;
let upstream: Upstream;
let payments: Workload;
let orders: Workload;

beforeAll(async () => {
  kube = await kubeUp();
  await kube.kubectl(['apply', '-f', join(packageRoot(), 'deploy', 'crds')]);
  await kube.kubectl(['wait', '--for=condition=Established', 'crd/stepuppolicies.stepup.dev', '--timeout=30s']);
  await createNamespace(kube, 'shop');
  await createNamespace(kube, 'stepup-system');
  keys = makeSigningKeyFiles();
  upstream = await startUpstream();
  // The signing key comes from a Secret here (the other controller tests use a file).
  await kube.kubectl(['create', 'secret', 'generic', 'stepup-signing-key', '-n', 'stepup-system', `--from-file=ed25519.pem=${keys.privateKey}`]);
  controller = await startController(kube.kubeconfig, ['--signing-key-secret', 'stepup-system/stepup-signing-key']);
  const paymentsToken = await podIdentity(kube, 'shop', 'payments-1', { app: 'payments' });
  const ordersToken = await podIdentity(kube, 'shop', 'orders-1', { app: 'orders' });
  const common = { controller: controller.address, namespace: 'shop', trust: keys.publicKey };
  payments = await startWorkload(upstream, { ...common, podName: 'payments-1', labels: { app: 'payments' }, stateDir: tempDir('state'), tokenFile: paymentsToken });
  // This sidecar claims app=payments, but its pod is labelled app=orders: the pod decides.
  orders = await startWorkload(upstream, { ...common, podName: 'orders-1', labels: { app: 'payments' }, stateDir: tempDir('state'), tokenFile: ordersToken });
}, 180_000);

afterAll(async () => {
  await payments?.stop();
  await orders?.stop();
  await controller?.stop();
  await upstream?.close();
  await kube?.down();
});

describe('distribution through the controller', () => {
  it('with no policy, each sidecar gets an empty snapshot, is ready and allows', async () => {
    expect(await payments.status('/admin/users')).toBe(200);
    expect(await orders.status('/admin/users')).toBe(200);
  });

  it('a policy reaches only the sidecar whose pod it selects', async () => {
    await kube.apply(denyPolicy('shop', 'payments', 'payments', ['/admin']));
    await payments.expectStatus('/admin/users', 403, 'the new Deny rule is enforced');
    expect(await orders.status('/admin/users')).toBe(200);
    const p = await waitForPolicy(kube, 'shop', 'payments', 'Enforced at generation 1, 1/1 in sync', enforcedAt('1/1'));
    expect(condition(p, 'Enforced')?.reason).toBe('AllInSync');
    expect(p.status?.observedGeneration).toBe(1);
  });

  it('an edit is enforced, and status shows Enforced=True, 1/1, at the new generation', async () => {
    await kube.apply(denyPolicy('shop', 'payments', 'payments', ['/admin', '/export']));
    await payments.expectStatus('/export/all', 403, 'the edited policy is enforced');
    const p = await waitForPolicy(kube, 'shop', 'payments', 'Enforced at generation 2', enforcedAt('1/1'));
    expect(p.metadata.generation).toBe(2);
    expect(condition(p, 'Accepted')).toMatchObject({ status: 'True', observedGeneration: 2 });
    expect(await orders.status('/export/all')).toBe(200);
  });

  it('an invalid edit the API server cannot see: Accepted=False with the reason; sidecars keep the previous version', async () => {
    await kube.apply(denyPolicy('shop', 'payments', 'payments', ['/admin'], '    - {name: typo, match: {paths: ["/x"]}, when: "signals.ip.flaged", action: Deny}\n'));
    const p = await waitForPolicy(kube, 'shop', 'payments', 'Accepted=False at generation 3', (v) => condition(v, 'Accepted')?.status === 'False' && v.status?.observedGeneration === 3);
    expect(condition(p, 'Accepted')).toMatchObject({ reason: 'Invalid', observedGeneration: 3 });
    expect(condition(p, 'Accepted')?.message).toMatch(/spec\.rules\[1\]\.when: CEL: .*flaged/);
    expect(condition(p, 'Enforced')).toMatchObject({ status: 'False', reason: 'NotAccepted' });
    expect(condition(p, 'Enforced')?.message).toMatch(/sidecars keep enforcing generation 2/);
    expect(await payments.status('/export/all')).toBe(403);
    const events = await kube.kubectl(['get', 'events', '-n', 'shop', '--field-selector', 'involvedObject.name=payments', '-o', 'jsonpath={range .items[*]}{.reason}:{.message}{"\\n"}{end}']);
    expect(events).toMatch(/Rejected:generation 3: .*flaged/);
    expect(events).toMatch(/Accepted:generation 2: valid/);
  });

  it('a delete removes the rules', async () => {
    await kube.kubectl(['delete', 'stepuppolicy', '-n', 'shop', 'payments']);
    await payments.expectStatus('/admin/users', 200, 'the deleted policy no longer applies');
    expect(await payments.status('/export/all')).toBe(200);
  });

  it('rapid successive changes: no rollback, the sidecar ends at the newest version (item 17)', async () => {
    for (let i = 1; i <= 8; i++) await kube.apply(denyPolicy('shop', 'payments', 'payments', [`/burst${i}`]));
    await payments.expectStatus('/burst8/x', 403, 'the newest version is enforced');
    const p = await waitForPolicy(kube, 'shop', 'payments', 'enforced at generation 8', enforcedAt('1/1'));
    expect(p.metadata.generation).toBe(8);
    for (let i = 1; i < 8; i++) expect(await payments.status(`/burst${i}/x`)).toBe(200);
  });

  it('a sidecar that cannot prove its identity is refused and stays not ready', async () => {
    const forged = writeTemp(tempDir('token'), 'token', 'not-a-token');
    const sidecar = await startControllerSidecar({ controller: controller.address, podName: 'payments-1', namespace: 'shop', labels: { app: 'payments' }, stateDir: tempDir('state'), trust: keys.publicKey, tokenFile: forged, waitReady: false });
    try {
      await waitFor('the controller to refuse the forged token', async () => /sidecar refused/.test(controller.output()), 10_000);
      const ready = await fetch(`http://127.0.0.1:${sidecar.httpPort}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toMatch(/no policy snapshot yet/);
    } finally {
      await sidecar.stop();
    }
  });
});
