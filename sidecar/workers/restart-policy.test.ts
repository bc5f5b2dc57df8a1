import { describe, expect, it } from 'vitest';
import { RestartPolicy } from './restart-policy.js';

const opts = { initialDelayMs: 100, maxDelayMs: 1000, stableMs: 10_000, maxStartFailures: 3 };

describe('RestartPolicy', () => {
  it('gives up at once when a worker fails before any worker ever served (a bad start is not retried)', () => {
    expect(new RestartPolicy(opts).ended({ served: false, servedMs: 0 })).toEqual({ action: 'give-up', why: 'a worker failed to start' });
  });

  it('replaces workers that die after serving, the delay doubling up to the maximum', () => {
    const p = new RestartPolicy(opts);
    p.served();
    const delays = Array.from({ length: 6 }, () => {
      const step = p.ended({ served: true, servedMs: 50 });
      return step.action === 'restart' ? step.delayMs : -1;
    });
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('starts the delays over after a worker served long enough', () => {
    const p = new RestartPolicy(opts);
    p.served();
    p.ended({ served: true, servedMs: 10 });
    p.ended({ served: true, servedMs: 10 });
    expect(p.ended({ served: true, servedMs: 10_000 })).toEqual({ action: 'restart', delayMs: 100 });
  });

  it('gives up when replacements keep failing to start; a replacement that serves resets the count', () => {
    const p = new RestartPolicy(opts);
    p.served();
    expect(p.ended({ served: false, servedMs: 0 }).action).toBe('restart');
    expect(p.ended({ served: false, servedMs: 0 }).action).toBe('restart');
    p.served();
    expect(p.ended({ served: false, servedMs: 0 }).action).toBe('restart');
    expect(p.ended({ served: false, servedMs: 0 }).action).toBe('restart');
    expect(p.ended({ served: false, servedMs: 0 })).toEqual({ action: 'give-up', why: '3 workers in a row failed to start' });
  });
});
