// The record of one benchmark run, as written to bench/results/latest.json.
import type { GcWindow } from './gc-pauses.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Machine } from './machine.js';
import type { MemoryResult } from './memory-run.js';
import type { W4Result } from './w4-envoy.js';
import type { ProfileResult } from './profile-run.js';
import type { BenchOptions } from './options.js';
import type { CheckAnswer } from './systems.js';
import type { Repetition, Summary, SystemId } from './summary.js';

export interface RequestShape {
  /** Serialized CheckRequest size with grpc-js (protobuf bytes on the wire, before HTTP/2 framing). */
  wireBytes: number;
  headers: number;
  bodyBytes: number;
  tokenChars: number;
  /** One item of the ghz data file. */
  jsonItemBytes: number;
  path: string;
}

export interface BenchResults {
  date: string;
  command: string;
  /** Wall time of the whole run, s. */
  elapsedSeconds: number;
  options: Omit<BenchOptions, 'ghz' | 'outRoot'>;
  machine: Machine;
  loadAverageAtEnd: number[];
  request: RequestShape;
  policy: { rules: number; matchingBenchRequest: number };
  /** What each system answered to one Check of the bench request. */
  sanity: Partial<Record<SystemId, CheckAnswer>>;
  /** Cpus_allowed_list of every thread of each server process. */
  pinning: Partial<Record<SystemId, string[]>>;
  reps: Repetition[];
  summary: Summary;
  warnings: string[];
  /** The sidecar profiled under W1 (and W2), when a goal was missed or asked for. */
  profiles: ProfileResult[];
  /** W4: end to end through Envoy (absent with --no-w4). */
  w4?: W4Result;
  /** W5: resident memory with 10 and 1,000 rules (empty with --no-memory). */
  memory: MemoryResult[];
  /** Resident and peak memory (MiB) of each system after all its runs (20 rules). */
  residentAfterRuns: Partial<Record<SystemId, { rss: number; peak: number }>>;
  /** GC pauses of each Node system during its open-loop run, one entry per repetition (absent in older results). */
  gc?: Partial<Record<SystemId, GcWindow[]>>;
}

export function writeResults(file: string, results: BenchResults): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}
