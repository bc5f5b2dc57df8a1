// Keeps every connected sidecar at its desired snapshot. A policy change
// triggers one pass over the sessions (changes arriving together are
// coalesced into one pass); a new session gets its snapshot at once.
import type { SidecarSession } from './sidecar-session.js';
import type { SnapshotBuilder } from './snapshot-builder.js';

export class Distributor {
  private readonly sessions = new Set<SidecarSession>();
  private pending = false;

  constructor(
    private readonly builder: SnapshotBuilder,
    /** Called after anything that can change what the sidecars enforce or report. */
    private readonly onChange: () => void,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  list(): IterableIterator<SidecarSession> {
    return this.sessions.values();
  }

  add(session: SidecarSession): void {
    this.sessions.add(session);
    this.offer(session);
    this.onChange();
  }

  remove(session: SidecarSession): void {
    if (this.sessions.delete(session)) this.onChange();
  }

  /** Policies changed: recompute every session's snapshot once the current burst of events is over. */
  policiesChanged(): void {
    if (this.pending) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      for (const session of this.sessions) this.offer(session);
      this.onChange();
    });
  }

  /** A sidecar answered. */
  answered(): void {
    this.onChange();
  }

  private offer(session: SidecarSession): void {
    const { namespace, labels } = session.identity;
    session.offer(this.builder.desiredFor(namespace, labels));
  }
}
