// Samples, every 100 ms, the CPU time of the processes of a run (the server,
// ghz) and of every core, so that CPU can be measured over exactly the load
// window ghz reports (first request sent to last answer), not over ghz's
// start-up or report writing.
import { coreTimes, processCpuSeconds, type CoreTimes } from './cpu.js';

interface Sample {
  t: number;
  procs: Map<string, number>;
  cores: Map<number, CoreTimes>;
}

export interface WindowUse {
  /** CPU seconds each tracked process used in the window. */
  procSeconds: Record<string, number>;
  /** Share of each core busy and stolen in the window (0..1). */
  cores: Map<number, { busy: number; steal: number }>;
}

function lerp(a: number, b: number, f: number): number {
  return a + (b - a) * f;
}

export class CpuSampler {
  private readonly pids = new Map<string, number>();
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;

  track(name: string, pid: number): void {
    this.pids.set(name, pid);
    this.sample();
  }

  start(intervalMs = 100): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  private sample(): void {
    const procs = new Map<string, number>();
    for (const [name, pid] of this.pids) {
      try {
        procs.set(name, processCpuSeconds(pid));
      } catch {
        // exited: keep the last reading
        const last = this.samples.at(-1)?.procs.get(name);
        if (last !== undefined) procs.set(name, last);
      }
    }
    this.samples.push({ t: Date.now(), procs, cores: coreTimes() });
  }

  /** Readings interpolated at wall time t (ms). */
  private at(t: number): Sample {
    const s = this.samples;
    const i = s.findIndex((x) => x.t >= t);
    if (i <= 0) return (i === 0 ? s[0] : s.at(-1)) as Sample;
    const a = s[i - 1] as Sample;
    const b = s[i] as Sample;
    const f = b.t === a.t ? 1 : (t - a.t) / (b.t - a.t);
    const procs = new Map([...b.procs].map(([k, v]) => [k, lerp(a.procs.get(k) ?? v, v, f)]));
    const cores = new Map(
      [...b.cores].map(([k, v]) => {
        const u = a.cores.get(k) ?? v;
        return [k, { busy: lerp(u.busy, v.busy, f), steal: lerp(u.steal, v.steal, f), total: lerp(u.total, v.total, f) }];
      }),
    );
    return { t, procs, cores };
  }

  window(startMs: number, endMs: number): WindowUse {
    const a = this.at(startMs);
    const b = this.at(endMs);
    const procSeconds: Record<string, number> = {};
    for (const [k, v] of b.procs) procSeconds[k] = v - (a.procs.get(k) ?? v);
    const cores = new Map<number, { busy: number; steal: number }>();
    for (const [k, v] of b.cores) {
      const u = a.cores.get(k);
      const total = u ? v.total - u.total : 0;
      cores.set(k, total > 0 && u ? { busy: (v.busy - u.busy) / total, steal: (v.steal - u.steal) / total } : { busy: Number.NaN, steal: Number.NaN });
    }
    return { procSeconds, cores };
  }
}
