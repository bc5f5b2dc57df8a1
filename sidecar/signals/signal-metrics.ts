// Prometheus metrics of signal collection and the signal store, registered on
// the sidecar's registry.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CollectorEvents } from './collector.js';
import type { StoreEvents } from './store/redis-store.js';

export interface SignalMetrics {
  readonly storeEvents: StoreEvents;
  readonly collectorEvents: CollectorEvents;
  setHealthy(healthy: boolean): void;
}

export function createSignalMetrics(registry: Registry, store: 'memory' | 'redis'): SignalMetrics {
  const r = [registry];
  const healthy = new Gauge({ name: 'stepup_signal_store_healthy', help: '1 while the signal store answers, 0 while degraded (rules reading stored signals fail closed).', labelNames: ['store'], registers: r, aggregator: 'min' }); // across --workers: healthy only if every worker's store is
  const reads = new Counter({ name: 'stepup_signal_store_reads_total', help: 'Signal store reads (one per Check that reads signals), by result.', labelNames: ['result'], registers: r });
  const readTime = new Histogram({ name: 'stepup_signal_store_read_duration_seconds', help: 'Time of one signal store read.', buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1], registers: r });
  const writes = new Counter({ name: 'stepup_signal_store_writes_total', help: 'Signal store writes, by result (dropped: store degraded or too many in flight; never queued).', labelNames: ['result'], registers: r });
  const pending = new Gauge({ name: 'stepup_signal_store_pending_writes', help: 'Signal store writes in flight.', registers: r });
  const unavailable = new Counter({ name: 'stepup_signals_unavailable_total', help: 'Checks whose signals could not be read (decided fail closed).', registers: r });
  const events = new Counter({ name: 'stepup_risk_events_total', help: 'Risk events recorded, by cause kind.', labelNames: ['cause'], registers: r });
  healthy.set({ store }, store === 'memory' ? 1 : 0);
  return {
    setHealthy: (ok) => healthy.set({ store }, ok ? 1 : 0),
    storeEvents: {
      read: (result, seconds) => {
        reads.inc({ result });
        readTime.observe(seconds);
      },
      write: (result) => writes.inc({ result }),
      pending: (n) => pending.set(n),
    },
    collectorEvents: {
      riskEvent: (causes) => causes.forEach((c) => events.inc({ cause: c.split(':')[0] ?? c })),
      unavailable: () => unavailable.inc(),
    },
  };
}
