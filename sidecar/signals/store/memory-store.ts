// The default signal store: state in this process only (standalone mode, or
// one replica). Bounded: at most maxSubjects subjects (least recently used go
// first), the per-subject caps of SubjectLimits, and at most maxTokens
// single-use token ids. Entries older than their retention are ignored and
// pruned. When the token table is full of unexpired ids a claim cannot be
// decided, and single-use rules deny (fail closed) rather than forget an id.
import { DEFAULT_RETENTION, DEFAULT_SUBJECT_LIMITS, type Retention, type SignalStore, type StateQuery, type StateUpdate, type StoreStatus, type SubjectLimits, type SubjectState } from './signal-store.js';
import type { Place } from '../travel.js';

interface SubjectRecord {
  /** device → {seenAt, trusted}; Map order = least recently written first. */
  readonly devices: Map<string, { seenAt: number; trusted: boolean }>;
  readonly rate: Map<number, number>;
  readonly countries: Map<string, number>;
  readonly causes: Map<string, number>;
  place?: Place;
  riskSince: number;
  touched: number;
}

export interface MemoryStoreOptions {
  readonly maxSubjects: number;
  readonly maxTokens: number;
  readonly retention: Retention;
  readonly limits: SubjectLimits;
}

export const DEFAULT_MEMORY_OPTIONS: MemoryStoreOptions = Object.freeze({ maxSubjects: 100_000, maxTokens: 100_000, retention: DEFAULT_RETENTION, limits: DEFAULT_SUBJECT_LIMITS });

/** Sets key to value as the most recent entry, then drops the oldest beyond cap. */
function putCapped<K, V>(map: Map<K, V>, key: K, value: V, cap: number): void {
  map.delete(key);
  map.set(key, value);
  for (const oldest of map.keys()) {
    if (map.size <= cap) break;
    map.delete(oldest);
  }
}

export class MemorySignalStore implements SignalStore {
  private readonly subjects = new Map<string, SubjectRecord>();
  private readonly tokens = new Map<string, number>();
  private readonly maxRetention: number;

  constructor(private readonly opts: MemoryStoreOptions = DEFAULT_MEMORY_OPTIONS) {
    const r = opts.retention;
    this.maxRetention = Math.max(r.deviceSeconds, r.countrySeconds, r.placeSeconds, r.riskSeconds, r.rateSeconds);
  }

  async read(q: StateQuery): Promise<SubjectState> {
    const tokenUse = q.claimToken ? this.claim(q.claimToken.id, q.claimToken.ttlSeconds, q.now) : undefined;
    const rec = this.lookup(q.subject, q.now);
    const r = this.opts.retention;
    const fresh = (t: number | undefined, ttl: number) => t !== undefined && t >= q.now - ttl;
    const device = q.device !== undefined ? rec?.devices.get(q.device) : undefined;
    const riskSince = rec && fresh(rec.riskSince, r.riskSeconds) ? rec.riskSince : 0;
    return {
      ...(device && fresh(device.seenAt, r.deviceSeconds) ? { device: { trusted: device.trusted } } : {}),
      countryKnown: q.country !== undefined && fresh(rec?.countries.get(q.country), r.countrySeconds),
      countries: rec?.countries.size ?? 0,
      rateCounts: q.rateBuckets.map((b) => rec?.rate.get(b) ?? 0),
      ...(rec?.place && fresh(rec.place.at, r.placeSeconds) ? { place: rec.place } : {}),
      riskSince,
      knownCauses: q.causes.filter((c) => fresh(rec?.causes.get(c), r.riskSeconds)),
      ...(tokenUse ? { tokenUse } : {}),
    };
  }

  write(u: StateUpdate): void {
    const rec = this.lookup(u.subject, u.now) ?? this.create(u.subject, u.now);
    const { limits, retention } = this.opts;
    rec.touched = u.now;
    rec.rate.set(u.rateBucket, (rec.rate.get(u.rateBucket) ?? 0) + 1);
    for (const b of rec.rate.keys()) if (b < u.now - retention.rateSeconds) rec.rate.delete(b);
    if (u.device) {
      const old = rec.devices.get(u.device.id);
      const stillTrusted = old !== undefined && old.trusted && old.seenAt >= u.now - retention.deviceSeconds;
      putCapped(rec.devices, u.device.id, { seenAt: u.now, trusted: u.device.trusted || stillTrusted }, limits.devices);
    }
    if (u.country) putCapped(rec.countries, u.country, u.now, limits.countries);
    if (u.place) rec.place = u.place;
    if (u.riskCauses && u.riskCauses.length > 0) {
      for (const c of u.riskCauses) {
        const seen = rec.causes.get(c);
        if (seen === undefined || seen < u.now - retention.riskSeconds) putCapped(rec.causes, c, u.now, limits.riskCauses);
      }
      rec.riskSince = Math.max(rec.riskSince, u.now);
    }
  }

  status(): StoreStatus {
    return { kind: 'memory', healthy: true, detail: `memory (${this.subjects.size} subjects, ${this.tokens.size} token ids)` };
  }

  async drain(): Promise<void> {
    // writes are applied synchronously
  }

  async close(): Promise<void> {
    this.subjects.clear();
    this.tokens.clear();
  }

  /** The subject's record, marked most recently used; undefined when absent or entirely expired. */
  private lookup(subject: string, now: number): SubjectRecord | undefined {
    const rec = this.subjects.get(subject);
    if (!rec) return undefined;
    this.subjects.delete(subject);
    if (rec.touched < now - this.maxRetention) return undefined;
    this.subjects.set(subject, rec);
    return rec;
  }

  private create(subject: string, now: number): SubjectRecord {
    const rec: SubjectRecord = { devices: new Map(), rate: new Map(), countries: new Map(), causes: new Map(), riskSince: 0, touched: now };
    putCapped(this.subjects, subject, rec, this.opts.maxSubjects);
    return rec;
  }

  private claim(id: string, ttlSeconds: number, now: number): 'first' | 'replayed' | undefined {
    const expires = this.tokens.get(id);
    if (expires !== undefined && expires > now) return 'replayed';
    if (expires === undefined && this.tokens.size >= this.opts.maxTokens) {
      for (const [k, exp] of this.tokens) if (exp <= now) this.tokens.delete(k);
      if (this.tokens.size >= this.opts.maxTokens) return undefined; // full of live ids: cannot decide
    }
    this.tokens.set(id, now + ttlSeconds);
    return 'first';
  }
}
