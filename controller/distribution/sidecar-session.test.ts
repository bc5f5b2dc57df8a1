import { describe, expect, it } from 'vitest';
import { SidecarSession } from './sidecar-session.js';
import type { Desired, Snapshot } from './snapshot-builder.js';

const snap = (version: string, policies: Record<string, string> = { 'shop/p': `p-${version}` }): Desired => ({
  kind: 'snapshot',
  snapshot: { version, namespace: 'shop', policies: [], signature: Buffer.alloc(0), keyId: '', policyVersions: new Map(Object.entries(policies)) } as Snapshot,
});

function session(claimed = '') {
  const sent: string[] = [];
  const s = new SidecarSession({ podName: 'p-1', namespace: 'shop', labels: {} }, (x) => sent.push(x.version), claimed);
  return { s, sent };
}

describe('SidecarSession', () => {
  it('sends a new snapshot once, and records the ACK', () => {
    const { s, sent } = session();
    s.offer(snap('v1'));
    s.offer(snap('v1'));
    expect(sent).toEqual(['v1']);
    expect(s.ack('v1')).toBe(true);
    s.offer(snap('v1'));
    expect(sent).toEqual(['v1']);
    expect(s.enforces('shop/p', 'p-v1')).toBe(true);
  });

  it('never resends a NACKed version, and says why in its problem', () => {
    const { s, sent } = session();
    s.offer(snap('v1'));
    s.ack('v1');
    s.offer(snap('v2'));
    expect(s.nack('v2', 'bad signature')).toBe(true);
    s.offer(snap('v2'));
    s.offer(snap('v2'));
    expect(sent).toEqual(['v1', 'v2']);
    expect(s.problem).toMatch(/refused version v2: bad signature/);
    expect(s.refused('shop/p', 'p-v2')).toBe(true);
    expect(s.enforces('shop/p', 'p-v1')).toBe(true);
  });

  it('newest wins: a late ACK of an older version is stale and never rolls back', () => {
    const { s, sent } = session();
    s.offer(snap('v1'));
    s.offer(snap('v2'));
    s.offer(snap('v3'));
    expect(sent).toEqual(['v1', 'v2', 'v3']);
    expect(s.ack('v1')).toBe(false);
    expect(s.ack('v2')).toBe(false);
    expect(s.acked).toBeUndefined();
    expect(s.ack('v3')).toBe(true);
    expect(s.acked?.version).toBe('v3');
    expect(s.ack('v2')).toBe(false);
    expect(s.acked?.version).toBe('v3');
  });

  it('a change back to the enforced version while a newer one is in flight is sent again', () => {
    const { s, sent } = session();
    s.offer(snap('v1'));
    s.ack('v1');
    s.offer(snap('v2'));
    s.offer(snap('v1'));
    expect(sent).toEqual(['v1', 'v2', 'v1']);
    expect(s.ack('v2')).toBe(false);
    expect(s.ack('v1')).toBe(true);
    expect(s.acked?.version).toBe('v1');
  });

  it('a sidecar that already holds the desired version (from its state directory) is not sent it', () => {
    const { s, sent } = session('v1');
    s.offer(snap('v1'));
    expect(sent).toEqual([]);
    expect(s.acked?.version).toBe('v1');
    s.offer(snap('v2'));
    expect(sent).toEqual(['v2']);
  });

  it('held: nothing is sent and the reason is the problem', () => {
    const { s, sent } = session();
    s.offer({ kind: 'held', reason: 'policy shop/bad is not accepted' });
    expect(sent).toEqual([]);
    expect(s.problem).toBe('policy shop/bad is not accepted');
  });
});
