// --workers n > 1: this process becomes a node:cluster primary. It forks n
// workers, each running the gRPC Check server on the same --listen address
// (the primary accepts and hands connections round-robin, so each Envoy
// connection is served by one worker), and it alone serves /healthz, /readyz
// (ready only when every worker answers ready) and /metrics (every worker's
// registry and its own, aggregated). A worker that dies is replaced after a
// growing delay; workers that cannot start end the sidecar with their reason.
import cluster, { type Worker } from 'node:cluster';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { packageVersion } from '../../common/cli.js';
import type { SnapshotMessage } from '../../common/distribution/protocol.js';
import type { PolicySet } from '../../common/policy/policy-set.js';
import type { SidecarConfig } from '../config.js';
import { startControllerMode } from '../policy/controller-mode.js';
import type { ControllerPolicySource } from '../policy/controller-policy-source.js';
import { startHttpServer } from '../server/http-server.js';
import { checkSharedState } from '../signals/shared-state.js';
import { combineHealth, isStepupMessage, toWire, type CommitMessage, type HealthReply, type MetricsReply, type PreparedReply, type PrimaryMessage, type QueryMessage, type WorkerMessage } from './messages.js';
import { DEFAULT_RESTART, RestartPolicy, type RestartOptions } from './restart-policy.js';

/** How long a worker has to answer a health or metrics query. */
const QUERY_TIMEOUT_MS = 1000;
/** How long a worker has to check and build a snapshot (IP lists, JWKS prefetch start). */
const PREPARE_TIMEOUT_MS = 10_000;
/** How long stopping workers get before they are killed. */
const STOP_GRACE_MS = 5000;

interface Slot {
  readonly index: number;
  worker?: Worker;
  servedAt?: number;
  fatal?: string;
  /** Controller mode: the snapshot version this worker enforces. */
  version?: string;
  restartTimer?: NodeJS.Timeout;
}

type Pending = { worker: Worker; resolve: (m: WorkerMessage | undefined) => void; timer: NodeJS.Timeout };

export class WorkerStartFailure extends Error {}

export interface PrimaryOptions {
  readonly restart?: RestartOptions;
}

