// Cores and CPU time: pinning processes with taskset, and reading how busy a
// process and each core were (from /proc), so a result says which side of
// the benchmark ran out of CPU.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Pins every thread of `pid` (and the threads it starts later) to `cpu`. */
export function pinProcess(pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' });
}

/** The distinct Cpus_allowed_list values of a process's threads, e.g. ["0"]. */
export function affinityOf(pid: number): string[] {
  const lists = new Set<string>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(status);
      if (m?.[1]) lists.add(m[1]);
    } catch {
      // the thread ended
    }
  }
  return [...lists].sort();
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU seconds a process used so far, all threads. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

export interface CoreTimes {
  busy: number;
  steal: number;
  total: number;
}

/** Cumulative jiffies per core from /proc/stat. */
export function coreTimes(): Map<number, CoreTimes> {
  const out = new Map<number, CoreTimes>();
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const v = (m[2] as string).split(/\s+/).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
    out.set(Number(m[1]), { busy: user + nice + system + irq + softirq, steal, total: user + nice + system + idle + iowait + irq + softirq + steal });
  }
  return out;
}
