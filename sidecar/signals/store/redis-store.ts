// The Redis signal store, shared by every replica. One Check costs one round
// trip: one script call reads the subject's keys (one Cluster slot) and makes
// the single-use claim (SET NX) when asked. Writes are one script call after the
// decision, fire-and-forget, at most maxPendingWrites in flight, dropped (and
// counted) while Redis is unhealthy, never queued or resent: the client runs
// with enableOfflineQueue false and autoResendUnfulfilledCommands false.
import type { Cluster, Redis } from 'ioredis';
import { decodePlace, encodePlace, StoreUnavailable, type Retention, type SignalStore, type StateQuery, type StateUpdate, type StoreStatus, type SubjectLimits, type SubjectState } from './signal-store.js';
import { READ_SCRIPT, RECORD_SCRIPT, subjectKeys } from './redis-scripts.js';
import type { StoreHealth } from './store-health.js';

type Client = (Redis | Cluster) & {
  stepupRecord(...args: (string | number)[]): Promise<unknown>;
  stepupRead(...args: (string | number)[]): Promise<(string | number | null)[]>;
};

export interface RedisStoreOptions {
  readonly prefix: string;
  /** Limit of one read; keep it well below the Check deadline. */
  readonly timeoutMs: number;
  readonly maxPendingWrites: number;
  readonly retention: Retention;
  readonly limits: SubjectLimits;
  /** Rate buckets kept per subject before old ones are pruned. */
  readonly maxRateBuckets: number;
}

export interface StoreEvents {
  read(result: 'ok' | 'error' | 'timeout', seconds: number): void;
  write(result: 'ok' | 'error' | 'dropped'): void;
  pending(n: number): void;
}


function timeout(ms: number): { promise: Promise<never>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailable(`no answer within ${ms} ms`)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

export class RedisSignalStore implements SignalStore {
  private readonly client: Client;
  private pending = 0;
  private readonly drains: (() => void)[] = [];

  constructor(
    client: Redis | Cluster,
    private readonly opts: RedisStoreOptions,
    private readonly health: StoreHealth,
    private readonly events: StoreEvents,
  ) {
    client.defineCommand('stepupRecord', { numberOfKeys: 5, lua: RECORD_SCRIPT });
    client.defineCommand('stepupRead', { numberOfKeys: 6, lua: READ_SCRIPT });
    this.client = client as Client;
  }

  async read(q: StateQuery): Promise<SubjectState> {
    const started = performance.now();
    const keys = subjectKeys(this.opts.prefix, q.subject);
    const claim = q.claimToken;
    const call = this.client.stepupRead(
      keys.devices, keys.rate, keys.countries, keys.place, keys.risk, claim ? keys.token(claim.id) : keys.place,
      q.device ?? '', q.country ?? '', claim ? Math.max(1, Math.ceil(claim.ttlSeconds)) : '',
      q.rateBuckets[0] ?? 0, (q.rateBuckets[1] ?? 0) - (q.rateBuckets[0] ?? 0), q.rateBuckets.length, ...q.causes,
    );
    const limit = timeout(this.opts.timeoutMs);
    let reply: (string | number | null)[];
    try {
      reply = await Promise.race([call, limit.promise]);
    } catch (err) {
      const late = err instanceof StoreUnavailable;
      const reason = late ? err.reason : (err as Error).message;
      this.events.read(late ? 'timeout' : 'error', (performance.now() - started) / 1000);
      this.health.failed(reason);
      throw late ? err : new StoreUnavailable(reason);
    } finally {
      limit.cancel();
      call.catch(() => undefined); // a late failure after the timeout is already accounted for
    }
    this.health.succeeded();
    this.events.read('ok', (performance.now() - started) / 1000);
    return this.parse(q, reply);
  }

  private parse(q: StateQuery, v: (string | number | null)[]): SubjectState {
    const r = this.opts.retention;
    const fresh = (t: number, ttl: number) => Number.isFinite(t) && t >= q.now - ttl;
    const [device, country, countries, place, since] = v as [string | null, string | null, number, string | null, string | null];
    const nb = q.rateBuckets.length;
    const deviceSeen = q.device !== undefined && device ? Number(device.split(':')[0]) : NaN;
    const countrySeen = q.country !== undefined && country ? Number(country) : NaN;
    const riskSince = Number(since ?? 0);
    const last = decodePlace(place);
    const claim = v[5 + nb + q.causes.length];
    return {
      ...(device && fresh(deviceSeen, r.deviceSeconds) ? { device: { trusted: device.endsWith(':1') } } : {}),
      countryKnown: fresh(countrySeen, r.countrySeconds),
      countries: Number(countries),
      rateCounts: v.slice(5, 5 + nb).map((c) => Number(c ?? 0)),
      ...(last && fresh(last.at, r.placeSeconds) ? { place: last } : {}),
      riskSince: fresh(riskSince, r.riskSeconds) ? riskSince : 0,
      knownCauses: q.causes.filter((_c, i) => fresh(Number(v[5 + nb + i] ?? NaN), r.riskSeconds)),
      ...(q.claimToken ? { tokenUse: claim === 1 ? 'first' : 'replayed' } : {}),
    };
  }

  write(u: StateUpdate): void {
    if (!this.health.healthy() || this.pending >= this.opts.maxPendingWrites) return void this.events.write('dropped');
    const keys = subjectKeys(this.opts.prefix, u.subject);
    const { retention: r, limits } = this.opts;
    const args = [
      keys.devices, keys.rate, keys.countries, keys.place, keys.risk,
      u.now, u.rateBucket, r.rateSeconds, this.opts.maxRateBuckets,
      u.device?.id ?? '', u.device?.trusted ? '1' : '0', r.deviceSeconds, limits.devices,
      u.country ?? '', r.countrySeconds, limits.countries,
      u.place ? encodePlace(u.place) : '', r.placeSeconds,
      r.riskSeconds, limits.riskCauses, ...(u.riskCauses ?? []),
    ];
    this.setPending(this.pending + 1);
    this.client.stepupRecord(...args).then(
      () => this.events.write('ok'),
      (err: Error) => {
        this.events.write('error');
        this.health.failed(err.message);
      },
    ).finally(() => this.setPending(this.pending - 1));
  }

  private setPending(n: number): void {
    this.pending = n;
    this.events.pending(n);
    if (n === 0) this.drains.splice(0).forEach((resolve) => resolve());
  }

  status(): StoreStatus {
    const h = this.health.state();
    return { kind: 'redis', healthy: h.healthy, detail: h.healthy ? 'redis ok' : `redis degraded: ${h.reason}` };
  }

  drain(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.drains.push(resolve));
  }

  async close(): Promise<void> {
    await Promise.race([this.drain(), new Promise((r) => setTimeout(r, 500))]);
    this.health.stop();
    this.client.disconnect();
  }
}
