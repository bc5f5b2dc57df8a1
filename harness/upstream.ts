// A small upstream app that echoes what reached it, so tests can see exactly
// which requests and headers passed Envoy.
import { createServer, type Server } from 'node:http';

export interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Upstream {
  port: number;
  seen: Seen[];
  close(): Promise<void>;
}

export async function startUpstream(port = 0): Promise<Upstream> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(entry);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, path: entry.url, subject: req.headers['x-stepup-subject'] ?? null, level: req.headers['x-stepup-level'] ?? null }));
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
