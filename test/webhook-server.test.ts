// The webhook's HTTPS server: AdmissionReview in and out over verified TLS,
// refusals of malformed input, fail-closed answers, and a renewed certificate
// picked up without a restart.
import { copyFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { testSettings } from '../controller/webhook/fixtures.js';
import { startWebhookServer, type WebhookServer } from '../controller/webhook/index.js';
import { tempDir } from '../harness/processes.js';
import { makeTls, type Tls } from './support/tls.js';

interface Reply {
  status: number;
  body: string;
}

function post(port: number, ca: string, body: string, path = '/inject', method = 'POST'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, ca, agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const review = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: 'abc', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: 'shop', object: { metadata: {}, spec: { containers: [{ name: 'app', ports: [{ name: 'http', containerPort: 8080 }] }] } } },
});

let server: WebhookServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Certificate files the server reads, in a folder of their own so a test can replace them. */
function served(tls: Tls): { certFile: string; keyFile: string } {
  const dir = tempDir('served-tls');
  const files = { certFile: `${dir}/tls.crt`, keyFile: `${dir}/tls.key` };
  copyFileSync(tls.certFile, files.certFile);
  copyFileSync(tls.keyFile, files.keyFile);
  return files;
}

describe('webhook server', () => {
  const tls = makeTls(['IP:127.0.0.1']);

  it('answers an AdmissionReview over TLS the CA verifies, with the patch', async () => {
    server = await startWebhookServer({ host: '127.0.0.1', port: 0, ...served(tls), settings: testSettings() });
    const r = await post(server.port, tls.caPem, review);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body);
    expect(body).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'abc', allowed: true, patchType: 'JSONPatch' } });
    await expect(post(server.port, makeTls(['IP:127.0.0.1']).caPem, review)).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });

  it.each([
    ['not JSON', '/inject', 'POST', '{', 400],
    ['not an AdmissionReview', '/inject', 'POST', '{"kind":"Pod"}', 400],
    ['another path', '/mutate', 'POST', review, 404],
    ['another method', '/inject', 'PUT', review, 405],
  ])('refuses %s', async (_name, path, method, body, status) => {
    server = await startWebhookServer({ host: '127.0.0.1', port: 0, ...served(tls), settings: testSettings() });
    expect((await post(server.port, tls.caPem, body, path, method)).status).toBe(status);
  });

  it('fails closed: when the settings cannot be had, the pod is refused', async () => {
    const settings = () => {
      throw new Error('settings unavailable');
    };
    server = await startWebhookServer({ host: '127.0.0.1', port: 0, ...served(tls), settings });
    const body = JSON.parse((await post(server.port, tls.caPem, review)).body);
    expect(body.response).toEqual({ uid: 'abc', allowed: false, status: { code: 403, message: 'stepup injection failed: settings unavailable' } });
  });

  it('a renewed certificate is served without a restart; a half-written one is not taken', async () => {
    const files = served(tls);
    server = await startWebhookServer({ host: '127.0.0.1', port: 0, ...files, settings: testSettings(), reloadIntervalMs: 60_000 });
    expect(server.reloadCertificate()).toBe(false);
    writeFileSync(files.certFile, '');
    expect(server.reloadCertificate()).toBe(false);
    expect((await post(server.port, tls.caPem, review)).status).toBe(200);
    const renewed = makeTls(['IP:127.0.0.1']);
    copyFileSync(renewed.certFile, files.certFile);
    copyFileSync(renewed.keyFile, files.keyFile);
    expect(server.reloadCertificate()).toBe(true);
    expect((await post(server.port, renewed.caPem, review)).status).toBe(200);
    await expect(post(server.port, tls.caPem, review)).rejects.toThrow();
  });
});
