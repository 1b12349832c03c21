/**
 * How functional tests judge a frame rate measured on the wall clock.
 *
 * These tests check that frames are paced at the file's rate at all — not unpaced (a burst reads
 * as many times the rate), not halved or doubled by a fan-out, loop or clock bug (0.5× / 2×). They
 * do not check its precision: on a machine with one core kept busy, a frame can be shown a few
 * hundred ms late, which moves a 4-second mean by several per cent while nothing is wrong. The
 * precise figures (0.1 % and jitter) are `npm run bench`'s job, run on a quiet machine.
 */
import { expect } from 'vitest';

/** ±20 %: far outside scheduling noise on a loaded core (≤ ~10 % on 4 s runs here), far inside the 0.5×/2× of a pacing bug. */
export const RATE_TOLERANCE = 0.2;

export function expectFileRate(measuredFps: number, fileFps: number, what = 'fps'): void {
  expect(measuredFps, what).toBeGreaterThan(fileFps * (1 - RATE_TOLERANCE));
  expect(measuredFps, what).toBeLessThan(fileFps * (1 + RATE_TOLERANCE));
}
