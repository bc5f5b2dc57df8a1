import { describe, expect, it } from 'vitest';
import { SidecarSession } from '../distribution/sidecar-session.js';
import { SnapshotBuilder } from '../distribution/snapshot-builder.js';
import { PolicyStore } from '../policy/policy-store.js';
import { policyObject } from '../testing/fixtures.js';
import { localReport, mergeCounts, type SyncReport } from './sync-report.js';

describe('sync reports', () => {
  it('counts selected sidecars and those enforcing the current generation', () => {
    const store = new PolicyStore();
    store.upsert(policyObject('p', { app: 'payments' }));
    const builder = new SnapshotBuilder(store, undefined);
    const make = (pod: string, app: string) => {
      const s = new SidecarSession({ podName: pod, namespace: 'shop', labels: { app } }, () => undefined);
      s.offer(builder.desiredFor('shop', { app }));
      return s;
    };
    const [a, b, c] = [make('a', 'payments'), make('b', 'payments'), make('c', 'orders')];
    a.ack(a.inFlight?.version ?? '');
    b.nack(b.inFlight?.version ?? '', 'cannot load');
    c.ack(c.inFlight?.version ?? '');
    const report = localReport(store, [a, b, c]);
    expect(report['shop/p']).toMatchObject({ selected: 2, inSync: 1, rejected: 1 });
    expect(report['shop/p']?.problems[0]).toMatch(/^b: the sidecar refused version \w+: cannot load/);
  });

  it('merges replicas; one that counted another version adds selected sidecars but none in sync', () => {
    const reports: SyncReport[] = [
      { 'shop/p': { version: 'v2', selected: 2, inSync: 2, rejected: 0, problems: [] } },
      { 'shop/p': { version: 'v1', selected: 1, inSync: 1, rejected: 0, problems: [] } },
      { 'shop/q': { version: 'v9', selected: 5, inSync: 5, rejected: 0, problems: [] } },
    ];
    const merged = mergeCounts(reports, 'shop/p', 'v2');
    expect(merged).toMatchObject({ selected: 3, inSync: 2, rejected: 0 });
    expect(merged.problems[0]).toMatch(/1 sidecar\(s\) on a replica that has not seen this generation yet/);
  });
});
