// The sliding window behind signals.activity.rate. The window is cut into
// buckets of equal length; each request adds one to its bucket. The rate is
// the sum of the buckets inside the window, the oldest bucket counted by the
// share of it still inside (a sliding-window counter: memory is a few numbers
// per subject, whatever the request rate).

export interface RateWindow {
  /** Window length in seconds. */
  readonly windowSeconds: number;
  /** Bucket length in seconds; divides windowSeconds. */
  readonly bucketSeconds: number;
}

export const DEFAULT_RATE_WINDOW: RateWindow = Object.freeze({ windowSeconds: 60, bucketSeconds: 5 });

/** Start of the bucket holding `now`. */
export function bucketOf(now: number, w: RateWindow): number {
  return Math.floor(now / w.bucketSeconds) * w.bucketSeconds;
}

/** Starts of the buckets a rate at `now` reads, newest first: the current one and windowSeconds/bucketSeconds before it. */
export function bucketsToRead(now: number, w: RateWindow): number[] {
  const current = bucketOf(now, w);
  const n = w.windowSeconds / w.bucketSeconds;
  return Array.from({ length: n + 1 }, (_v, i) => current - i * w.bucketSeconds);
}

/**
 * Requests in the window ending at `now`, given the counts of the buckets
 * from bucketsToRead (same order). Rounded to a whole number.
 */
export function windowRate(counts: readonly number[], now: number, w: RateWindow): number {
  const n = w.windowSeconds / w.bucketSeconds;
  let total = 0;
  for (let i = 0; i < n; i++) total += counts[i] ?? 0;
  const oldestShare = (bucketOf(now, w) + w.bucketSeconds - now) / w.bucketSeconds;
  total += (counts[n] ?? 0) * oldestShare;
  return Math.round(total);
}

/** Seconds a bucket must be kept to be read by every later rate. */
export function bucketRetentionSeconds(w: RateWindow): number {
  return w.windowSeconds + w.bucketSeconds;
}

/** A window of `seconds` cut into buckets: the largest whole-second length giving at least 12 of them (1 s for short windows). */
export function rateWindowOf(seconds: number): RateWindow {
  let bucket = Math.max(1, Math.floor(seconds / 12));
  while (seconds % bucket !== 0) bucket--;
  return { windowSeconds: seconds, bucketSeconds: bucket };
}
