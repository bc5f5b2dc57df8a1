// Distribution faults against a real kube-apiserver, controller and sidecar
// behind Envoy (reliability items 14, 15, 16, 18, 20): the controller killed,
// a sidecar restarted meanwhile, a policy deleted meanwhile, a tampered state
// file, a snapshot the sidecar cannot load, and an apiserver restart.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../common/package-root.js';
import { makeSigningKeyFiles, podIdentity, startController, type ControllerHandle, type KeyFiles } from '../harness/controller.js';
import { kubeUp, type KubeEnv } from '../harness/kube.js';
import { freePort, tempDir, waitFor } from '../harness/processes.js';
import { startUpstream, type Upstream } from '../harness/upstream.js';
import { condition, createNamespace, denyPolicy, enforcedAt, startWorkload, waitForPolicy, type Workload } from './support/kube-stack.js';

let kube: KubeEnv;
let keyA: KeyFiles;
let keyB: KeyFiles;
let port: number;
let controller: ControllerHandle | undefined;
let upstream: Upstream;
let app: Workload;
let stateDir: string;

const startWithKey = async (key: KeyFiles) => (controller = await startController(kube.kubeconfig, ['--signing-key-file', key.privateKey], port));
const killController = async () => {
  await controller?.stop('SIGKILL');
  controller = undefined;
};

beforeAll(async () => {
  kube = await kubeUp();
  await kube.kubectl(['apply', '-f', join(packageRoot(), 'deploy', 'crds')]);
  await kube.kubectl(['wait', '--for=condition=Established', 'crd/stepuppolicies.stepup.dev', '--timeout=30s']);
  for (const ns of ['shop', 'other', 'stepup-system']) await createNamespace(kube, ns);
  [keyA, keyB] = [makeSigningKeyFiles(), makeSigningKeyFiles()];
  port = await freePort();
  upstream = await startUpstream();
  await startWithKey(keyA);
  await kube.apply(denyPolicy('shop', 'payments', 'payments', ['/admin']));
  const token = await podIdentity(kube, 'shop', 'payments-1', { app: 'payments' });
  stateDir = tempDir('state');
  app = await startWorkload(upstream, { controller: `127.0.0.1:${port}`, podName: 'payments-1', namespace: 'shop', labels: { app: 'payments' }, stateDir, trust: keyA.publicKey, tokenFile: token });
  await app.expectStatus('/admin/users', 403, 'the policy is enforced');
}, 180_000);

afterAll(async () => {
  await app?.stop();
  await controller?.stop();
  await upstream?.close();
  await kube?.down();
});

describe('controller outages (item 15)', () => {
  it('controller killed: the sidecar keeps enforcing and stays ready', async () => {
    await killController();
    await waitFor('the sidecar to notice', async () => /controller stream lost/.test(app.sidecar.output()), 10_000);
    expect(await app.status('/admin/users')).toBe(403);
    expect(await app.status('/shop')).toBe(200);
    expect((await fetch(`http://127.0.0.1:${app.sidecar.httpPort}/readyz`)).status).toBe(200);
  });

  it('a sidecar restarted while the controller is down starts from its persisted snapshot', async () => {
    await app.restartSidecar();
    expect(app.sidecar.output()).toMatch(/starting from the persisted snapshot/);
    expect(await app.status('/admin/users')).toBe(403);
  });

  it('a policy deleted while the controller is down: on recovery the sidecar drops its rules (item 20)', async () => {
    await kube.kubectl(['delete', 'stepuppolicy', '-n', 'shop', 'payments']);
    expect(await app.status('/admin/users')).toBe(403);
    await startWithKey(keyA);
    await app.expectStatus('/admin/users', 200, 'the deleted policy is dropped');
    await kube.apply(denyPolicy('shop', 'payments', 'payments', ['/admin']));
    await app.expectStatus('/admin/users', 403, 'the policy is back');
    await waitForPolicy(kube, 'shop', 'payments', 'enforced again', enforcedAt('1/1'));
  });
});

describe('tampering (item 16)', () => {
  it('a tampered persisted snapshot is refused: not ready, and every request fails closed', async () => {
    await killController();
    await app.sidecar.stop();
    const file = join(stateDir, 'snapshot.json');
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { policies: string[] };
    expect(stored.policies[0]).toContain('"action":"Deny"');
    stored.policies[0] = (stored.policies[0] as string).replace('"action":"Deny"', '"action":"Allow"');
    writeFileSync(file, JSON.stringify(stored));
    await app.restartSidecar({ waitReady: false });
    await waitFor('the refusal to be logged', async () => /persisted snapshot refused/.test(app.sidecar.output()), 10_000);
    expect(app.sidecar.output()).toMatch(/signature .* does not verify/);
    expect((await fetch(`http://127.0.0.1:${app.sidecar.httpPort}/readyz`)).status).toBe(503);
    expect(await app.status('/admin/users')).toBe(503);
    expect(await app.status('/shop')).toBe(503);
    const seen = upstream.seen.length;
    await startWithKey(keyA);
    await app.expectStatus('/admin/users', 403, 'the controller restores the real snapshot');
    expect(await app.status('/shop')).toBe(200);
    expect(upstream.seen.length).toBe(seen + 1);
  });
});

describe('a snapshot the sidecar cannot load (item 14)', () => {
  it('is NACKed, not resent, and shows in status; the sidecar keeps its last good one', async () => {
    await killController();
    await startWithKey(keyB); // a key the sidecar does not trust
    await kube.apply(denyPolicy('shop', 'payments', 'payments', ['/admin', '/export']));
    const p = await waitForPolicy(kube, 'shop', 'payments', 'Enforced=False with the NACK', (v) => condition(v, 'Enforced')?.reason === 'SnapshotRejected' && v.status?.observedGeneration === v.metadata.generation);
    expect(p.status?.sidecars).toMatchObject({ selected: 1, inSync: 0, rejected: 1, summary: '0/1' });
    expect(condition(p, 'Enforced')?.message).toMatch(/payments-1: the sidecar refused version \w+: .*not a trusted controller key/);
    expect(await app.status('/export/all')).toBe(200);
    expect(await app.status('/admin/users')).toBe(403);
    // Another change makes the controller recompute every sidecar's snapshot: the refused one is not sent again.
    await kube.apply(denyPolicy('other', 'unrelated', 'x', ['/y']));
    await waitForPolicy(kube, 'other', 'unrelated', 'accepted', (v) => condition(v, 'Accepted')?.status === 'True');
    await new Promise((r) => setTimeout(r, 1000));
    expect(app.sidecar.output().match(/snapshot refused \(NACK\)/g)?.length).toBe(1);
  });

  it('with the right key back, the newest version is sent and enforced', async () => {
    await killController();
    await startWithKey(keyA);
    await app.expectStatus('/export/all', 403, 'the edit signed by the trusted key is enforced');
    await waitForPolicy(kube, 'shop', 'payments', 'Enforced=True again', enforcedAt('1/1'));
  });
});

describe('watch faults (item 18)', () => {
  it('apiserver restarted: the controller restarts its watch and catches up', async () => {
    await kube.restartApiserver();
    await kube.apply(denyPolicy('shop', 'payments', 'payments', ['/admin', '/export', '/reports']));
    await app.expectStatus('/reports/q1', 403, 'the edit made after the apiserver restart is enforced');
    await waitForPolicy(kube, 'shop', 'payments', 'Enforced at the new generation', enforcedAt('1/1'));
    expect(controller?.output()).toMatch(/watch stopped; restarting/);
  });
});
