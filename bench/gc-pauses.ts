// The GC pauses of a system under test inside one load window, from the file
// bench/gc-observer.ts writes when the process exits.
import { existsSync, readFileSync } from 'node:fs';

export interface GcPause {
  kind: 'minor' | 'major' | 'incremental' | 'weak' | 'other';
  startMs: number;
  durationMs: number;
}

export interface GcWindow {
  seconds: number;
  /** Young-generation collections (scavenges): how many per second, median and longest pause. */
  minorPerSecond: number;
  minorP50Ms: number;
  minorMaxMs: number;
  /** Full (mark-compact) collections: how many, and the longest pause. */
  major: number;
  majorMaxMs: number;
  /** Share of the window spent in any GC pause. */
  pausedShare: number;
}

const KINDS: Record<number, GcPause['kind']> = { 1: 'minor', 4: 'major', 8: 'incremental', 16: 'weak' };

/** The pauses a process recorded; [] when it wrote none (not a Node process, or killed before exit). */
export function readGcPauses(file: string): GcPause[] {
  if (!existsSync(file)) return [];
  const flat = JSON.parse(readFileSync(file, 'utf8')) as number[];
  const out: GcPause[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) out.push({ kind: KINDS[flat[i] as number] ?? 'other', startMs: flat[i + 1] as number, durationMs: flat[i + 2] as number });
  return out;
}

export function gcInWindow(pauses: readonly GcPause[], startMs: number, endMs: number): GcWindow {
  const inside = pauses.filter((p) => p.startMs >= startMs && p.startMs < endMs);
  const minor = inside.filter((p) => p.kind === 'minor').map((p) => p.durationMs).sort((a, b) => a - b);
  const major = inside.filter((p) => p.kind === 'major').map((p) => p.durationMs);
  const seconds = (endMs - startMs) / 1000;
  return {
    seconds,
    minorPerSecond: seconds > 0 ? minor.length / seconds : 0,
    minorP50Ms: minor.length > 0 ? (minor[Math.floor(minor.length / 2)] as number) : 0,
    minorMaxMs: minor.at(-1) ?? 0,
    major: major.length,
    majorMaxMs: major.length > 0 ? Math.max(...major) : 0,
    pausedShare: seconds > 0 ? inside.reduce((sum, p) => sum + p.durationMs, 0) / (seconds * 1000) : 0,
  };
}
