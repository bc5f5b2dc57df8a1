// Gathers the signals of one request and records what it taught.
//   gather: local facts (client address, IP lists, geo, device fingerprint),
//           then ONE store read for the subject, then derived signals (rate,
//           new country, travel, known/trusted device, score, riskSince).
//   record: after the decision, one fire-and-forget store write: the rate
//           always; device, country and place only when the request was
//           allowed; risk causes when the request is a new risk event.
import { meetsLevel } from '../decision/levels.js';
import type { Identity, Outcome } from '../decision/types.js';
import { clientAddress } from './client-address.js';
import { fingerprint } from './fingerprint.js';
import type { GeoFix, GeoLocator } from './geo.js';
import { bucketOf, bucketsToRead, windowRate, type RateWindow } from './rate-window.js';
import { riskCauses, riskScore, type RiskFact, type RiskFacts, type RiskWeights } from './risk-score.js';
import { readDeviceId, type SignalSetup } from './signal-setup.js';
import type { GatheredSignals, GatherInput, Signals, SignalSource } from './signals.js';
import { StoreUnavailable, type SignalStore, type StateQuery, type SubjectState } from './store/signal-store.js';
import { isImpossibleTravel, type Place, type TravelLimits } from './travel.js';

export interface CollectorOptions {
  /** Proxies in front of Envoy whose x-forwarded-for entries are trusted. */
  readonly trustedHops: number;
  readonly geo?: GeoLocator;
  readonly weights: RiskWeights;
  /** Score from which a request with a new cause is a risk event. */
  readonly riskEventScore: number;
  readonly rateWindow: RateWindow;
  /** signals.activity.rate above this is a high rate (a risk fact). */
  readonly rateThreshold: number;
  readonly travel: TravelLimits;
  /** Added to a single-use token's remaining lifetime. */
  readonly clockSkewSeconds: number;
}

export interface CollectorEvents {
  riskEvent(causes: readonly string[]): void;
  unavailable(reason: string): void;
}

/** What is known without the store. */
interface LocalFacts {
  readonly address: string;
  readonly lists: readonly string[];
  readonly flagged: boolean;
  readonly geo: GeoFix;
  /** Device fingerprint, or undefined when the request names no device. */
  readonly device?: string;
}

/** Everything derive() works from: one request, its subject's stored state. */
interface Derivation {
  readonly input: GatherInput;
  readonly who: Identity;
  readonly subject: string;
  readonly local: LocalFacts;
  readonly state: SubjectState;
  readonly keys: Record<RiskFact, string>;
  readonly now: number;
}

const NO_EVENTS: CollectorEvents = { riskEvent: () => undefined, unavailable: () => undefined };

function signalsOf(local: LocalFacts, facts: RiskFacts, derived: { known: boolean; trusted: boolean; rate: number; riskSince: number }, weights: RiskWeights): Signals {
  return {
    ip: { flagged: local.flagged, lists: local.lists },
    geo: { country: local.geo.country },
    device: { id: local.device ?? '', known: derived.known, trusted: derived.trusted },
    activity: { rate: BigInt(derived.rate), newCountry: facts.newCountry },
    travel: { impossible: facts.impossibleTravel },
    risk: { score: BigInt(riskScore(facts, weights)) },
    riskSince: BigInt(derived.riskSince),
  };
}

export class SignalCollector implements SignalSource {
  constructor(
    private readonly store: SignalStore,
    private readonly opts: CollectorOptions,
    private readonly events: CollectorEvents = NO_EVENTS,
  ) {}

  async gather(input: GatherInput): Promise<GatheredSignals> {
    const now = Math.floor(input.now);
    const local = this.localFacts(input);
    const who = input.identity.kind === 'verified' ? input.identity.identity : undefined;
    const localOnly = { ipFlagged: local.flagged, impossibleTravel: false, newCountry: false, unknownDevice: true, highRate: false };
    const none = { known: false, trusted: false, rate: 0, riskSince: 0 };
    if (!who) {
      return { signals: signalsOf(local, localOnly, none, this.opts.weights), summary: this.summary(local, localOnly), record: () => undefined };
    }
    const subject = fingerprint('subject', who.issuer, who.subject);
    const keys = this.causeKeys(local, now);
    const claim = who.tokenId !== undefined && input.setup.singleUseMatches(input.request);
    const query: StateQuery = {
      subject,
      now,
      rateBuckets: bucketsToRead(now, this.opts.rateWindow),
      causes: Object.values(keys),
      ...(local.device ? { device: local.device } : {}),
      ...(local.geo.country ? { country: local.geo.country } : {}),
      ...(claim ? { claimToken: { id: fingerprint('jti', who.issuer, who.tokenId as string), ttlSeconds: Math.max(1, who.expiresAt - now + this.opts.clockSkewSeconds) } } : {}),
    };
    let state: SubjectState;
    try {
      state = await this.store.read(query);
    } catch (err) {
      const reason = err instanceof StoreUnavailable ? err.reason : (err as Error).message;
      this.events.unavailable(reason);
      return { signals: signalsOf(local, localOnly, none, this.opts.weights), unavailable: reason, summary: { ...this.summary(local, localOnly), unavailable: reason }, record: () => undefined };
    }
    return this.derive({ input, who, subject, local, state, keys, now });
  }

