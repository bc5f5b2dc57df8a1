// Prometheus metrics of the controller, on a registry of its own.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface ControllerMetrics {
  readonly registry: Registry;
  readonly sidecars: Gauge;
  readonly leader: Gauge;
  readonly streamEvents: Counter<'event'>;
  readonly policies: Gauge<'verdict'>;
  readonly watchRestarts: Counter<'informer'>;
}

export function createMetrics(): ControllerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'stepup_controller_' });
  return {
    registry,
    sidecars: new Gauge({ name: 'stepup_controller_sidecars', help: 'Sidecars connected to this replica.', registers: [registry] }),
    leader: new Gauge({ name: 'stepup_controller_leader', help: '1 while this replica holds the leader Lease (writes status).', registers: [registry] }),
    streamEvents: new Counter({ name: 'stepup_controller_stream_events_total', help: 'Distribution stream events: connected, refused, sent, ack, nack, stale.', labelNames: ['event'], registers: [registry] }),
    policies: new Gauge({ name: 'stepup_controller_policies', help: 'StepUpPolicies known, by verdict of their current generation.', labelNames: ['verdict'], registers: [registry] }),
    watchRestarts: new Counter({ name: 'stepup_controller_watch_restarts_total', help: 'Watches restarted after an error.', labelNames: ['informer'], registers: [registry] }),
  };
}
