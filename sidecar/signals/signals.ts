// Risk signals as rule conditions see them (`signals.*` in CEL). Integers are
// bigint because CEL ints are. Until a signal is collected, it keeps the
// documented default below, chosen so that no default ever lowers friction.

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

/** Gathers the signals of one request. Implementations must not throw for a missing value. */
export interface SignalSource {
  gather(request: { sourceAddress: string; headers: Readonly<Record<string, string>> }, subject: string | undefined): Promise<Signals>;
}

/** The signal source used until signal collection is configured: defaults only. */
export const defaultSignalSource: SignalSource = {
  gather: async () => DEFAULT_SIGNALS,
};
