import { describe, expect, it } from 'vitest';
import { combineHealth, isStepupMessage } from './messages.js';

const ok = { ready: true, detail: 'policies abc; signals memory' };

describe('combineHealth', () => {
  it('is ready when every expected worker answered ready; identical details are shown once', () => {
    expect(combineHealth(2, [ok, ok])).toEqual({ ready: true, detail: '2/2 workers ready; policies abc; signals memory' });
  });

  it.each([
    ['a worker is missing (being replaced)', [ok], '1/2 workers ready, 1 being replaced; policies abc; signals memory'],
    ['a worker did not answer', [ok, undefined], '1/2 workers ready, 1 not answering; policies abc; signals memory'],
    ['a worker has no policies yet', [ok, { ready: false, detail: 'no policy snapshot yet: failing closed' }], '1/2 workers ready; policies abc; signals memory | no policy snapshot yet: failing closed'],
    ['no worker at all', [], '0/2 workers ready, 2 being replaced'],
  ])('is not ready when %s', (_what, answers, detail) => {
    expect(combineHealth(2, answers)).toEqual({ ready: false, detail });
  });
});

describe('isStepupMessage', () => {
  it('tells our messages from anything else on the channel', () => {
    expect(isStepupMessage({ stepup: 'serving', port: 1 })).toBe(true);
    expect(isStepupMessage({ type: 'prom-client:getMetricsReq' })).toBe(false);
    expect(isStepupMessage('hello')).toBe(false);
    expect(isStepupMessage(null)).toBe(false);
  });
});
