// When a worker process ends, what the primary does next: replace it after a
// growing delay, or give up (the sidecar exits non-zero) when workers keep
// dying before they serve. Pure: the caller measures time and does the rest.

export interface RestartOptions {
  /** First delay; doubles with each death in a row. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** A worker that served this long before dying starts the delays over. */
  readonly stableMs: number;
  /** Workers dying before they serve, this many times in a row: give up. */
  readonly maxStartFailures: number;
}

export const DEFAULT_RESTART: RestartOptions = { initialDelayMs: 100, maxDelayMs: 10_000, stableMs: 10_000, maxStartFailures: 5 };

export interface WorkerEnd {
  /** Whether the worker reached "serving" (bound its port, policies in force). */
  readonly served: boolean;
  /** How long it served, ms (0 when it never did). */
  readonly servedMs: number;
}

export type NextStep = { readonly action: 'restart'; readonly delayMs: number } | { readonly action: 'give-up'; readonly why: string };

export class RestartPolicy {
  private deaths = 0;
  private startFailures = 0;
  private everServed = false;

  constructor(private readonly opts: RestartOptions = DEFAULT_RESTART) {}

  /** A worker reached "serving". */
  served(): void {
    this.everServed = true;
    this.startFailures = 0;
  }

  /** A worker ended while the sidecar is not stopping. */
  ended(end: WorkerEnd): NextStep {
    if (!end.served && !this.everServed) return { action: 'give-up', why: 'a worker failed to start' };
    if (end.served && end.servedMs >= this.opts.stableMs) this.deaths = 0;
    if (!end.served) this.startFailures++;
    if (this.startFailures >= this.opts.maxStartFailures) return { action: 'give-up', why: `${this.startFailures} workers in a row failed to start` };
    const delayMs = Math.min(this.opts.maxDelayMs, this.opts.initialDelayMs * 2 ** Math.min(this.deaths, 20));
    this.deaths++;
    return { action: 'restart', delayMs };
  }
}
