// What the primary and its workers say to each other over the cluster IPC
// channel, and how the primary turns the workers' answers into one readiness.
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { SnapshotMessage } from '../../common/distribution/protocol.js';

/** Worker → primary: bound and serving, with the port actually bound (--listen port 0). */
export interface ServingMessage {
  readonly stepup: 'serving';
  readonly port: number;
}
/** Worker → primary, just before a worker that could not start exits: why. */
export interface FatalMessage {
  readonly stepup: 'fatal';
  readonly message: string;
}
/** Primary → worker. */
export interface QueryMessage {
  readonly stepup: 'query';
  readonly id: number;
  readonly what: 'health' | 'metrics';
}
export interface HealthReply {
  readonly stepup: 'health';
  readonly id: number;
  readonly ready: boolean;
  readonly detail: string;
}
export interface MetricsReply {
  readonly stepup: 'metrics';
  readonly id: number;
  readonly metrics: MetricObjectWithValues<MetricValue<string>>[];
}
export type WorkerMessage = ServingMessage | FatalMessage | HealthReply | MetricsReply | PreparedReply;

/** A controller snapshot as it crosses the IPC channel (JSON: the signature in base64). */
export interface WireSnapshot {
  readonly version: string;
  readonly namespace: string;
  readonly policies: readonly string[];
  readonly signature: string;
  readonly keyId: string;
}
export const toWire = (s: SnapshotMessage): WireSnapshot => ({ version: s.version, namespace: s.namespace, policies: [...s.policies], signature: Buffer.from(s.signature).toString('base64'), keyId: s.keyId });
export const fromWire = (w: WireSnapshot): SnapshotMessage => ({ version: w.version, namespace: w.namespace, policies: [...w.policies], signature: Buffer.from(w.signature, 'base64'), keyId: w.keyId });

/**
 * Controller mode, primary → worker, in two phases so that every worker
 * enforces the same snapshot: prepare (check it and build everything, keep
 * enforcing the current one), then commit (switch) once every worker is
 * prepared, or abort when one is not (the primary then NACKs).
 */
export interface PrepareMessage {
  readonly stepup: 'prepare';
  readonly id: number;
  readonly snapshot: WireSnapshot;
}
export interface CommitMessage {
  readonly stepup: 'commit' | 'abort';
  readonly version: string;
}
/** Worker → primary: prepared, or why not. */
export interface PreparedReply {
  readonly stepup: 'prepared';
  readonly id: number;
  readonly error?: string;
}
export type PrimaryMessage = QueryMessage | PrepareMessage | CommitMessage;

/** Messages of ours (other modules may use the same channel). */
export function isStepupMessage(m: unknown): m is WorkerMessage | PrimaryMessage {
  return typeof m === 'object' && m !== null && typeof (m as { stepup?: unknown }).stepup === 'string';
}

/**
 * Readiness of the whole sidecar: ready only when `expected` workers answered
 * and every one is ready. `answers` holds one entry per live worker,
 * undefined for a worker that did not answer in time.
 */
export function combineHealth(expected: number, answers: readonly (Pick<HealthReply, 'ready' | 'detail'> | undefined)[]): { ready: boolean; detail: string } {
  const got = answers.filter((a): a is Pick<HealthReply, 'ready' | 'detail'> => a !== undefined);
  const readyCount = got.filter((a) => a.ready).length;
  const ready = answers.length === expected && got.length === expected && readyCount === expected;
  const parts = [`${readyCount}/${expected} workers ready`];
  if (answers.length < expected) parts.push(`${expected - answers.length} being replaced`);
  if (got.length < answers.length) parts.push(`${answers.length - got.length} not answering`);
  const details = [...new Set(got.map((a) => a.detail))];
  return { ready, detail: `${parts.join(', ')}${details.length > 0 ? `; ${details.join(' | ')}` : ''}` };
}
