// Fetches and caches one issuer's signing keys (JWKS), with bounded retries,
// a cool-down between refetches for unknown key ids, and a hard limit past
// which stale keys are no longer used (fail closed).
import { createLocalJWKSet, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose';
import type { CryptoKey as JoseKey } from 'jose';

export interface JwksOptions {
  /** Keys younger than this are used without refetching. */
  maxAgeMs: number;
  /** When refetching fails, keys up to this age are still used. */
  staleMaxAgeMs: number;
  /** Minimum time between two fetches triggered by unknown key ids. */
  cooldownMs: number;
  /** Time limit of one HTTP fetch. */
  timeoutMs: number;
  /** Extra attempts after a failed fetch, with backoff. */
  retries: number;
  /** Largest JWKS document accepted. */
  maxBytes: number;
}

export const DEFAULT_JWKS_OPTIONS: JwksOptions = {
  maxAgeMs: 10 * 60_000,
  staleMaxAgeMs: 60 * 60_000,
  cooldownMs: 30_000,
  timeoutMs: 2_000,
  retries: 2,
  maxBytes: 256 * 1024,
};

export class JwksUnavailableError extends Error {
  override name = 'JwksUnavailableError';
}

export type FetchOutcome = 'ok' | 'error';
export type Resolver = (header: JWSHeaderParameters, input: FlattenedJWSInput) => Promise<JoseKey>;

interface Loaded {
  resolve: ReturnType<typeof createLocalJWKSet>;
  kids: Set<string>;
  fetchedAt: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function checkJwksUrl(uri: string): URL {
  const url = new URL(uri);
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return url;
  throw new Error(`jwksUri ${uri} must use https (plain http only on a loopback host)`);
}

export class JwksCache {
  private loaded: Loaded | undefined;
  private inflight: Promise<Loaded> | undefined;
  private lastFetchStart = -Infinity;
  private readonly url: URL;

  constructor(
    uri: string,
    private readonly opts: JwksOptions,
    private readonly now: () => number,
    private readonly onFetch: (outcome: FetchOutcome, error?: Error) => void = () => {},
  ) {
    this.url = checkJwksUrl(uri);
  }

  /** True when a key with this id is among the current keys. */
  hasKid(kid: string | undefined): boolean {
    return kid === undefined || (this.loaded?.kids.has(kid) ?? false);
  }

  /** Starts a fetch in the background (used at start so the first request does not wait). */
  prefetch(): void {
    this.current().catch(() => {});
  }

  /** A jose key resolver over the cached keys; refetches once (cool-down permitting) for an unknown kid. */
  readonly resolver: Resolver = async (header, input) => {
    const loaded = await this.current();
    if (header.kid !== undefined && !loaded.kids.has(header.kid) && this.now() - this.lastFetchStart >= this.opts.cooldownMs) {
      const fresh = await this.refresh();
      return fresh.resolve(header, input);
    }
    return loaded.resolve(header, input);
  };

  private async current(): Promise<Loaded> {
    const loaded = this.loaded;
    const age = loaded ? this.now() - loaded.fetchedAt : Infinity;
    if (loaded && age < this.opts.maxAgeMs) return loaded;
    try {
      return await this.refresh();
    } catch (err) {
      if (loaded && age < this.opts.staleMaxAgeMs) return loaded;
      throw new JwksUnavailableError(`signing keys of ${this.url.origin} unavailable: ${(err as Error).message}`);
    }
  }

  private refresh(): Promise<Loaded> {
    if (!this.inflight) {
      this.lastFetchStart = this.now();
      this.inflight = this.fetchWithRetries().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  private async fetchWithRetries(): Promise<Loaded> {
    let lastError: Error = new Error('no attempt');
    for (let attempt = 0; attempt <= this.opts.retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * 4 ** (attempt - 1)));
      try {
        const jwks = await this.fetchOnce();
        const kids = new Set(jwks.keys.flatMap((k) => (typeof k.kid === 'string' ? [k.kid] : [])));
        this.loaded = { resolve: createLocalJWKSet(jwks), kids, fetchedAt: this.now() };
        this.onFetch('ok');
        return this.loaded;
      } catch (err) {
        lastError = err as Error;
        this.onFetch('error', lastError);
      }
    }
    throw lastError;
  }

  private async fetchOnce(): Promise<JSONWebKeySet> {
    const res = await fetch(this.url, { signal: AbortSignal.timeout(this.opts.timeoutMs), redirect: 'error', headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const text = await res.text();
    if (text.length > this.opts.maxBytes) throw new Error(`JWKS larger than ${this.opts.maxBytes} bytes`);
    const body = JSON.parse(text) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error('not a JWKS (no "keys" array)');
    return body as JSONWebKeySet;
  }
}
