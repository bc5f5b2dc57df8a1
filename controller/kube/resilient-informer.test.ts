// The informer's fault handling against a small loopback HTTP server that
// speaks the list/watch protocol: a failed list is retried, a 410 Gone in
// the watch stream leads to a relist that reports deletions, and a cut
// stream is resumed.
import { createServer, type Server } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startInformer, type RunningInformer } from './resilient-informer.js';
import { KubeRest } from './rest.js';

interface Thing {
  metadata: { name: string; namespace: string; resourceVersion: string };
}

const thing = (name: string, rv: string): Thing => ({ metadata: { name, namespace: 'ns', resourceVersion: rv } });

let server: Server | undefined;
let informer: RunningInformer<Thing> | undefined;
afterEach(async () => {
  await informer?.stop();
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(() => r(undefined)) : r(undefined)));
});

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('startInformer', () => {
  it('retries a failed list, relists after 410 Gone (reporting deletions), resumes a cut stream', async () => {
    let lists = 0;
    let watches = 0;
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.searchParams.get('watch') !== 'true') {
        lists++;
        if (lists === 1) return void res.writeHead(500).end('{"reason":"InternalError"}');
        const items = lists === 2 ? [thing('a', '1'), thing('b', '2')] : [thing('b', '5'), thing('c', '6')];
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ metadata: { resourceVersion: String(lists * 10) }, items }));
      }
      watches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      if (watches === 1) {
        res.write(`${JSON.stringify({ type: 'MODIFIED', object: thing('b', '3') })}\n`);
        res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } })}\n`);
      } else if (watches === 2) {
        res.destroy(); // the stream is cut without a word
      } else {
        res.write(`${JSON.stringify({ type: 'ADDED', object: thing('d', '7') })}\n`);
      }
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }], users: [{ name: 'u', token: 't' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    const events: string[] = [];
    informer = startInformer<Thing>(new KubeRest(kc), '/apis/x/v1/things', { upsert: (o) => events.push(`upsert ${o.metadata.name}@${o.metadata.resourceVersion}`), remove: (o) => events.push(`remove ${o.metadata.name}`) }, { name: 'things', backoffMaxMs: 100, log: pino({ level: 'silent' }) });
    await informer.synced;
    await until('the object added after the cut stream', () => events.includes('upsert d@7'));
    expect(lists).toBe(3);
    expect(informer.errors()).toBeGreaterThanOrEqual(2);
    expect(events).toEqual(['upsert a@1', 'upsert b@2', 'upsert b@3', 'remove a', 'upsert b@5', 'upsert c@6', 'upsert d@7']);
    expect(informer.list().map((o) => o.metadata.name).sort()).toEqual(['b', 'c', 'd']);
  });
});
