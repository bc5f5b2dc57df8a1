// Lease-based leader election (coordination.k8s.io/v1). One replica holds the
// Lease and renews it; the others watch it and take it over when it has not
// changed for a whole lease duration (timed on their own clock, never by
// comparing clocks). Updates carry the resourceVersion, so two candidates
// cannot both win. A leader that cannot renew in time steps down.
import type { Logger } from 'pino';
import { KubeError, type KubeRest } from './rest.js';

interface Lease {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly retryPeriodMs: number;
  readonly log: Logger;
  readonly onChange: (leading: boolean) => void;
}

/** MicroTime as the API server parses it: RFC 3339 with exactly six fraction digits. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  leading = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private lastRenew = 0;
  private observed = { record: '', at: 0 };

  constructor(
    private readonly rest: KubeRest,
    private readonly opts: LeaderElectionOptions,
  ) {}

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.opts.namespace)}/leases`;
  }

  start(): void {
    void this.tick();
  }

  /** Stops; a leader releases the Lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.setLeading(false);
    try {
      const lease = await this.rest.get<Lease>(`${this.path}/${this.opts.name}`);
      if (lease.spec.holderIdentity !== this.opts.identity) return;
      lease.spec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) };
      await this.rest.request('PUT', `${this.path}/${this.opts.name}`, lease);
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'could not release the leader Lease');
    }
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.opts.log.info({ identity: this.opts.identity, lease: `${this.opts.namespace}/${this.opts.name}` }, leading ? 'became the leader: writing status' : 'no longer the leader');
    this.opts.onChange(leading);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.tryAcquireOrRenew();
    } catch (err) {
      const conflict = err instanceof KubeError && err.status === 409;
      if (!conflict) this.opts.log.warn({ err: (err as Error).message }, 'leader election: Lease update failed');
    }
    if (this.leading && Date.now() - this.lastRenew > this.opts.leaseDurationMs * 0.8) this.setLeading(false);
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.opts.retryPeriodMs);
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const now = new Date();
    const spec = { holderIdentity: this.opts.identity, leaseDurationSeconds: Math.ceil(this.opts.leaseDurationMs / 1000), renewTime: microTime(now) };
    const lease = await this.rest.find<Lease>(`${this.path}/${this.opts.name}`);
    if (!lease) {
      const fresh: Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.opts.name, namespace: this.opts.namespace }, spec: { ...spec, acquireTime: spec.renewTime, leaseTransitions: 0 } };
      await this.rest.request('POST', this.path, fresh);
      return this.renewed();
    }
    const holder = lease.spec.holderIdentity ?? '';
    if (holder === this.opts.identity) {
      lease.spec = { ...lease.spec, ...spec };
      await this.rest.request('PUT', `${this.path}/${this.opts.name}`, lease);
      return this.renewed();
    }
    const record = `${holder}|${lease.spec.renewTime ?? ''}|${lease.metadata.resourceVersion ?? ''}`;
    if (record !== this.observed.record) this.observed = { record, at: Date.now() };
    const durationMs = (lease.spec.leaseDurationSeconds ?? 15) * 1000;
    if (holder && Date.now() - this.observed.at < durationMs) return this.setLeading(false);
    lease.spec = { ...lease.spec, ...spec, acquireTime: spec.renewTime, leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 };
    await this.rest.request('PUT', `${this.path}/${this.opts.name}`, lease);
    this.opts.log.info({ previous: holder || undefined }, 'took over the leader Lease');
    this.renewed();
  }

  private renewed(): void {
    this.lastRenew = Date.now();
    this.setLeading(true);
  }
}
