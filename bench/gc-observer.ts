// Loaded into a Node system under test with --import (bench/systems.ts):
// records every garbage-collection pause (kind, start, duration) and writes
// them, at exit, to the file named by STEPUP_BENCH_GC_FILE. The bench then
// counts the pauses inside each measured load window (bench/gc-pauses.ts).
// Nothing is written while the process runs, so the measurement costs one
// array push per pause.
import { writeFileSync } from 'node:fs';
import { performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

const file = process.env.STEPUP_BENCH_GC_FILE;
if (file) {
  // Flat triples: kind (perf_hooks constants: 1 minor, 4 major, 8 incremental, 16 weak callbacks), start (epoch ms), duration (ms).
  const pauses: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
      pauses.push(e.detail?.kind ?? 0, performance.timeOrigin + e.startTime, e.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  process.on('exit', () => writeFileSync(file, JSON.stringify(pauses)));
}
