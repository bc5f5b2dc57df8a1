// --workers 2 in controller mode, against a real kube-apiserver and the real
// controller: the primary holds the one stream, relays each snapshot to both
// workers and ACKs once both enforce it; a snapshot refused there is NACKed
// and no worker switches; a replaced worker gets the snapshot in force.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../common/package-root.js';
import { makeSigningKeyFiles, podIdentity, startController, type ControllerHandle, type KeyFiles } from '../harness/controller.js';
import { send } from '../harness/http-client.js';
import { kubeUp, type KubeEnv } from '../harness/kube.js';
import { tempDir, waitFor } from '../harness/processes.js';
import { decisionLines, logLines } from '../harness/sidecar.js';
import { startUpstream, type Upstream } from '../harness/upstream.js';
import { directCheck, servingWorkers } from './support/direct-check.js';
import { condition, createNamespace, denyPolicy, enforcedAt, startWorkload, waitForPolicy, type Workload } from './support/kube-stack.js';

let kube: KubeEnv;
let keys: KeyFiles;
let controller: ControllerHandle;
let upstream: Upstream;
let app: Workload;


/** Direct Checks of `path` on fresh connections until every one of `pids` has decided one; returns the answers. */
async function askEveryWorker(pids: number[], path: string): Promise<{ code: number; status: number | string }[]> {
  const answers = [];
  const deciders = new Set<unknown>();
  for (let i = 0; i < 20 && !pids.every((p) => deciders.has(p)); i++) {
    const before = decisionLines(app.sidecar).length;
    answers.push(await directCheck(app.sidecar.grpcPort, path));
    await waitFor('the decision line', async () => decisionLines(app.sidecar).length > before, 5000);
    deciders.add(decisionLines(app.sidecar).at(-1)?.pid);
  }
  expect([...deciders].filter((p) => pids.includes(p as number)).sort()).toEqual([...pids].sort());
  return answers;
}

beforeAll(async () => {
  kube = await kubeUp();
  await kube.kubectl(['apply', '-f', join(packageRoot(), 'deploy', 'crds')]);
  await kube.kubectl(['wait', '--for=condition=Established', 'crd/stepuppolicies.stepup.dev', '--timeout=30s']);
  await createNamespace(kube, 'shop');
  await createNamespace(kube, 'stepup-system'); // the controller's own: Lease and sync reports
  keys = makeSigningKeyFiles();
  upstream = await startUpstream();
  controller = await startController(kube.kubeconfig, ['--signing-key-file', keys.privateKey]);
  const token = await podIdentity(kube, 'shop', 'payments-1', { app: 'payments' });
  app = await startWorkload(upstream, { controller: controller.address, namespace: 'shop', podName: 'payments-1', labels: { app: 'payments' }, stateDir: tempDir('state'), trust: keys.publicKey, tokenFile: token, extraArgs: ['--workers', '2'] });
}, 180_000);

afterAll(async () => {
  await app?.stop();
  await controller?.stop();
  await upstream?.close();
  await kube?.down();
});