export async function runPrimary(config: SidecarConfig, log: Logger, opts: PrimaryOptions = {}): Promise<void> {
  const n = config.workers;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'stepup_sidecar_' });
  const live = new Gauge({ name: 'stepup_sidecar_workers', help: 'Worker processes serving Checks (the primary counts; --workers).', labelNames: ['state'], registers: [registry] });
  const restarts = new Counter({ name: 'stepup_sidecar_worker_restarts_total', help: 'Worker processes replaced after they ended.', registers: [registry] });
  const policy = new RestartPolicy(opts.restart ?? DEFAULT_RESTART);
  const slots: Slot[] = Array.from({ length: n }, (_v, index) => ({ index }));
  const pending = new Map<number, Pending>();
  let nextQuery = 0;
  let stopping = false;
  let port: number | undefined;
  let http: Server | undefined;
  let started: { resolve: () => void; reject: (err: Error) => void } | undefined;

  const countLive = () => {
    live.set({ state: 'serving' }, slots.filter((s) => s.worker && s.servedAt !== undefined).length);
    live.set({ state: 'expected' }, n);
  };

  /** Ends a query without an answer (timed out, or the worker is gone). */
  const unanswered = (id: number) => {
    const p = pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    pending.delete(id);
    p.resolve(undefined);
  };
  /** Sends a message that the worker answers (same id); undefined when it does not in time, or is gone. */
  const request = (worker: Worker, message: (id: number) => PrimaryMessage, timeoutMs: number): Promise<WorkerMessage | undefined> =>
    new Promise((resolve) => {
      const id = nextQuery++;
      pending.set(id, { worker, resolve, timer: setTimeout(() => unanswered(id), timeoutMs) });
      try {
        worker.send(message(id), undefined, (err: Error | null) => err && unanswered(id));
      } catch {
        unanswered(id);
      }
    });
  const ask = (worker: Worker, what: QueryMessage['what']) => request(worker, (id) => ({ stepup: 'query', id, what }), QUERY_TIMEOUT_MS);
  const tell = (worker: Worker, message: CommitMessage) => {
    try {
      worker.send(message);
    } catch {
      // gone: its replacement catches up
    }
  };

  // Controller mode: this process holds the one stream to the controller and
  // relays each verified snapshot to the workers, in two phases so that they
  // all switch or none does; the ACK (or NACK) waits for them.
  let current: SnapshotMessage | undefined;
  let relayChain: Promise<void> = Promise.resolve();
  /** Runs relays and catch-ups one at a time, so a worker never sees two snapshots interleaved. */
  const serial = (op: () => Promise<void>): Promise<void> => {
    const run = relayChain.then(op);
    relayChain = run.catch(() => undefined);
    return run;
  };
  const servingSlots = () => slots.filter((s) => s.worker && s.servedAt !== undefined && s.worker.isConnected());
  const prepareOn = async (worker: Worker, snapshot: SnapshotMessage): Promise<string | undefined> => {
    const reply = await request(worker, (id) => ({ stepup: 'prepare', id, snapshot: toWire(snapshot) }), PREPARE_TIMEOUT_MS);
    if (reply?.stepup !== 'prepared') return `worker ${worker.id} did not answer within ${PREPARE_TIMEOUT_MS} ms`;
    const error = (reply as PreparedReply).error;
    return error === undefined ? undefined : `worker ${worker.id}: ${error}`;
  };
  /** Brings every serving worker that lags (new, or replaced) to the current snapshot. */
  const catchUp = async () => {
    const snapshot = current;
    if (!snapshot) return;
    for (const slot of servingSlots().filter((s) => s.version !== snapshot.version)) {
      const worker = slot.worker as Worker;
      const error = await prepareOn(worker, snapshot);
      if (slot.worker !== worker) continue; // replaced meanwhile: the replacement catches up in turn
      if (error) {
        log.error({ worker: worker.id, version: snapshot.version, err: error }, 'a worker refused the snapshot the others enforce; it stays not ready');
        tell(worker, { stepup: 'abort', version: snapshot.version });
      } else {
        tell(worker, { stepup: 'commit', version: snapshot.version });
        slot.version = snapshot.version;
      }
    }
  };
  const relay = async (snapshot: SnapshotMessage) => {
    // Worker processes fixed now: a slot's worker may be replaced while they prepare.
    const targets = servingSlots().map((slot) => ({ slot, worker: slot.worker as Worker }));
    const errors = (await Promise.all(targets.map((t) => prepareOn(t.worker, snapshot)))).filter((e): e is string => e !== undefined);
    if (errors.length > 0) {
      for (const t of targets) tell(t.worker, { stepup: 'abort', version: snapshot.version });
      throw new Error(errors.join('; '));
    }
    current = snapshot;
    for (const t of targets) {
      if (t.slot.worker !== t.worker) continue; // gone: its replacement catches up below
      tell(t.worker, { stepup: 'commit', version: snapshot.version });
      t.slot.version = snapshot.version;
    }
    log.info({ version: snapshot.version, workers: targets.map((t) => t.worker.id) }, 'snapshot in force in every worker');
    await catchUp(); // workers that started serving meanwhile
  };
  const onSet = (set: PolicySet, from: 'controller' | 'disk', snapshot: SnapshotMessage): void | Promise<void> => {
    checkSharedState(set, config); // throws: NACK, nothing reaches the workers
    if (from === 'disk') {
      current = snapshot; // handed to each worker as it starts serving
      return;
    }
    return serial(() => relay(snapshot));
  };
  const reloads = new Counter({ name: 'stepup_policy_reloads_total', help: 'Policy (re)loads by result.', labelNames: ['result'], registers: [registry], aggregator: 'max' });
  let source: ControllerPolicySource | undefined;

  const liveWorkers = () => slots.flatMap((s) => (s.worker && s.worker.isConnected() ? [s.worker] : []));

  const fork = (slot: Slot) => {
    slot.servedAt = undefined;
    slot.fatal = undefined;
    slot.version = undefined;
    const worker = cluster.fork();
    slot.worker = worker;
    const pid = worker.process.pid;
    log.info({ worker: worker.id, slot: slot.index, pid }, 'worker started');
    worker.on('message', (msg: unknown) => {
      if (!isStepupMessage(msg)) return;
      const m = msg as WorkerMessage;
      if (m.stepup === 'serving') {
        slot.servedAt = Date.now();
        port ??= m.port;
        policy.served();
        countLive();
        log.info({ worker: worker.id, slot: slot.index, pid, port: m.port }, 'worker serving');
        if (config.controller) void serial(catchUp);
        if (started && slots.every((s) => s.servedAt !== undefined)) started.resolve();
      } else if (m.stepup === 'fatal') {
        slot.fatal = m.message;
      } else {
        const p = pending.get(m.id);
        if (p) {
          clearTimeout(p.timer);
          pending.delete(m.id);
          p.resolve(m);
        }
      }
    });
    worker.on('exit', (code, signal) => {
      if (slot.worker === worker) slot.worker = undefined;
      for (const [id, p] of pending) if (p.worker === worker) unanswered(id);
      countLive();
      if (stopping) return;
      const served = slot.servedAt !== undefined;
      const why = slot.fatal ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
      log.warn({ worker: worker.id, slot: slot.index, pid, code, signal, reason: why }, served ? 'worker ended' : 'worker ended before serving');
      const step = policy.ended({ served, servedMs: served ? Date.now() - (slot.servedAt as number) : 0 });
      slot.servedAt = undefined;
      if (step.action === 'give-up') {
        const err = new WorkerStartFailure(`${step.why}: worker ${worker.id} (pid ${pid}): ${why}`);
        if (started) return void started.reject(err);
        log.fatal({ err: err.message }, 'giving up');
        void stopAll().then(() => {
          process.stderr.write(`stepup-sidecar: ${err.message}\n`);
          process.exit(1);
        });
        return;
      }
      restarts.inc();
      log.warn({ slot: slot.index, retry_in_ms: step.delayMs }, 'replacing the worker');
      slot.restartTimer = setTimeout(() => {
        slot.restartTimer = undefined;
        if (!stopping) fork(slot);
      }, step.delayMs);
    });
  };

  const stopAll = async () => {
    stopping = true;
    source?.stop();
    http?.close();
    for (const s of slots) clearTimeout(s.restartTimer);
    const running = slots.flatMap((s) => (s.worker && !s.worker.isDead() ? [s.worker] : []));
    await Promise.all(
      running.map(
        (w) =>
          new Promise<void>((resolve) => {
            const kill = setTimeout(() => w.process.kill('SIGKILL'), STOP_GRACE_MS);
            w.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            w.process.kill('SIGTERM');
          }),
      ),
    );
  };

  cluster.setupPrimary({ exec: process.argv[1] as string, args: process.argv.slice(2) });
  countLive();
  try {
    await new Promise<void>((resolve, reject) => {
      started = { resolve, reject };
      for (const slot of slots) fork(slot);
    });
  } catch (err) {
    await stopAll();
    throw err;
  } finally {
    started = undefined;
  }

  // Controller mode: connect once every worker serves, so the first ACK means what every later one does.
  // The persisted snapshot (if any) is read now, handed to the workers, then the controller's.
  if (config.controller) {
    source = startControllerMode(config, packageVersion(), log, { onSet, onReject: () => reloads.inc({ result: 'rejected' }) });
    void serial(catchUp);
  }

  const health = async () => {
    const workers = liveWorkers();
    const answers = await Promise.all(workers.map((w) => ask(w, 'health')));
    return combineHealth(n, answers.map((a) => (a?.stepup === 'health' ? (a as HealthReply) : undefined)));
  };
  const metrics = {
    contentType: registry.contentType,
    metrics: async () => {
      const answers = await Promise.all(liveWorkers().map((w) => ask(w, 'metrics')));
      const all: MetricObjectWithValues<MetricValue<string>>[][] = [await registry.getMetricsAsJSON(), ...answers.flatMap((a) => (a?.stepup === 'metrics' ? [(a as MetricsReply).metrics] : []))];
      return AggregatorRegistry.aggregate(all).metrics();
    },
  };
  http = await startHttpServer(config.httpListen, { status: health }, metrics);
  log.info({ listen: config.listen, port, http: config.httpListen, workers: n, pids: slots.map((s) => s.worker?.process.pid) }, 'stepup-sidecar serving');

  const stop = (signal: string) => {
    log.info({ signal }, 'stopping the workers');
    void stopAll().then(() => process.exit(0));
    setTimeout(() => process.exit(0), STOP_GRACE_MS + 1000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
