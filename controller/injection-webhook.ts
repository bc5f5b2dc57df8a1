// Starts the sidecar injection webhook (controller/webhook/) when
// --webhook-listen is given: the chart's injector settings, plus this
// controller's public key, which injected sidecars must trust.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { SigningKey } from '../common/distribution/signing.js';
import { loadInjectionSettings, startWebhookServer, type WebhookServer } from './webhook/index.js';

export interface InjectionWebhookOptions {
  readonly listen: string;
  readonly certDir: string;
  readonly injectorConfig: string;
  readonly key: SigningKey | undefined;
  readonly log: Logger;
}

export async function startInjectionWebhook(o: InjectionWebhookOptions): Promise<WebhookServer> {
  const loaded = loadInjectionSettings(o.injectorConfig);
  const publicKey = o.key?.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const settings = publicKey ? { ...loaded, controllerPublicKey: publicKey } : loaded;
  const sep = o.listen.lastIndexOf(':');
  const log = o.log.child({ part: 'webhook' });
  return startWebhookServer({
    host: o.listen.slice(0, sep).replace(/^\[|\]$/g, ''),
    port: Number(o.listen.slice(sep + 1)),
    certFile: join(o.certDir, 'tls.crt'),
    keyFile: join(o.certDir, 'tls.key'),
    settings,
    log: { info: (obj, msg) => log.info(obj, msg), warn: (obj, msg) => log.warn(obj, msg), error: (obj, msg) => log.error(obj, msg) },
  });
}