describe('--workers 2 in controller mode', () => {
  it('holds one stream to the controller for the whole pod', async () => {
    const metrics = (await send(`http://127.0.0.1:${controller.httpPort}/metrics`)).body;
    expect(metrics).toMatch(/^stepup_controller_sidecars 1$/m);
    expect((await send(`http://127.0.0.1:${app.sidecar.httpPort}/readyz`)).body).toMatch(/^ready: 2\/2 workers ready; policies \w+/);
  });

  it('a policy is enforced by both workers before it is ACKed (status in sync)', async () => {
    await kube.apply(denyPolicy('shop', 'payments', 'payments', ['/admin']));
    await waitForPolicy(kube, 'shop', 'payments', 'Enforced, 1/1 in sync', enforcedAt('1/1'));
    const inForce = logLines(app.sidecar).filter((l) => l.role === 'primary' && l.msg === 'snapshot in force in every worker').at(-1);
    expect(inForce?.workers).toHaveLength(2);
    const answers = await askEveryWorker(servingWorkers(app.sidecar), '/admin/users');
    expect(answers.every((a) => a.code === 7 && a.status === 'Forbidden')).toBe(true);
    expect(await app.status('/admin/users')).toBe(403);
    expect(await app.status('/shop')).toBe(200);
  });

  it('a snapshot that would split state across workers (memory store) is NACKed; both workers keep the previous one', async () => {
    await kube.apply(denyPolicy('shop', 'payments', 'payments', ['/admin', '/export'], '    - {name: burst, match: {paths: ["/rate/**"]}, when: "signals.activity.rate > 5", action: Deny}\n'));
    const p = await waitForPolicy(kube, 'shop', 'payments', 'Enforced=False with the NACK', (v) => condition(v, 'Enforced')?.reason === 'SnapshotRejected' && v.status?.observedGeneration === v.metadata.generation);
    expect(condition(p, 'Enforced')?.message).toMatch(/payments-1: the sidecar refused version \w+: with --workers 2 and the in-memory signal store.*shop\/payments rule burst: signals\.activity.*--redis/);
    const answers = await askEveryWorker(servingWorkers(app.sidecar), '/export/all');
    expect(answers.every((a) => a.code === 0)).toBe(true);
    expect(await app.status('/admin/users')).toBe(403);
    const metrics = (await send(`http://127.0.0.1:${app.sidecar.httpPort}/metrics`)).body;
    expect(metrics).toMatch(/^stepup_policy_reloads_total\{result="rejected"\} 1$/m);
  });

  it('a snapshot the workers cannot build (an IP list file they cannot read) is NACKed after the prepare phase; none switches', async () => {
    await kube.apply(denyPolicy('shop', 'payments', 'payments', ['/admin', '/export'], '  ipLists:\n    - {name: bad, flagged: true, file: /nonexistent/stepup-list.txt}\n'));
    const p = await waitForPolicy(kube, 'shop', 'payments', 'Enforced=False with the NACK', (v) => condition(v, 'Enforced')?.reason === 'SnapshotRejected' && v.status?.observedGeneration === v.metadata.generation);
    expect(condition(p, 'Enforced')?.message).toMatch(/the sidecar refused version \w+: worker \d+: shop\/payments: ipLists bad: cannot read \/nonexistent\/stepup-list\.txt/);
    const answers = await askEveryWorker(servingWorkers(app.sidecar), '/export/all');
    expect(answers.every((a) => a.code === 0)).toBe(true);
  });

  it('an edit the workers accept replaces it everywhere', async () => {
    await kube.apply(denyPolicy('shop', 'payments', 'payments', ['/admin', '/export']));
    await waitForPolicy(kube, 'shop', 'payments', 'Enforced at the new generation, 1/1', enforcedAt('1/1'));
    const answers = await askEveryWorker(servingWorkers(app.sidecar), '/export/all');
    expect(answers.every((a) => a.code === 7)).toBe(true);
  });

  it('a replaced worker starts from the snapshot in force, before it is ready', async () => {
    const [victim, survivor] = servingWorkers(app.sidecar) as [number, number];
    process.kill(victim, 'SIGKILL');
    await waitFor('a replacement worker', async () => servingWorkers(app.sidecar).length === 3, 20_000, app.sidecar);
    await waitFor('/readyz to say ready again', async () => (await send(`http://127.0.0.1:${app.sidecar.httpPort}/readyz`)).body.startsWith('ready: 2/2'), 20_000);
    const replacement = servingWorkers(app.sidecar)[2] as number;
    const answers = await askEveryWorker([survivor, replacement], '/export/all');
    expect(answers.every((a) => a.code === 7)).toBe(true);
    // still one stream
    expect((await send(`http://127.0.0.1:${controller.httpPort}/metrics`)).body).toMatch(/^stepup_controller_sidecars 1$/m);
  });
});
