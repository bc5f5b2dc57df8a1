// One JwksCache per jwksUri, kept across policy reloads so keys are not refetched.
import type { IssuerConfig } from '../../common/policy/policy-set.js';
import { JwksCache, type FetchOutcome, type JwksOptions } from './jwks-cache.js';

export class JwksRegistry {
  private readonly caches = new Map<string, JwksCache>();

  constructor(
    private readonly opts: JwksOptions,
    private readonly nowMs: () => number,
    private readonly onFetch: (jwksUri: string, outcome: FetchOutcome, error?: Error) => void,
  ) {}

  readonly get = (issuer: IssuerConfig): JwksCache => {
    let cache = this.caches.get(issuer.jwksUri);
    if (!cache) {
      cache = new JwksCache(issuer.jwksUri, this.opts, this.nowMs, (outcome, error) => this.onFetch(issuer.jwksUri, outcome, error));
      this.caches.set(issuer.jwksUri, cache);
    }
    return cache;
  };

  /** Fetches the keys of every issuer in the background. */
  prefetch(issuers: Iterable<IssuerConfig>): void {
    for (const issuer of issuers) this.get(issuer).prefetch();
  }
}
