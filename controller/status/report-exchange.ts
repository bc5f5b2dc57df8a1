// Shares sync reports between replicas. Sidecars may be connected to any
// replica, but only the leader writes status: each replica publishes its own
// counts in a ConfigMap (stepup-sync-<replica>) in the controller's namespace,
// refreshed periodically; the leader reads them all and ignores stale ones
// (a dead replica's), so every sidecar is counted once.
import type { Logger } from 'pino';
import { startInformer, type RunningInformer } from '../kube/resilient-informer.js';
import { KubeError, MERGE_PATCH, type KubeRest } from '../kube/rest.js';
import type { SyncReport } from './sync-report.js';

export const REPORT_LABEL = 'stepup.dev/sync-report';

interface ConfigMap {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

export interface ReportExchangeOptions {
  readonly namespace: string;
  readonly replicaId: string;
  readonly intervalMs: number;
  readonly staleMs: number;
  readonly backoffMaxMs: number;
  readonly log: Logger;
  /** Another replica's report arrived or changed. */
  readonly onRemoteChange: () => void;
}

export function reportName(replicaId: string): string {
  const safe = replicaId.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return `stepup-sync-${safe || 'replica'}`;
}

export class ReportExchange {
  private informer?: RunningInformer<ConfigMap>;
  private heartbeat?: NodeJS.Timeout;
  private lastJson = '';
  private publishing = false;
  private again = false;
  private readonly name: string;

  constructor(
    private readonly rest: KubeRest,
    private readonly local: () => SyncReport,
    private readonly opts: ReportExchangeOptions,
  ) {
    this.name = reportName(opts.replicaId);
  }

  start(): void {
    const path = `/api/v1/namespaces/${encodeURIComponent(this.opts.namespace)}/configmaps`;
    this.informer = startInformer<ConfigMap>(this.rest, path, { upsert: () => this.opts.onRemoteChange(), remove: () => this.opts.onRemoteChange() }, { name: 'sync-reports', labelSelector: `${REPORT_LABEL}=true`, backoffMaxMs: this.opts.backoffMaxMs, log: this.opts.log });
    this.heartbeat = setInterval(() => void this.publish(true), this.opts.intervalMs);
    void this.publish(true);
  }

  /** Every fresh report: this replica's, computed now, and the other replicas' published ones. */
  reports(): SyncReport[] {
    const out: SyncReport[] = [this.local()];
    const now = Date.now();
    for (const cm of this.informer?.list() ?? []) {
      const data = cm.data ?? {};
      if (cm.metadata.name === this.name || now - Number(data.updatedAt) > this.opts.staleMs) continue;
      try {
        out.push(JSON.parse(data.report ?? '{}') as SyncReport);
      } catch {
        this.opts.log.warn({ configmap: cm.metadata.name }, 'unreadable sync report ignored');
      }
    }
    return out;
  }

  /** Publishes this replica's report when it changed (or always, for the heartbeat). */
  async publish(force = false): Promise<void> {
    if (this.publishing) return void (this.again = true);
    const json = JSON.stringify(this.local());
    if (!force && json === this.lastJson) return;
    this.publishing = true;
    try {
      await this.write(json);
      this.lastJson = json;
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'could not publish the sync report');
    } finally {
      this.publishing = false;
    }
    if (this.again) {
      this.again = false;
      void this.publish();
    }
  }

  private async write(report: string): Promise<void> {
    const base = `/api/v1/namespaces/${encodeURIComponent(this.opts.namespace)}/configmaps`;
    const data = { replica: this.opts.replicaId, updatedAt: String(Date.now()), report };
    try {
      await this.rest.request('PATCH', `${base}/${this.name}`, { data }, MERGE_PATCH);
    } catch (err) {
      if (!(err instanceof KubeError && err.status === 404)) throw err;
      const cm: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: this.name, namespace: this.opts.namespace, labels: { [REPORT_LABEL]: 'true' } }, data };
      await this.rest.request('POST', base, cm);
    }
  }

  /** Stops, and removes this replica's report so the leader stops counting it at once. */
  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.informer?.stop();
    await this.rest.request('DELETE', `/api/v1/namespaces/${encodeURIComponent(this.opts.namespace)}/configmaps/${this.name}`).catch(() => undefined);
  }
}
