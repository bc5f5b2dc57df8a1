// A worker's end of the IPC channel to its --workers primary: says when it
// serves (and on which port) or why it could not start, answers health and
// metrics queries, and stops the worker when the primary goes away.
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { SnapshotMessage } from '../../common/distribution/protocol.js';
import { fromWire, isStepupMessage, type CommitMessage, type FatalMessage, type HealthReply, type MetricsReply, type PreparedReply, type PrepareMessage, type PrimaryMessage, type ServingMessage } from './messages.js';

/** Controller mode: how a worker takes the snapshots its primary relays. */
export interface SnapshotHandlers {
  /** Checks the snapshot and builds everything to enforce it, without switching; throws to refuse it. */
  prepare(snapshot: SnapshotMessage): void;
  /** Switches to the prepared snapshot of this version. */
  commit(version: string): void;
  /** Drops the prepared snapshot of this version. */
  abort(version: string): void;
}

export interface WorkerHandlers {
  health(): { ready: boolean; detail: string };
  metrics(): Promise<MetricObjectWithValues<MetricValue<string>>[]>;
  /** The primary is gone (the IPC channel closed): stop serving. */
  orphaned(): void;
  /** Controller mode only. */
  snapshots?: SnapshotHandlers;
}

export interface WorkerLink {
  serving(port: number): void;
  /** Tells the primary why this worker cannot start; resolves once sent. */
  fatal(message: string): Promise<void>;
  /** Starts answering queries (once the handlers have something to answer with). */
  answer(handlers: WorkerHandlers): void;
}

function send(message: ServingMessage | FatalMessage | HealthReply | MetricsReply | PreparedReply): Promise<void> {
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
        if (!isStepupMessage(msg)) return;
        const m = msg as PrimaryMessage;
        if (m.stepup === 'query') {
          if (m.what === 'health') void send({ stepup: 'health', id: m.id, ...handlers.health() });
          else handlers.metrics().then((metrics) => send({ stepup: 'metrics', id: m.id, metrics }), () => undefined);
        } else if (m.stepup === 'prepare' && handlers.snapshots) {
          const p = m as PrepareMessage;
          try {
            handlers.snapshots.prepare(fromWire(p.snapshot));
            void send({ stepup: 'prepared', id: p.id });
          } catch (err) {
            void send({ stepup: 'prepared', id: p.id, error: (err as Error).message });
          }
        } else if (m.stepup === 'commit') handlers.snapshots?.commit((m as CommitMessage).version);
        else if (m.stepup === 'abort') handlers.snapshots?.abort((m as CommitMessage).version);
      });
      process.once('disconnect', () => handlers.orphaned());
    },
  };
}
