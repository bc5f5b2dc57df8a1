// The HTTP edge: liveness, readiness and Prometheus metrics.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export type HealthState =
  | {
      /** Ready when a policy set is in force. */
      ready: () => boolean;
      /** A one-line reason shown when not ready. */
      detail: () => string;
    }
  /** Both at once, possibly asked of other processes (the workers of a --workers primary). */
  | { status: () => Promise<{ ready: boolean; detail: string }> };

/** A registry, or anything that renders metrics the same way (the workers' aggregate). */
export type MetricsSource = Pick<Registry, 'metrics' | 'contentType'>;

async function statusOf(health: HealthState): Promise<{ ready: boolean; detail: string }> {
  return 'status' in health ? health.status() : { ready: health.ready(), detail: health.detail() };
}

export async function startHttpServer(address: string, health: HealthState, registry: MetricsSource): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      statusOf(health).then(
        ({ ready, detail }) => res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(`${ready ? 'ready' : 'not ready'}: ${detail}\n`),
        (err: Error) => res.writeHead(503, { 'content-type': 'text/plain' }).end(`not ready: ${err.message}\n`),
      );
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz, /readyz or /metrics\n');
    }
  });
  const sep = address.lastIndexOf(':');
  const host = address.slice(0, sep).replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen on ${address}: ${err.message}`)));
    server.listen(Number(address.slice(sep + 1)), host, resolve);
  });
  return server;
}
