import { describe, expect, it } from 'vitest';
import { DEFAULT_RISK_WEIGHTS, parseRiskWeights, riskCauses, riskScore, type RiskFacts } from './risk-score.js';

const NONE: RiskFacts = { ipFlagged: false, impossibleTravel: false, newCountry: false, unknownDevice: false, highRate: false };
const KEYS = { ipFlagged: 'ip:a', impossibleTravel: 'travel:b', newCountry: 'country:FR', unknownDevice: 'device:d', highRate: 'rate:7' };

describe('riskScore with the default weights', () => {
  it.each([
    ['nothing', {}, 0],
    ['flagged address', { ipFlagged: true }, 40],
    ['impossible travel', { impossibleTravel: true }, 50],
    ['new country', { newCountry: true }, 20],
    ['unknown device', { unknownDevice: true }, 15],
    ['high rate', { highRate: true }, 25],
    ['new country from an unknown device', { newCountry: true, unknownDevice: true }, 35],
    ['flagged and travelling', { ipFlagged: true, impossibleTravel: true }, 90],
    ['everything (capped)', { ipFlagged: true, impossibleTravel: true, newCountry: true, unknownDevice: true, highRate: true }, 100],
  ] as [string, Partial<RiskFacts>, number][])('%s: %d', (_n, facts, score) => {
    expect(riskScore({ ...NONE, ...facts })).toBe(score);
  });

  it('uses the weights given', () => {
    expect(riskScore({ ...NONE, unknownDevice: true }, { ...DEFAULT_RISK_WEIGHTS, unknownDevice: 70 })).toBe(70);
  });
});

describe('riskCauses (threshold 40)', () => {
  it.each([
    ['below the threshold: no event', { newCountry: true, unknownDevice: true }, []],
    ['flagged alone reaches it', { ipFlagged: true }, ['ip:a']],
    ['every fact behind the event is a cause', { ipFlagged: true, unknownDevice: true }, ['ip:a', 'device:d']],
    ['new country and high rate', { newCountry: true, highRate: true }, ['country:FR', 'rate:7']],
  ] as [string, Partial<RiskFacts>, string[]][])('%s', (_n, facts, causes) => {
    expect(riskCauses({ ...NONE, ...facts }, KEYS, DEFAULT_RISK_WEIGHTS, 40)).toEqual(causes);
  });

  it('a fact weighing 0 is never a cause', () => {
    const w = { ...DEFAULT_RISK_WEIGHTS, unknownDevice: 0 };
    expect(riskCauses({ ...NONE, ipFlagged: true, unknownDevice: true }, KEYS, w, 40)).toEqual(['ip:a']);
  });
});

describe('parseRiskWeights', () => {
  it.each([
    ['', DEFAULT_RISK_WEIGHTS],
    ['ipFlagged=10', { ...DEFAULT_RISK_WEIGHTS, ipFlagged: 10 }],
    [' highRate=0 , newCountry=100 ', { ...DEFAULT_RISK_WEIGHTS, highRate: 0, newCountry: 100 }],
  ])('%j', (text, weights) => {
    expect(parseRiskWeights(text)).toEqual(weights);
  });
  it.each([
    ['ipflagged=10', /fact=weight/],
    ['ipFlagged', /fact=weight/],
    ['ipFlagged=1=2', /fact=weight/],
    ['ipFlagged=101', /0 to 100/],
    ['ipFlagged=-1', /0 to 100/],
    ['ipFlagged=1.5', /0 to 100/],
  ])('refuses %j', (text, message) => {
    expect(() => parseRiskWeights(text)).toThrow(message);
  });
});
