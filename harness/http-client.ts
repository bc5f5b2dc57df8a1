// A plain HTTP client for tests: no redirects followed, repeated headers sent
// as separate lines, raw status and headers returned.
import { request } from 'node:http';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | object;
  timeoutMs?: number;
}

export function send(url: string, opts: SendOptions = {}): Promise<Reply> {
  const body = typeof opts.body === 'object' ? JSON.stringify(opts.body) : opts.body;
  const headers = { ...(typeof opts.body === 'object' ? { 'content-type': 'application/json' } : {}), ...opts.headers };
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers, timeout: opts.timeoutMs ?? 10_000 }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) }));
    });
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}
