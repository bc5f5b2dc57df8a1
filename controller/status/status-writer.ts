// Writes each StepUpPolicy's status (leader only): gathers changes for a short
// interval, then patches the /status subresource of every policy whose status
// should differ from what the API server holds. Records an Event when a
// generation is accepted or rejected.
import type { Logger } from 'pino';
import { recordEvent } from '../kube/events.js';
import { KubeError, MERGE_PATCH, type KubeRest } from '../kube/rest.js';
import type { PolicyEntry, PolicyStore } from '../policy/policy-store.js';
import { desiredStatus, sameStatus, type PolicyStatus } from './policy-status.js';
import { mergeCounts, type SyncReport } from './sync-report.js';

export interface StatusWriterDeps {
  readonly rest: KubeRest;
  readonly store: PolicyStore;
  /** Every live replica's sync report, this one's included. */
  readonly reports: () => SyncReport[];
  readonly log: Logger;
  readonly intervalMs: number;
  /** Status is rewritten at least this often while active (reports of dead replicas age out). */
  readonly refreshMs: number;
  readonly replicaId: string;
}

const WRITTEN_TTL_MS = 10_000;

function statusPath(entry: PolicyEntry): string {
  return `/apis/stepup.dev/v1alpha1/namespaces/${encodeURIComponent(entry.namespace)}/stepuppolicies/${encodeURIComponent(entry.name)}/status`;
}

export class StatusWriter {
  private active = false;
  private timer?: NodeJS.Timeout;
  private refresh?: NodeJS.Timeout;
  private flushing = false;
  private readonly written = new Map<string, { status: PolicyStatus; at: number }>();
  private readonly announced = new Set<string>();
  writes = 0;

  constructor(private readonly deps: StatusWriterDeps) {}

  setActive(active: boolean): void {
    this.active = active;
    clearTimeout(this.timer);
    clearInterval(this.refresh);
    this.timer = undefined;
    this.written.clear();
    if (!active) return;
    this.refresh = setInterval(() => this.poke(), this.deps.refreshMs);
    this.poke();
  }

  /** Something changed: write within the interval. */
  poke(): void {
    if (!this.active || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.deps.intervalMs);
  }

  private async flush(): Promise<void> {
    if (this.flushing) return void this.poke();
    this.flushing = true;
    try {
      const reports = this.deps.reports();
      for (const entry of [...this.deps.store.all()]) {
        if (!this.active) return;
        const version = entry.verdict.accepted && entry.inForce ? entry.inForce.version : '';
        const current = entry.object.status as Partial<PolicyStatus> | undefined;
        const status = desiredStatus(entry, mergeCounts(reports, entry.id, version), current, new Date());
        if (sameStatus(status, current)) continue;
        const prior = this.written.get(entry.id);
        if (prior && Date.now() - prior.at < WRITTEN_TTL_MS && sameStatus(prior.status, status)) continue;
        await this.write(entry, status, current);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async write(entry: PolicyEntry, status: PolicyStatus, current: Partial<PolicyStatus> | undefined): Promise<void> {
    try {
      const manager = encodeURIComponent(`stepup-controller/${this.deps.replicaId}`.slice(0, 128));
      await this.deps.rest.request('PATCH', `${statusPath(entry)}?fieldManager=${manager}`, { status }, MERGE_PATCH);
      this.writes++;
      this.written.set(entry.id, { status, at: Date.now() });
      this.deps.log.debug({ policy: entry.id, generation: entry.generation, sidecars: status.sidecars.summary }, 'status written');
      await this.announce(entry, status, current);
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) return; // deleted meanwhile
      this.deps.log.warn({ policy: entry.id, err: (err as Error).message }, 'status write failed; will retry');
      this.poke();
    }
  }

  /** One Event per generation when its verdict first shows in status. */
  private async announce(entry: PolicyEntry, status: PolicyStatus, current: Partial<PolicyStatus> | undefined): Promise<void> {
    const key = `${entry.uid}/${entry.generation}`;
    const before = current?.conditions?.find((c) => c.type === 'Accepted');
    if (this.announced.has(key) || before?.observedGeneration === entry.generation) return;
    if (this.announced.size > 10_000) this.announced.clear();
    this.announced.add(key);
    const accepted = status.conditions.find((c) => c.type === 'Accepted');
    if (!accepted) return;
    const ok = accepted.status === 'True';
    await recordEvent(this.deps.rest, this.deps.log, entry.object, ok ? 'Normal' : 'Warning', ok ? 'Accepted' : 'Rejected', `generation ${entry.generation}: ${accepted.message}`, this.deps.replicaId);
  }
}
