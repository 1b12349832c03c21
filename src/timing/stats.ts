/**
 * Figures with public definitions, computed from timestamps the caller supplies (pure: no clock).
 * - InterarrivalJitter: RFC 3550 §6.4.1, computed as in appendix A.8.
 * - detectFreezes: W3C webrtc-stats freezeCount/totalFreezesDuration.
 */

/**
 * RFC 3550 interarrival jitter in milliseconds. transit = arrival − pts (A.8 uses RTP timestamp
 * units; here both are ms), D = transit − previous transit, J += (|D| − J) / 16.
 */
export class InterarrivalJitter {
  #prevTransit: number | undefined;
  #jitter = 0;
  #count = 0;

  observe(arrivalMs: number, ptsUs: number): void {
    const transit = arrivalMs - ptsUs / 1000;
    if (this.#prevTransit !== undefined) {
      const d = Math.abs(transit - this.#prevTransit);
      this.#jitter += (d - this.#jitter) / 16;
    }
    this.#prevTransit = transit;
    this.#count += 1;
  }

  get jitterMs(): number {
    return this.#jitter;
  }

  get count(): number {
    return this.#count;
  }
}

/** Frames per second over a sliding window: (ticks in window − 1) / (their time span). */
export class FpsMeter {
  readonly #windowMs: number;
  #ticks: number[] = [];
  #head = 0;

  constructor(windowMs = 1000) {
    if (!(windowMs > 0)) throw new RangeError(`FpsMeter: windowMs must be > 0, got ${windowMs}`);
    this.#windowMs = windowMs;
  }

  tick(nowMs: number): void {
    this.#ticks.push(nowMs);
    this.#prune(nowMs);
  }

  fps(nowMs: number): number {
    this.#prune(nowMs);
    const n = this.#ticks.length - this.#head;
    if (n < 2) return 0;
    const span = this.#ticks[this.#ticks.length - 1]! - this.#ticks[this.#head]!;
    return span > 0 ? ((n - 1) * 1000) / span : 0;
  }

  #prune(nowMs: number): void {
    const from = nowMs - this.#windowMs;
    while (this.#head < this.#ticks.length && this.#ticks[this.#head]! < from) this.#head += 1;
    // Compact now and then so memory stays bounded by the window, not the run length.
    if (this.#head > 1024 && this.#head * 2 > this.#ticks.length) {
      this.#ticks = this.#ticks.slice(this.#head);
      this.#head = 0;
    }
  }
}

/**
 * The p-th percentile (0..100) with linear interpolation between closest ranks (numpy's default).
 * NaN for an empty list.
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be within 0..100, got ${p}`);
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (rank - lo);
}

/** How many inter-frame delays feed the mean frame duration (W3C webrtc-stats uses the last 30 frames). */
const FREEZE_HISTORY = 30;

/**
 * W3C webrtc-stats freeze: a frame whose delay since the previous one is
 * ≥ max(3 × mean frame duration, mean + 150 ms), the mean taken over the preceding (up to 30)
 * inter-frame delays. totalMs sums the delays that were freezes. Times in ms, ascending.
 */
export function detectFreezes(frameTimesMs: readonly number[]): { count: number; totalMs: number } {
  let count = 0;
  let totalMs = 0;
  const history: number[] = [];
  let historySum = 0;
  for (let i = 1; i < frameTimesMs.length; i++) {
    const delay = frameTimesMs[i]! - frameTimesMs[i - 1]!;
    if (history.length > 0) {
      const mean = historySum / history.length;
      if (delay >= Math.max(3 * mean, mean + 150)) {
        count += 1;
        totalMs += delay;
      }
    }
    history.push(delay);
    historySum += delay;
    if (history.length > FREEZE_HISTORY) historySum -= history.shift()!;
  }
  return { count, totalMs };
}

/** Running count/mean/min/max/max|x| (and standard deviation, Welford) of a series. */
export class Summary {
  #count = 0;
  #mean = 0;
  #m2 = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;
  #maxAbs = 0;

  add(x: number): void {
    if (!Number.isFinite(x)) return;
    this.#count += 1;
    const delta = x - this.#mean;
    this.#mean += delta / this.#count;
    this.#m2 += delta * (x - this.#mean);
    if (x < this.#min) this.#min = x;
    if (x > this.#max) this.#max = x;
    if (Math.abs(x) > this.#maxAbs) this.#maxAbs = Math.abs(x);
  }

  get count(): number {
    return this.#count;
  }
  /** NaN when empty. */
  get mean(): number {
    return this.#count ? this.#mean : Number.NaN;
  }
  get stddev(): number {
    return this.#count > 1 ? Math.sqrt(this.#m2 / (this.#count - 1)) : 0;
  }
  /** NaN when empty. */
  get min(): number {
    return this.#count ? this.#min : Number.NaN;
  }
  /** NaN when empty. */
  get max(): number {
    return this.#count ? this.#max : Number.NaN;
  }
  get maxAbs(): number {
    return this.#maxAbs;
  }
  toJSON(): { count: number; mean: number; min: number; max: number; maxAbs: number; stddev: number } {
    return { count: this.count, mean: this.mean, min: this.min, max: this.max, maxAbs: this.maxAbs, stddev: this.stddev };
  }
}
