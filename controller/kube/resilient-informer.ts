// A client-node informer that keeps going. client-node relists by itself
// after 410 Gone, but stops for good on any other error (a failed list, a
// refused or cut watch, an apiserver restart): here every stop is followed by
// a restart after a growing, jittered delay. A relist reports objects deleted
// in the meantime as deletions.
import { makeInformer, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeRest } from './rest.js';

export interface InformerHandlers<T> {
  upsert(obj: T): void;
  remove(obj: T): void;
}

export interface RunningInformer<T> {
  /** Resolves after the first complete list has been delivered. */
  readonly synced: Promise<void>;
  list(): readonly T[];
  /** Errors seen so far (restarts). */
  readonly errors: () => number;
  stop(): Promise<void>;
}

export interface InformerOptions {
  readonly name: string;
  readonly labelSelector?: string;
  readonly backoffMaxMs: number;
  readonly log: Logger;
  /** Called on every error that leads to a restart. */
  readonly onRestart?: () => void;
}

const BASE_DELAY_MS = 200;
const QUIET_RESET_MS = 60_000;

export function startInformer<T extends KubernetesObject>(rest: KubeRest, path: string, handlers: InformerHandlers<T>, opts: InformerOptions): RunningInformer<T> {
  const query = opts.labelSelector ? `?labelSelector=${encodeURIComponent(opts.labelSelector)}` : '';
  let markSynced: () => void = () => undefined;
  const synced = new Promise<void>((resolve) => (markSynced = resolve));
  const listFn = async () => {
    const list = await rest.get<KubernetesListObject<T>>(`${path}${query}`);
    setImmediate(markSynced); // after client-node has delivered the items
    return list;
  };
  const informer = makeInformer<T>(rest.kubeConfig, path, listFn, opts.labelSelector);
  informer.on('add', (obj) => handlers.upsert(obj));
  informer.on('update', (obj) => handlers.upsert(obj));
  informer.on('delete', (obj) => handlers.remove(obj));

  let attempts = 0;
  let errors = 0;
  let lastError = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  informer.on('error', (err: unknown) => {
    if (stopped) return;
    errors++;
    opts.onRestart?.();
    if (Date.now() - lastError > QUIET_RESET_MS) attempts = 0;
    lastError = Date.now();
    const delay = Math.min(opts.backoffMaxMs, BASE_DELAY_MS * 2 ** Math.min(attempts++, 20));
    const wait = Math.round(delay / 2 + (Math.random() * delay) / 2);
    opts.log.warn({ informer: opts.name, err: (err as Error)?.message ?? String(err), retry_in_ms: wait }, 'watch stopped; restarting');
    timer = setTimeout(() => {
      if (!stopped) informer.start().catch((e: unknown) => opts.log.error({ informer: opts.name, err: (e as Error).message }, 'watch restart failed'));
    }, wait);
  });
  informer.start().catch((e: unknown) => opts.log.error({ informer: opts.name, err: (e as Error).message }, 'watch start failed'));
  return {
    synced,
    list: () => informer.list(),
    errors: () => errors,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await informer.stop();
    },
  };
}
