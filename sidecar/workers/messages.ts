// What the primary and its workers say to each other over the cluster IPC
// channel, and how the primary turns the workers' answers into one readiness.
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

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
export type WorkerMessage = ServingMessage | FatalMessage | HealthReply | MetricsReply;

/** Messages of ours (other modules may use the same channel). */
export function isStepupMessage(m: unknown): m is WorkerMessage | QueryMessage {
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
