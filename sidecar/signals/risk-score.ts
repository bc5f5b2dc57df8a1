// signals.risk.score and what counts as a risk-raising event.
//
//   score = min(100, sum of the weights of the facts that hold)
//
// A request is a risk event when its score reaches the event threshold and at
// least one of the facts behind it is new for the subject (its cause was not
// seen in the risk retention period). Dedupe by cause keeps a user who keeps
// working from one flagged address, after authenticating there, from being
// asked to authenticate again on every request.

export interface RiskFacts {
  /** The client address is on a list marked flagged. */
  readonly ipFlagged: boolean;
  /** signals.travel.impossible. */
  readonly impossibleTravel: boolean;
  /** signals.activity.newCountry. */
  readonly newCountry: boolean;
  /** The device is not known for the subject (or no device id was sent). */
  readonly unknownDevice: boolean;
  /** signals.activity.rate is above the configured rate threshold. */
  readonly highRate: boolean;
}

export type RiskFact = keyof RiskFacts;
export type RiskWeights = Readonly<Record<RiskFact, number>>;

export const RISK_FACTS: readonly RiskFact[] = ['ipFlagged', 'impossibleTravel', 'newCountry', 'unknownDevice', 'highRate'];

export const DEFAULT_RISK_WEIGHTS: RiskWeights = Object.freeze({ ipFlagged: 40, impossibleTravel: 50, newCountry: 20, unknownDevice: 15, highRate: 25 });

/** Default score from which a request with a new cause is a risk event. */
export const DEFAULT_RISK_EVENT_SCORE = 40;

export function riskScore(facts: RiskFacts, weights: RiskWeights = DEFAULT_RISK_WEIGHTS): number {
  let sum = 0;
  for (const fact of RISK_FACTS) if (facts[fact]) sum += weights[fact];
  return Math.min(100, sum);
}

/**
 * The causes of a risk event: the keys (one per fact, e.g. `ip:<address
 * fingerprint>`) of the facts that hold and weigh something, when the score
 * reaches `threshold`; otherwise none.
 */
export function riskCauses(facts: RiskFacts, keys: Readonly<Record<RiskFact, string>>, weights: RiskWeights, threshold: number): string[] {
  if (riskScore(facts, weights) < threshold) return [];
  return RISK_FACTS.filter((f) => facts[f] && weights[f] > 0).map((f) => keys[f]);
}

/**
 * Parses `ipFlagged=40,newCountry=10` (any subset; the rest keep their
 * defaults). Throws an Error naming the problem.
 */
export function parseRiskWeights(text: string): RiskWeights {
  const out: Record<string, number> = { ...DEFAULT_RISK_WEIGHTS };
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, value, extra] = item.split('=');
    if (extra !== undefined || value === undefined || !(RISK_FACTS as readonly string[]).includes(name as string)) {
      throw new Error(`"${item}" is not fact=weight with a fact among ${RISK_FACTS.join(', ')}`);
    }
    if (!/^\d{1,3}$/.test(value) || Number(value) > 100) throw new Error(`weight of ${name} must be a whole number from 0 to 100, got "${value}"`);
    out[name as string] = Number(value);
  }
  return Object.freeze(out) as RiskWeights;
}
