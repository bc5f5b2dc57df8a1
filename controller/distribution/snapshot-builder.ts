// Builds the snapshot a sidecar must enforce: every policy in force in its
// namespace whose selector matches its labels, checked for consistency as a
// set, hashed, signed, frozen. Snapshots are content-addressed: sidecars with
// the same selection share one object.
import { signContent, type SigningKey } from '../../common/distribution/signing.js';
import type { SnapshotMessage } from '../../common/distribution/protocol.js';
import { selectorMatches } from '../../common/label-selector.js';
import { assemblePolicySet } from '../../common/policy/policy-set.js';
import type { AcceptedPolicy, PolicyStore } from '../policy/policy-store.js';

export interface Snapshot extends SnapshotMessage {
  /** Policy id -> policy version, for status. */
  readonly policyVersions: ReadonlyMap<string, string>;
}

/** What a sidecar should have: a snapshot, or nothing new yet (it keeps what it has) and why. */
export type Desired = { readonly kind: 'snapshot'; readonly snapshot: Snapshot } | { readonly kind: 'held'; readonly reason: string };

export class SnapshotBuilder {
  private cache = new Map<string, Desired>();
  private used = new Map<string, Desired>();
  private revision = -1;

  constructor(
    private readonly store: PolicyStore,
    private readonly key: SigningKey | undefined,
  ) {}

  /** The desired state for a sidecar in `namespace` with `labels`. */
  desiredFor(namespace: string, labels: Readonly<Record<string, string>>): Desired {
    if (this.store.revision !== this.revision) this.newPass();
    const selected: [string, AcceptedPolicy][] = [];
    for (const entry of this.store.inNamespace(namespace)) {
      if (entry.inForce) {
        if (selectorMatches(entry.inForce.selector, labels)) selected.push([entry.id, entry.inForce]);
      } else if (selectorMatches(entry.rawSelector, labels)) {
        return { kind: 'held', reason: `policy ${entry.id} generation ${entry.generation} is not accepted and no earlier accepted generation is known; the sidecar keeps its current snapshot` };
      }
    }
    selected.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const key = `${namespace}|${selected.map(([id, p]) => `${id}@${p.version}`).join(',')}`;
    let desired = this.used.get(key) ?? this.cache.get(key);
    if (!desired) desired = this.build(namespace, selected);
    this.used.set(key, desired);
    return desired;
  }

  /** Starts a pass after a change: snapshots not asked for since the previous pass are dropped. */
  private newPass(): void {
    this.cache = this.used;
    this.used = new Map();
    this.revision = this.store.revision;
  }

  private build(namespace: string, selected: [string, AcceptedPolicy][]): Desired {
    let version: string;
    try {
      version = assemblePolicySet(selected.map(([, p]) => p.compiled)).version;
    } catch (err) {
      return { kind: 'held', reason: `the policies selecting this sidecar do not fit together: ${(err as Error).message}` };
    }
    const content = { version, namespace, policies: selected.map(([, p]) => p.document) };
    const signed = this.key ? signContent(content, this.key) : { signature: Buffer.alloc(0), keyId: '' };
    const snapshot: Snapshot = Object.freeze({ ...content, ...signed, policyVersions: new Map(selected.map(([id, p]) => [id, p.version])) });
    return Object.freeze({ kind: 'snapshot', snapshot });
  }
}