  private derive(c: Derivation): GatheredSignals {
    const { input, who, subject, local, state, keys, now } = c;
    const { weights } = this.opts;
    const rate = windowRate(state.rateCounts, now, this.opts.rateWindow) + 1; // this request counts
    const here: Place | undefined = local.geo.lat !== undefined && local.geo.lon !== undefined ? { lat: local.geo.lat, lon: local.geo.lon, at: now, country: local.geo.country } : undefined;
    const facts: RiskFacts = {
      ipFlagged: local.flagged,
      impossibleTravel: here !== undefined && state.place !== undefined && isImpossibleTravel(state.place, here, this.opts.travel),
      newCountry: local.geo.country !== '' && state.countries > 0 && !state.countryKnown,
      unknownDevice: state.device === undefined,
      highRate: rate > this.opts.rateThreshold,
    };
    const causes = riskCauses(facts, keys, weights, this.opts.riskEventScore);
    const newCauses = causes.filter((c) => !state.knownCauses.includes(c));
    const riskSince = newCauses.length > 0 ? now : state.riskSince; // this request's own event counts at once
    const derived = { known: state.device !== undefined, trusted: state.device?.trusted === true, rate, riskSince };
    const trustsDevice = input.setup.devices.some((d) => meetsLevel(d.trustLevel, who));
    return {
      signals: signalsOf(local, facts, derived, weights),
      ...(state.tokenUse ? { tokenUse: state.tokenUse } : {}),
      summary: { ...this.summary(local, facts), known: derived.known, trusted: derived.trusted, rate, risk_since: riskSince, ...(newCauses.length > 0 ? { risk_event: newCauses.map((c) => c.split(':')[0]) } : {}), ...(state.tokenUse ? { token_use: state.tokenUse } : {}) },
      record: (outcome: Outcome) => {
        const allowed = outcome === 'allow';
        if (newCauses.length > 0) this.events.riskEvent(newCauses);
        this.store.write({
          subject,
          now,
          rateBucket: bucketOf(now, this.opts.rateWindow),
          ...(allowed && local.device ? { device: { id: local.device, trusted: trustsDevice } } : {}),
          ...(allowed && local.geo.country ? { country: local.geo.country } : {}),
          ...(allowed && here ? { place: here } : {}),
          ...(newCauses.length > 0 ? { riskCauses: causes } : {}),
        });
      },
    };
  }

  private localFacts(input: GatherInput): LocalFacts {
    const { request, setup } = input;
    const address = clientAddress(request.sourceAddress, request.headers, this.opts.trustedHops);
    const listed = setup.lookupAddress(address);
    const geo = this.opts.geo?.locate(address, request.headers) ?? { country: '' };
    const raw = readDeviceId(setup.devices, request.headers);
    return { address, lists: listed.lists, flagged: listed.flagged, geo, ...(raw !== undefined ? { device: fingerprint('device', raw) } : {}) };
  }

  /** One key per risk fact: what makes a later occurrence "the same" event. */
  private causeKeys(local: LocalFacts, now: number): Record<RiskFact, string> {
    const g = local.geo;
    const where = g.lat !== undefined && g.lon !== undefined ? `${g.country}:${Math.round(g.lat)}:${Math.round(g.lon)}` : g.country;
    return {
      ipFlagged: `ip:${fingerprint('address', local.address)}`,
      impossibleTravel: `travel:${where}`,
      newCountry: `country:${g.country}`,
      unknownDevice: `device:${local.device ?? 'none'}`,
      highRate: `rate:${Math.floor(now / this.opts.rateWindow.windowSeconds)}`,
    };
  }

  private summary(local: LocalFacts, facts: RiskFacts): Record<string, unknown> {
    return {
      client: local.address,
      lists: local.lists,
      flagged: local.flagged,
      country: local.geo.country,
      ...(local.device ? { device: local.device } : {}),
      new_country: facts.newCountry,
      impossible_travel: facts.impossibleTravel,
      score: riskScore(facts, this.opts.weights),
    };
  }
}
