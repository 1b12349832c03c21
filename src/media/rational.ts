/** Exact frame rates: ffprobe gives "24000/1001"; keep it as integers, never as 23.976. */
import type { Rational } from './types.ts';

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

export function rational(num: number, den: number): Rational {
  if (!Number.isSafeInteger(num) || !Number.isSafeInteger(den) || den === 0) {
    throw new RangeError(`not a rational: ${num}/${den}`);
  }
  const sign = den < 0 ? -1 : 1;
  const g = gcd(num, den) || 1;
  return { num: (sign * num) / g, den: (sign * den) / g };
}

/**
 * Parses "30000/1001", "30", "29.97" (decimals become exact fractions: 29.97 → 2997/100).
 * Returns undefined for "0/0", garbage or a non-positive rate.
 */
export function parseRational(text: string | number | undefined): Rational | undefined {
  if (text === undefined) return undefined;
  const s = String(text).trim();
  const m = /^(\d+)(?:\/(\d+))?$/.exec(s);
  let r: Rational | undefined;
  if (m) {
    const num = Number(m[1]);
    const den = m[2] === undefined ? 1 : Number(m[2]);
    if (den === 0 || num === 0) return undefined;
    r = rational(num, den);
  } else {
    const d = /^(\d+)\.(\d{1,9})$/.exec(s);
    if (!d) return undefined;
    const den = 10 ** d[2]!.length;
    const num = Number(d[1]) * den + Number(d[2]);
    if (num === 0) return undefined;
    r = rational(num, den);
  }
  return r;
}

export function toNumber(r: Rational): number {
  return r.num / r.den;
}

export function formatRational(r: Rational): string {
  return r.den === 1 ? String(r.num) : `${r.num}/${r.den}`;
}

/** Presentation time of frame `index` at `fps`, in integer microseconds. */
export function framePtsUs(index: number, fps: Rational): number {
  return Math.round((index * fps.den * 1e6) / fps.num);
}

const STANDARD_RATES: readonly Rational[] = [
  [24000, 1001],
  [24, 1],
  [25, 1],
  [30000, 1001],
  [30, 1],
  [48000, 1001],
  [48, 1],
  [50, 1],
  [60000, 1001],
  [60, 1],
  [15, 1],
  [12, 1],
  [10, 1],
  [20, 1],
  [100, 1],
  [120, 1],
  [120000, 1001],
].map(([n, d]) => rational(n!, d!));

/** A rate within 0.05 % of a standard one (e.g. avg_frame_rate 14985/500 → 30000/1001) becomes that one. */
export function snapToStandardRate(r: Rational): Rational {
  const x = toNumber(r);
  for (const s of STANDARD_RATES) if (Math.abs(toNumber(s) - x) / toNumber(s) < 5e-4) return s;
  return r;
}
