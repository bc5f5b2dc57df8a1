// A bounded cache of verified tokens, keyed by the token itself, honouring
// each token's expiry. Least recently used entries go first.
import type { Identity } from '../decision/types.js';

export interface CachedToken {
  readonly identity: Identity;
  readonly kid: string | undefined;
  /** Milliseconds since the epoch after which the entry is not used. */
  readonly until: number;
}

export class TokenCache {
  private readonly entries = new Map<string, CachedToken>();

  constructor(private readonly capacity: number) {}

  get(token: string, nowMs: number): CachedToken | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    this.entries.delete(token);
    if (entry.until <= nowMs) return undefined;
    this.entries.set(token, entry); // most recently used goes last
    return entry;
  }

  set(token: string, entry: CachedToken): void {
    if (this.capacity <= 0) return;
    this.entries.delete(token);
    this.entries.set(token, entry);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
