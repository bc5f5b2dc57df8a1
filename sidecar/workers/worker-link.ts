// A worker's end of the IPC channel to its --workers primary: says when it
// serves (and on which port) or why it could not start, answers health and
// metrics queries, and stops the worker when the primary goes away.
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { isStepupMessage, type FatalMessage, type HealthReply, type MetricsReply, type QueryMessage, type ServingMessage } from './messages.js';

export interface WorkerHandlers {
  health(): { ready: boolean; detail: string };
  metrics(): Promise<MetricObjectWithValues<MetricValue<string>>[]>;
  /** The primary is gone (the IPC channel closed): stop serving. */
  orphaned(): void;
}

export interface WorkerLink {
  serving(port: number): void;
  /** Tells the primary why this worker cannot start; resolves once sent. */
  fatal(message: string): Promise<void>;
  /** Starts answering queries (once the handlers have something to answer with). */
  answer(handlers: WorkerHandlers): void;
}

function send(message: ServingMessage | FatalMessage | HealthReply | MetricsReply): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

export function linkToPrimary(): WorkerLink {
  if (!process.send) throw new Error('not a cluster worker: no IPC channel to the primary');
  return {
    serving: (port) => void send({ stepup: 'serving', port }),
    fatal: (message) => send({ stepup: 'fatal', message }),
    answer: (handlers) => {
      process.on('message', (msg: unknown) => {
        if (!isStepupMessage(msg) || msg.stepup !== 'query') return;
        const q = msg as QueryMessage;
        if (q.what === 'health') void send({ stepup: 'health', id: q.id, ...handlers.health() });
        else handlers.metrics().then((metrics) => send({ stepup: 'metrics', id: q.id, metrics }), () => undefined);
      });
      process.once('disconnect', () => handlers.orphaned());
    },
  };
}
