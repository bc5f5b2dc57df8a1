// Risk signals as rule conditions see them (`signals.*` in CEL). Integers are
// bigint because CEL ints are. Until a signal is collected, it keeps the
// documented default below, chosen so that no default ever lowers friction.
import type { IdentityResult, Outcome, RequestAttributes } from '../decision/types.js';
import type { SignalSetup } from './signal-setup.js';

export interface Signals {
  readonly ip: { readonly flagged: boolean; readonly lists: readonly string[] };
  readonly geo: { readonly country: string };
  readonly device: { readonly id: string; readonly known: boolean; readonly trusted: boolean };
  readonly activity: { readonly rate: bigint; readonly newCountry: boolean };
  readonly travel: { readonly impossible: boolean };
  readonly risk: { readonly score: bigint };
  /** Seconds since the epoch of the subject's latest risk-raising event; 0 when none. */
  readonly riskSince: bigint;
}

/**
 * Defaults: no list flags the address, country unknown, the device is neither
 * known nor trusted (so device conditions ask for step-up rather than skip it),
 * no activity, no risk event.
 */
export const DEFAULT_SIGNALS: Signals = Object.freeze({
  ip: Object.freeze({ flagged: false, lists: Object.freeze([]) }),
  geo: Object.freeze({ country: '' }),
  device: Object.freeze({ id: '', known: false, trusted: false }),
  activity: Object.freeze({ rate: 0n, newCountry: false }),
  travel: Object.freeze({ impossible: false }),
  risk: Object.freeze({ score: 0n }),
  riskSince: 0n,
});

/** What gathering needs: the request, who is calling, the policy set's signal setup, the clock. */
export interface GatherInput {
  readonly request: RequestAttributes;
  readonly identity: IdentityResult;
  readonly setup: SignalSetup;
  /** Seconds since the epoch. */
  readonly now: number;
}

/** The signals of one request, and how to record what it taught once decided. */
export interface GatheredSignals {
  readonly signals: Signals;
  /** Set when the signal store could not be read: decide() fails closed on rules that need it. */
  readonly unavailable?: string;
  /** Whether this is the token's first use, when a singleUse rule matched and the store answered. */
  readonly tokenUse?: 'first' | 'replayed';
  /** Facts for the decision log: fingerprints and derived values, never raw ids or tokens. */
  readonly summary?: Readonly<Record<string, unknown>>;
  /** Records the request's outcome (device seen, rate, risk event). Never throws, never waits. */
  record(outcome: Outcome): void;
}

/** Gathers the signals of one request. Never rejects: a failing store becomes `unavailable`. */
export interface SignalSource {
  gather(input: GatherInput): Promise<GatheredSignals>;
}

/** Used when no rule reads signals: defaults, nothing recorded. */
export const NOT_GATHERED: GatheredSignals = Object.freeze({ signals: DEFAULT_SIGNALS, record: () => undefined });
