// What the controller knows about one connected sidecar: what it should have,
// what was sent and not yet answered, what it acknowledged, and what it
// refused. Newest wins: only the answer to the latest snapshot sent counts, so
// a late ACK of an older version never rolls the record back; a NACKed
// version is never sent to this sidecar again.
import type { Desired, Snapshot } from './snapshot-builder.js';

export interface SidecarIdentity {
  readonly podName: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

const NACK_MEMORY = 32;

export class SidecarSession {
  desired?: Desired;
  /** Sent, answer pending. */
  inFlight?: Snapshot;
  /** The snapshot the sidecar enforces, as far as the controller knows. */
  acked?: Snapshot;
  /** Refused versions and the sidecar's reasons (the most recent few). */
  readonly nacked = new Map<string, string>();

  constructor(
    readonly identity: SidecarIdentity,
    private readonly send: (snapshot: Snapshot) => void,
    /** The version the sidecar said it already enforces (Hello.current_version). */
    private readonly claimedVersion = '',
  ) {}

  /** Why this sidecar is not at its desired snapshot, if it is not. */
  get problem(): string | undefined {
    if (!this.desired) return undefined;
    if (this.desired.kind === 'held') return this.desired.reason;
    const error = this.nacked.get(this.desired.snapshot.version);
    return error === undefined ? undefined : `the sidecar refused version ${this.desired.snapshot.version}: ${error}`;
  }

  /** Sets what the sidecar should have, sending it when needed. */
  offer(desired: Desired): void {
    this.desired = desired;
    if (desired.kind === 'held') return;
    const { snapshot } = desired;
    if (this.inFlight?.version === snapshot.version) return;
    // Already enforced, and nothing newer on its way that would replace it.
    if (!this.inFlight && this.acked?.version === snapshot.version) return;
    if (this.nacked.has(snapshot.version)) return;
    if (!this.acked && !this.inFlight && this.claimedVersion === snapshot.version) {
      this.acked = snapshot; // it already enforces this content (e.g. from its state directory)
      return;
    }
    this.inFlight = snapshot;
    this.send(snapshot);
  }

  /** Records an ACK. Returns false when it is stale (not for the latest snapshot sent). */
  ack(version: string): boolean {
    if (this.inFlight?.version !== version) return false;
    this.acked = this.inFlight;
    this.inFlight = undefined;
    return true;
  }

  /** Records a NACK. Returns false when it is stale. */
  nack(version: string, error: string): boolean {
    this.nacked.delete(version);
    this.nacked.set(version, error.slice(0, 1024));
    if (this.nacked.size > NACK_MEMORY) this.nacked.delete(this.nacked.keys().next().value as string);
    if (this.inFlight?.version !== version) return false;
    this.inFlight = undefined;
    return true;
  }

  /** Does the sidecar enforce `version` of policy `id`? */
  enforces(id: string, version: string): boolean {
    return this.acked?.policyVersions.get(id) === version;
  }

  /** Did the sidecar refuse the snapshot that carries `version` of policy `id`? */
  refused(id: string, version: string): boolean {
    if (this.desired?.kind !== 'snapshot') return false;
    const s = this.desired.snapshot;
    return s.policyVersions.get(id) === version && this.nacked.has(s.version);
  }
}
