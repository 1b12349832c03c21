import { describe, expect, it } from 'vitest';
import { tallyShown, type Reading } from './shown-frames.ts';

/** Readings 1000/60 ms apart, as the recorder delivers them at 60 pictures/s. */
function at60(numbers: Array<number | undefined>, stallAfter?: number, stallMs = 0): Reading[] {
  let t = 0;
  return numbers.map((number, i) => {
    t += 1000 / 60 + (stallAfter !== undefined && i === stallAfter + 1 ? stallMs : 0);
    return { atMs: t, number, changed: i > 0 && number !== numbers[i - 1] };
  });
}
const BLIND_MS = 2.5 * (1000 / 60);

describe('tallyShown', () => {
  it('counts each frame held for two recordings once: every frame shown', () => {
    const r = tallyShown(at60([10, 10, 11, 11, 12, 12, 13, 13]), BLIND_MS);
    expect(r).toMatchObject({ shown: 4, sent: 4, unseen: 0, shownRatio: 1, unreadable: 0, samples: 8, pictureChanges: 3 });
  });

  it('reads frames the window skipped as sent but not shown', () => {
    const r = tallyShown(at60([10, 10, 10, 12, 12, 12, 14, 14, 14, 16]), BLIND_MS);
    expect(r.shown).toBe(4);
    expect(r.sent).toBe(7);
    expect(r.shownRatio).toBeCloseTo(4 / 7);
  });

  it('does not blame the window for frames skipped while the recorder stalled', () => {
    const r = tallyShown(at60([10, 10, 11, 11, 20, 20, 21, 21], 3, 150), BLIND_MS);
    expect(r).toMatchObject({ shown: 4, sent: 12, unseen: 8, shownRatio: 1 });
  });

  it('counts on across the clip starting over, and ignores a torn picture reading an older frame', () => {
    const r = tallyShown(at60([598, 598, 599, 599, 0, 0, 1, 599, 1, 2, 2]), BLIND_MS);
    expect(r.shown).toBe(5);
    expect(r.sent).toBe(5);
    expect(r.shownRatio).toBe(1);
  });

  it('counts picture changes where no strip reads (a clip without it)', () => {
    const r = tallyShown(
      at60([undefined, undefined, undefined]).map((x, i) => ({ ...x, changed: i === 2 })),
      BLIND_MS,
    );
    expect(r).toMatchObject({ shown: 0, unreadable: 3, pictureChanges: 1 });
  });

  it('counts unreadable pictures and survives no reading at all', () => {
    expect(tallyShown(at60([undefined, 5, undefined, 6]), BLIND_MS)).toMatchObject({ shown: 2, unreadable: 2, shownRatio: 1 });
    expect(tallyShown([], BLIND_MS)).toMatchObject({ samples: 0, seconds: 0, shown: 0, sent: 0, shownRatio: 0 });
  });

  it('says how long the window was frozen at the end: a video loop that died while the program lives on', () => {
    const frozen = tallyShown(at60([10, 11, 12, ...Array<number>(60).fill(12)]), BLIND_MS);
    expect(frozen.frozenAtEndS).toBeCloseTo(1, 5);
    expect(tallyShown(at60([10, 10, 11, 11, 12]), BLIND_MS).frozenAtEndS).toBe(0);
  });

  it('never reports a ratio above 1 or below 0 for random readings', () => {
    for (let round = 0; round < 200; round++) {
      const numbers = Array.from({ length: 1 + Math.floor(Math.random() * 80) }, () => (Math.random() < 0.1 ? undefined : Math.floor(Math.random() * 4096)));
      const r = tallyShown(at60(numbers), BLIND_MS);
      expect(r.shownRatio).toBeGreaterThanOrEqual(0);
      expect(r.shownRatio).toBeLessThanOrEqual(1);
      expect(r.shown + r.unreadable).toBeLessThanOrEqual(r.samples);
    }
  });
});
