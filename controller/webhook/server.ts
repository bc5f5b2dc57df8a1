// The HTTPS server the API server calls for pod admission (POST /inject).
// The controller's main starts it with the certificate from the webhook's TLS
// Secret; a renewed certificate (cert-manager, or a chart upgrade) is picked
// up from the files without a restart.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerReview, readReview, responseFor, ReviewError } from './admission-review.js';
import type { Mutation } from './mutate-pod.js';
import type { InjectionSettings } from './settings.js';

export interface WebhookLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface WebhookServerOptions {
  /** Default 0.0.0.0. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  certFile: string;
  keyFile: string;
  /** The settings to inject with; a function is asked on every request (so the caller can reload them). */
  settings: InjectionSettings | (() => InjectionSettings);
  log?: WebhookLogger;
  /** How often the certificate files are checked for a change. Default 30 s. */
  reloadIntervalMs?: number;
  /** Told every decision, e.g. to count them. */
  onDecision?: (mutation: Mutation, namespace: string) => void;
}

export interface WebhookServer {
  readonly port: number;
  /** Re-reads the certificate files now; true when they had changed. */
  reloadCertificate(): boolean;
  close(): Promise<void>;
}

export const INJECT_PATH = '/inject';
const MAX_BODY = 3 * 1024 * 1024;
const silent: WebhookLogger = { info() {}, warn() {}, error() {} };

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy(new ReviewError(`body larger than ${MAX_BODY} bytes`));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' }).end(text);
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: WebhookServerOptions, log: WebhookLogger): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  if (path !== INJECT_PATH) return send(res, 404, `not found; the webhook is POST ${INJECT_PATH}\n`);
  if (req.method !== 'POST') return send(res, 405, 'POST only\n');
  let request;
  try {
    request = readReview(JSON.parse(await readBody(req)));
  } catch (err) {
    return send(res, 400, `${(err as Error).message}\n`);
  }
  let answer;
  try {
    const settings = typeof opts.settings === 'function' ? opts.settings() : opts.settings;
    answer = answerReview(request, settings);
  } catch (err) {
    // Fail closed: a pod we could not decide on is refused, never admitted unprotected.
    log.error({ uid: request.uid, err: (err as Error).message }, 'injection failed');
    const mutation: Mutation = { allowed: false, reason: `stepup injection failed: ${(err as Error).message}` };
    answer = { body: responseFor(request.uid, mutation), mutation };
  }
  const pod = (request.object ?? {}) as { metadata?: { name?: string; generateName?: string } };
  const ns = request.namespace ?? '';
  log.info({ uid: request.uid, namespace: ns, pod: pod.metadata?.name || pod.metadata?.generateName, allowed: answer.mutation.allowed, reason: answer.mutation.reason, dryRun: request.dryRun === true }, 'admission');
  opts.onDecision?.(answer.mutation, ns);
  send(res, 200, answer.body);
}

/** Starts the webhook; resolves once it listens. */
export async function startWebhookServer(opts: WebhookServerOptions): Promise<WebhookServer> {
  const log = opts.log ?? silent;
  let cert = readFileSync(opts.certFile, 'utf8');
  let key = readFileSync(opts.keyFile, 'utf8');
  const server: Server = createServer({ cert, key, minVersion: 'TLSv1.2' }, (req, res) => {
    handle(req, res, opts, log).catch((err: Error) => {
      log.error({ err: err.message }, 'webhook request failed');
      if (!res.headersSent) send(res, 500, 'internal error\n');
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  const reloadCertificate = (): boolean => {
    try {
      const [c, k] = [readFileSync(opts.certFile, 'utf8'), readFileSync(opts.keyFile, 'utf8')];
      if (c === cert && k === key) return false;
      // Only a whole, matching pair replaces the one being served.
      if (!new X509Certificate(c).checkPrivateKey(createPrivateKey(k))) throw new Error('the certificate does not match the key');
      server.setSecureContext({ cert: c, key: k, minVersion: 'TLSv1.2' });
      [cert, key] = [c, k];
      log.info({ certFile: opts.certFile }, 'webhook certificate reloaded');
      return true;
    } catch (err) {
      // Half-written or mismatched files during a Secret update: keep serving the old pair, try again later.
      log.warn({ err: (err as Error).message }, 'webhook certificate not reloaded');
      return false;
    }
  };
  const timer = setInterval(reloadCertificate, opts.reloadIntervalMs ?? 30_000);
  timer.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    reloadCertificate,
    close: () =>
      new Promise((resolve) => {
        clearInterval(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
