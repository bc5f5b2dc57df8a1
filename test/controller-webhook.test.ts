// The controller binary serves the injection webhook (controller/webhook/)
// with the chart's injector settings and its own public key: a pod created
// through it is given the key its sidecar will verify snapshots with.
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../common/package-root.js';
import { makeSigningKeyFiles, startController, type ControllerHandle, type KeyFiles } from '../harness/controller.js';
import { kubeUp, type KubeEnv } from '../harness/kube.js';
import { freePort, tempDir, writeTemp } from '../harness/processes.js';
import { find, render } from './support/chart.js';
import { makeTls, type Tls } from './support/tls.js';

let kube: KubeEnv;
let keys: KeyFiles;
let tls: Tls;
let controller: ControllerHandle;
let webhookPort: number;

function review(pod: Record<string, unknown>): Promise<{ response: { allowed: boolean; patch?: string } }> {
  const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u-1', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: 'shop', object: pod } });
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: webhookPort, path: '/inject', method: 'POST', ca: tls.caPem, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(JSON.parse(text)));
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  kube = await kubeUp();
  await kube.kubectl(['apply', '-f', join(packageRoot(), 'deploy', 'crds')]);
  await kube.apply('apiVersion: v1\nkind: Namespace\nmetadata: {name: stepup-system}\n');
  const cm = find(render(), 'ConfigMap', 'stepup-injector');
  const injector = tempDir('injector');
  writeTemp(injector, 'settings.json', cm.data['settings.json']);
  writeTemp(injector, 'envoy.yaml', cm.data['envoy.yaml']);
  tls = makeTls(['IP:127.0.0.1']);
  keys = makeSigningKeyFiles();
  webhookPort = await freePort();
  controller = await startController(kube.kubeconfig, ['--signing-key-file', keys.privateKey, '--webhook-listen', `127.0.0.1:${webhookPort}`, '--webhook-cert-dir', dirname(tls.certFile), '--injector-config', injector]);
}, 180_000);

afterAll(async () => {
  await controller?.stop();
  await kube?.down();
});

describe('the injection webhook in the controller', () => {
  it('injects the sidecar with the controller\'s own public key', async () => {
    expect(controller.output()).toMatch(/injection webhook serving/);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'payments-1', namespace: 'shop', labels: { app: 'payments' } }, spec: { containers: [{ name: 'app', image: 'payments:1', ports: [{ name: 'http', containerPort: 8080 }] }] } };
    const answer = await review(pod);
    expect(answer.response.allowed).toBe(true);
    const patch = JSON.parse(Buffer.from(answer.response.patch ?? '', 'base64').toString('utf8')) as { path: string; value: unknown }[];
    const text = JSON.stringify(patch);
    const pem = /-----BEGIN PUBLIC KEY-----[^"]+-----END PUBLIC KEY-----/.exec(text.replace(/\\n/g, '\n'))?.[0];
    expect(pem).toBeDefined();
    const mine = createPublicKey(readFileSync(keys.publicKey, 'utf8')).export({ type: 'spki', format: 'der' });
    expect(createPublicKey(pem as string).export({ type: 'spki', format: 'der' }).equals(mine)).toBe(true);
    expect(text).toContain('--controller-public-key=');
  });
});
