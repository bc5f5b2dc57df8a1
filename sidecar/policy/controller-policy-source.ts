// Controller mode: holds one stream to the controller, loads every snapshot it
// pushes (checked and compiled like standalone policies), answers ACK or NACK,
// and keeps the last good snapshot in memory and on disk. Reconnects with
// backoff; while the controller is away the last good snapshot stays in force.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { distributionClient, type DistributionClient, type HelloMessage, type SnapshotMessage, type WireControllerMessage, type WireSidecarMessage } from '../../common/distribution/protocol.js';
import type { PolicySet } from '../../common/policy/policy-set.js';
import { loadSnapshot, type SnapshotTrust } from './snapshot-loader.js';
import { readSnapshot, saveSnapshot } from './snapshot-store.js';

export interface ControllerSourceOptions {
  readonly addresses: readonly string[];
  readonly trust: SnapshotTrust;
  readonly stateDir: string;
  /** The Hello to send, built anew for every connection (the identity token is reread). */
  readonly hello: () => Omit<HelloMessage, 'currentVersion'>;
  readonly credentials: grpc.ChannelCredentials;
  readonly reconnectMaxMs: number;
  readonly log: Logger;
  /**
   * Puts a new set in force; throws (or rejects) to refuse it (then it is
   * NACKed and the previous one stays). May finish later (a --workers primary
   * waits for its workers): the ACK waits for it, and snapshots are handled
   * one at a time, in order.
   */
  readonly onSet: (set: PolicySet, from: 'controller' | 'disk', snapshot: SnapshotMessage) => void | Promise<void>;
  /** A snapshot was refused (bad signature, invalid policy, ...); the previous set stays. */
  readonly onReject: (version: string, reason: string) => void;
}

const CHANNEL_OPTIONS: grpc.ChannelOptions = { 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000, 'grpc.keepalive_permit_without_calls': 1 };

export class ControllerPolicySource {
  private current?: SnapshotMessage;
  private attempt = 0;
  private next = 0;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private client?: DistributionClient;
  private call?: grpc.ClientDuplexStream<WireSidecarMessage, WireControllerMessage>;
  /** The snapshot being handled, then the next: one at a time, in arrival order. */
  private handling: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ControllerSourceOptions) {}

  /** The version in force, if any. */
  get version(): string | undefined {
    return this.current?.version;
  }

  /** Loads the persisted snapshot (when it verifies), then connects. */
  start(): void {
    this.loadFromDisk();
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.call?.cancel();
    this.client?.close();
  }

  private loadFromDisk(): void {
    const { log, stateDir } = this.opts;
    let stored: SnapshotMessage | undefined;
    try {
      stored = readSnapshot(stateDir);
      if (!stored) return void log.info({ state_dir: stateDir }, 'no persisted snapshot: not ready until the controller sends one');
      // Synchronous here by contract: a primary records it and hands it to its workers as they come.
      void this.opts.onSet(loadSnapshot(stored, this.opts.trust), 'disk', stored);
      this.current = stored;
      log.info({ version: stored.version, state_dir: stateDir }, 'starting from the persisted snapshot');
    } catch (err) {
      log.error({ err: (err as Error).message, state_dir: stateDir }, 'persisted snapshot refused: not ready until the controller sends one');
      if (stored) this.opts.onReject(stored.version, (err as Error).message);
    }
  }

  private connect(): void {
    if (this.stopped) return;
    const address = this.opts.addresses[this.next % this.opts.addresses.length] as string;
    this.next++;
    this.client?.close();
    this.client = distributionClient(address, this.opts.credentials, CHANNEL_OPTIONS);
    const call = this.client.Stream();
    this.call = call;
    let hello: HelloMessage;
    try {
      hello = { ...this.opts.hello(), currentVersion: this.current?.version ?? '' };
    } catch (err) {
      this.opts.log.error({ err: (err as Error).message }, 'cannot build the hello (identity token?)');
      call.cancel();
      return this.retry(call, address, err as Error);
    }
    call.write({ hello });
    call.on('data', (msg: WireControllerMessage) => {
      this.attempt = 0;
      const snapshot = msg.snapshot;
      // A failure while handling one snapshot must not stop the ones after it (a rejected chain would skip them all).
      if (snapshot) this.handling = this.handling.then(() => this.receive(call, snapshot)).catch((err: unknown) => this.opts.log.error({ version: snapshot.version, err: (err as Error).message }, 'handling a snapshot failed; the previous one stays in force'));
    });
    call.on('error', (err: Error) => this.retry(call, address, err));
    call.on('end', () => this.retry(call, address, new Error('the controller closed the stream')));
    this.opts.log.debug({ controller: address }, 'connecting to the controller');
  }

  private retry(call: grpc.ClientDuplexStream<WireSidecarMessage, WireControllerMessage>, address: string, err: Error): void {
    if (this.call !== call || this.stopped) return;
    this.call = undefined;
    const delay = Math.min(this.opts.reconnectMaxMs, 100 * 2 ** Math.min(this.attempt, 16));
    this.attempt++;
    const wait = Math.round(delay / 2 + Math.random() * (delay / 2));
    this.opts.log.warn({ controller: address, err: err.message, retry_in_ms: wait, version: this.current?.version }, 'controller stream lost; the current snapshot stays in force');
    this.timer = setTimeout(() => this.connect(), wait);
  }

  private async receive(call: grpc.ClientDuplexStream<WireSidecarMessage, WireControllerMessage>, snapshot: SnapshotMessage): Promise<void> {
    const { log } = this.opts;
    // The stream this snapshot came on may have ended while an earlier one was handled: answer only on a live one.
    const answer = (msg: WireSidecarMessage) => {
      if (this.call === call) call.write(msg);
    };
    if (snapshot.version === this.current?.version) return answer({ ack: { version: snapshot.version } });
    try {
      // onSet builds the runtime (e.g. IP lists) and may refuse the set too.
      const applied = this.opts.onSet(loadSnapshot(snapshot, this.opts.trust), 'controller', snapshot);
      if (applied) await applied;
    } catch (err) {
      const reason = (err as Error).message;
      log.error({ version: snapshot.version, err: reason, kept: this.current?.version }, 'snapshot refused (NACK); the previous one stays in force');
      this.opts.onReject(snapshot.version, reason);
      return answer({ nack: { version: snapshot.version, error: reason } });
    }
    this.current = snapshot;
    try {
      saveSnapshot(this.opts.stateDir, snapshot);
    } catch (err) {
      log.error({ err: (err as Error).message, state_dir: this.opts.stateDir }, 'cannot persist the snapshot; a restart will wait for the controller');
    }
    answer({ ack: { version: snapshot.version } });
  }
}
