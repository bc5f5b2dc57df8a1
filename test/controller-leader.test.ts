// Two controller replicas on a real kube-apiserver (reliability item 19):
// both serve sidecar streams, only the Lease holder writes status (counting
// the sidecars of every replica), and a killed leader is replaced.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../common/package-root.js';
import { makeSigningKeyFiles, podIdentity, startController, type ControllerHandle, type KeyFiles } from '../harness/controller.js';
import { kubeUp, type KubeEnv } from '../harness/kube.js';
import { tempDir, waitFor } from '../harness/processes.js';
import { startUpstream, type Upstream } from '../harness/upstream.js';
import { createNamespace, denyPolicy, enforcedAt, startWorkload, waitForPolicy, type Workload } from './support/kube-stack.js';

let kube: KubeEnv;
let keys: KeyFiles;
let a: ControllerHandle;
let b: ControllerHandle;
let upstream: Upstream;
let app: Workload;

interface Lease {
  spec: { holderIdentity?: string; leaseTransitions?: number };
}
interface ManagedField {
  manager: string;
  subresource?: string;
}

const holder = async () => (await kube.getJson<Lease>(['lease', '-n', 'stepup-system', 'stepup-controller'])).spec.holderIdentity;
const statusWriters = async () => {
  const p = await kube.getJson<{ metadata: { managedFields?: ManagedField[] } }>(['stepuppolicy', '-n', 'shop', 'payments', '--show-managed-fields']);
  return (p.metadata.managedFields ?? []).filter((f) => f.subresource === 'status').map((f) => f.manager);
};

beforeAll(async () => {
  kube = await kubeUp();
  await kube.kubectl(['apply', '-f', join(packageRoot(), 'deploy', 'crds')]);
  await kube.kubectl(['wait', '--for=condition=Established', 'crd/stepuppolicies.stepup.dev', '--timeout=30s']);
  await createNamespace(kube, 'shop');
  await createNamespace(kube, 'stepup-system');
  keys = makeSigningKeyFiles();
  upstream = await startUpstream();
  a = await startController(kube.kubeconfig, ['--signing-key-file', keys.privateKey, '--replica-id', 'ctl-a']);
  await waitFor('ctl-a to lead', async () => (await holder()) === 'ctl-a', 20_000);
  b = await startController(kube.kubeconfig, ['--signing-key-file', keys.privateKey, '--replica-id', 'ctl-b']);
  const token = await podIdentity(kube, 'shop', 'payments-1', { app: 'payments' });
  // The sidecar talks to the replica that does not lead.
  app = await startWorkload(upstream, { controller: `${b.address},${a.address}`, podName: 'payments-1', namespace: 'shop', labels: { app: 'payments' }, stateDir: tempDir('state'), trust: keys.publicKey, tokenFile: token });
}, 180_000);

afterAll(async () => {
  await app?.stop();
  await a?.stop();
  await b?.stop();
  await upstream?.close();
  await kube?.down();
});

describe('two controller replicas', () => {
  it('a follower serves the sidecar; only the leader writes status, counting the follower\'s sidecars', async () => {
    await kube.apply(denyPolicy('shop', 'payments', 'payments', ['/admin']));
    await app.expectStatus('/admin/users', 403, 'the policy arrives through the follower');
    expect(b.output()).toMatch(/sidecar connected/);
    await waitForPolicy(kube, 'shop', 'payments', 'enforced, 1/1 counted through the sync report', enforcedAt('1/1'));
    expect(await holder()).toBe('ctl-a');
    expect(await statusWriters()).toEqual(['stepup-controller/ctl-a']);
  });

  it('a killed leader is replaced, and the new leader writes status', async () => {
    await a.stop('SIGKILL');
    await waitFor('ctl-b to take the Lease', async () => (await holder()) === 'ctl-b', 15_000);
    expect(b.output()).toMatch(/took over the leader Lease/);
    await kube.apply(denyPolicy('shop', 'payments', 'payments', ['/admin', '/export']));
    await app.expectStatus('/export/all', 403, 'the edit is enforced');
    const p = await waitForPolicy(kube, 'shop', 'payments', 'enforced at generation 2', enforcedAt('1/1'));
    expect(p.metadata.generation).toBe(2);
    expect(await statusWriters()).toContain('stepup-controller/ctl-b');
  });

  it('a sidecar whose replica dies moves to another one and keeps enforcing meanwhile', async () => {
    a = await startController(kube.kubeconfig, ['--signing-key-file', keys.privateKey, '--replica-id', 'ctl-a'], Number(a.address.split(':')[1]));
    await b.stop('SIGKILL');
    expect(await app.status('/export/all')).toBe(403);
    await waitFor('the sidecar to reconnect to ctl-a', async () => (a.output().match(/sidecar connected/g)?.length ?? 0) >= 1, 20_000);
    await waitFor('ctl-a to lead again', async () => (await holder()) === 'ctl-a', 15_000);
    await kube.apply(denyPolicy('shop', 'payments', 'payments', ['/admin', '/export', '/reports']));
    await app.expectStatus('/reports/q1', 403, 'the edit reaches the sidecar through ctl-a');
    await waitForPolicy(kube, 'shop', 'payments', 'enforced at generation 3', enforcedAt('1/1'));
  });
});
