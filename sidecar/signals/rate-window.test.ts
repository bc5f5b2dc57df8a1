import { describe, expect, it } from 'vitest';
import { bucketOf, bucketRetentionSeconds, bucketsToRead, DEFAULT_RATE_WINDOW, rateWindowOf, windowRate } from './rate-window.js';

const W = DEFAULT_RATE_WINDOW; // 60 s window, 5 s buckets

describe('buckets', () => {
  it.each([
    [1000, 1000],
    [1004, 1000],
    [1005, 1005],
    [1004.9, 1000],
  ])('%d falls in the bucket starting at %d', (now, start) => {
    expect(bucketOf(now, W)).toBe(start);
  });

  it('reads the current bucket and the 12 before it, newest first', () => {
    const b = bucketsToRead(1003, W);
    expect(b).toHaveLength(13);
    expect(b[0]).toBe(1000);
    expect(b[12]).toBe(940);
    expect(bucketRetentionSeconds(W)).toBe(65);
  });
});

describe('windowRate', () => {
  const zeros = () => new Array<number>(13).fill(0);
  const put = (entries: [number, number][]) => {
    const c = zeros();
    for (const [i, n] of entries) c[i] = n;
    return c;
  };
  it.each([
    ['nothing recorded', [], 1000, 0],
    ['three in the current bucket', [[0, 3]], 1002, 3],
    ['spread over the window', [[0, 1], [5, 2], [11, 4]], 1000, 7],
    ['oldest bucket fully inside at its start', [[12, 10]], 1000, 10],
    ['oldest bucket 40% outside', [[12, 10]], 1002, 6],
    ['oldest bucket 80% outside', [[12, 10]], 1004, 2],
    ['oldest bucket and the rest', [[0, 5], [12, 10]], 1002.5, 10],
  ] as [string, [number, number][], number, number][])('%s', (_n, entries, now, rate) => {
    expect(windowRate(put(entries), now, W)).toBe(rate);
  });

  it('other window shapes', () => {
    const w = { windowSeconds: 10, bucketSeconds: 10 };
    expect(bucketsToRead(25, w)).toEqual([20, 10]);
    expect(windowRate([4, 10], 25, w)).toBe(9); // half of the previous bucket is still inside
  });
});

describe('rateWindowOf', () => {
  it.each([
    [60, 5],
    [100, 5],
    [3600, 300],
    [7, 1],
    [1, 1],
    [13, 1],
    [24, 2],
  ])('a %d s window has %d s buckets', (seconds, bucket) => {
    const w = rateWindowOf(seconds);
    expect(w).toEqual({ windowSeconds: seconds, bucketSeconds: bucket });
    expect(seconds % w.bucketSeconds).toBe(0);
  });
});
