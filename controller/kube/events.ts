// Records Kubernetes Events on a StepUpPolicy (kubectl describe shows them).
import type { Logger } from 'pino';
import type { PolicyObject } from '../policy/policy-store.js';
import type { KubeRest } from './rest.js';

export type EventType = 'Normal' | 'Warning';

export async function recordEvent(rest: KubeRest, log: Logger, on: PolicyObject, type: EventType, reason: string, message: string, instance: string): Promise<void> {
  const namespace = on.metadata.namespace ?? 'default';
  const now = new Date().toISOString();
  const event = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${on.metadata.name ?? 'stepuppolicy'}.`, namespace },
    involvedObject: { apiVersion: on.apiVersion, kind: on.kind, name: on.metadata.name, namespace, uid: on.metadata.uid, resourceVersion: on.metadata.resourceVersion },
    type,
    reason,
    message: message.slice(0, 1024),
    source: { component: 'stepup-controller' },
    reportingComponent: 'stepup.dev/controller',
    reportingInstance: instance,
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
  try {
    await rest.request('POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, event);
  } catch (err) {
    log.warn({ err: (err as Error).message, reason }, 'could not record an event');
  }
}
