// The controller's HTTP edge: liveness, readiness (policies listed once) and metrics.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export async function startHttpServer(address: string, ready: () => boolean, registry: Registry): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (path === '/readyz') {
      const ok = ready();
      return void res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready\n' : 'not ready: policies not listed yet\n');
    }
    if (path === '/metrics') {
      return void registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz, /readyz or /metrics\n');
  });
  const sep = address.lastIndexOf(':');
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen on ${address}: ${err.message}`)));
    server.listen(Number(address.slice(sep + 1)), address.slice(0, sep).replace(/^\[|\]$/g, ''), resolve);
  });
  return server;
}
