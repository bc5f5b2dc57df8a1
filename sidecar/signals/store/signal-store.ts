// The one seam for signal state shared across requests (and, with Redis,
// across replicas). A store is deliberately dumb: it keeps timestamps and
// counts per subject and answers one read per Check; what they mean (known,
// trusted, rate, travel, risk) is computed by the collector. Every value is
// keyed by fingerprints, never raw subjects, device ids or addresses.
import type { Place } from '../travel.js';

/** How long each kind of state is kept after it was last written, in seconds. */
export interface Retention {
  readonly deviceSeconds: number;
  readonly countrySeconds: number;
  readonly placeSeconds: number;
  readonly riskSeconds: number;
  readonly rateSeconds: number;
}

/** Per-subject caps: past them the oldest entries go first. */
export interface SubjectLimits {
  readonly devices: number;
  readonly countries: number;
  readonly riskCauses: number;
}

export const DEFAULT_RETENTION: Retention = Object.freeze({
  deviceSeconds: 90 * 86_400,
  countrySeconds: 90 * 86_400,
  placeSeconds: 30 * 86_400,
  riskSeconds: 30 * 86_400,
  rateSeconds: 65,
});

export const DEFAULT_SUBJECT_LIMITS: SubjectLimits = Object.freeze({ devices: 32, countries: 32, riskCauses: 64 });

/** What one Check needs to know about its subject. */
export interface StateQuery {
  /** Subject fingerprint. */
  readonly subject: string;
  /** Seconds since the epoch. */
  readonly now: number;
  /** Device fingerprint, when the request names a device. */
  readonly device?: string;
  /** ISO country of the client address, when known. */
  readonly country?: string;
  /** Rate buckets to read: bucket start times, evenly spaced (as bucketsToRead gives them). */
  readonly rateBuckets: readonly number[];
  /** Risk cause keys to look up. */
  readonly causes: readonly string[];
  /** Claim a token id (single use): remembered for ttlSeconds, atomically with the check. */
  readonly claimToken?: { readonly id: string; readonly ttlSeconds: number };
}

export interface SubjectState {
  /** Present when the device was allowed for this subject within retention. */
  readonly device?: { readonly trusted: boolean };
  /** The country was recorded for this subject within retention. */
  readonly countryKnown: boolean;
  /** How many countries are recorded for this subject. */
  readonly countries: number;
  /** Counts of the queried rate buckets, same order. */
  readonly rateCounts: readonly number[];
  /** The last place the subject was allowed from. */
  readonly place?: Place;
  /** Seconds since the epoch of the latest risk event; 0 when none. */
  readonly riskSince: number;
  /** The queried causes already recorded within retention. */
  readonly knownCauses: readonly string[];
  /** When a claim was asked: first use, a replay, or undefined when it could not be decided. */
  readonly tokenUse?: 'first' | 'replayed';
}

/** What one Check taught, written after its decision. */
export interface StateUpdate {
  readonly subject: string;
  readonly now: number;
  /** Rate bucket to count this request in. */
  readonly rateBucket: number;
  /** Allowed from this device (trusted: with a token meeting the trust level; never downgrades). */
  readonly device?: { readonly id: string; readonly trusted: boolean };
  /** Allowed from this country. */
  readonly country?: string;
  /** Allowed from this place. */
  readonly place?: Place;
  /** A risk event: riskSince becomes `now`, and these causes are remembered. */
  readonly riskCauses?: readonly string[];
}

export interface StoreStatus {
  readonly kind: 'memory' | 'redis';
  readonly healthy: boolean;
  /** One line for /readyz and logs. */
  readonly detail: string;
}

export interface SignalStore {
  /** One read (one round trip for Redis). Rejects with StoreUnavailable when the state cannot be had in time. */
  read(query: StateQuery): Promise<SubjectState>;
  /** Fire-and-forget: never throws, never queues without bound; dropped while the store is unhealthy. */
  write(update: StateUpdate): void;
  status(): StoreStatus;
  /** Resolves once every write issued so far has finished or failed (used at shutdown and by tests). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** The store could not answer: the request's signals are unavailable (fail closed). */
export class StoreUnavailable extends Error {
  constructor(readonly reason: string) {
    super(`signal store unavailable: ${reason}`);
  }
}

/** Encodes a place as `lat,lon,at,country` (the Redis value). */
export function encodePlace(p: Place): string {
  return `${p.lat.toFixed(4)},${p.lon.toFixed(4)},${Math.floor(p.at)},${p.country}`;
}

export function decodePlace(text: string | null | undefined): Place | undefined {
  if (!text) return undefined;
  const [lat, lon, at, country] = text.split(',');
  const place = { lat: Number(lat), lon: Number(lon), at: Number(at), country: country ?? '' };
  return Number.isFinite(place.lat) && Number.isFinite(place.lon) && Number.isFinite(place.at) ? place : undefined;
}
