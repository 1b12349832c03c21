import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DecodeError } from '../errors.ts';
import { SequenceTracker } from './index.ts';

function track(seqs: number[]): SequenceTracker {
  const t = new SequenceTracker();
  for (const s of seqs) t.observe(s >>> 0);
  return t;
}

describe('SequenceTracker', () => {
  it('counts an in-order stream as no loss', () => {
    const t = track(Array.from({ length: 1000 }, (_, i) => i + 10));
    expect([t.received, t.expected, t.lost, t.duplicates, t.reordered, t.highestSeq]).toEqual([1000, 1000, 0, 0, 0, 1009]);
  });

  it('counts gaps as lost (RFC 3550 A.3: expected − received)', () => {
    const t = track([1, 2, 5, 6, 10]);
    expect([t.expected, t.received, t.lost]).toEqual([10, 5, 5]);
  });

  it('counts duplicates without counting them as received', () => {
    const t = track([1, 2, 2, 3, 1, 3]);
    expect([t.received, t.lost, t.duplicates, t.reordered]).toEqual([3, 0, 3, 0]);
  });

  it('a late packet fills its gap and counts as reordered', () => {
    const t = track([1, 2, 4, 5, 3]);
    expect([t.received, t.lost, t.reordered, t.highestSeq]).toEqual([5, 0, 1, 5]);
  });

  it('handles u32 wrap-around', () => {
    const t = track([0xffff_fffd, 0xffff_fffe, 0xffff_ffff, 0, 2, 1]);
    expect([t.received, t.lost, t.reordered, t.highestSeq, t.expected]).toEqual([6, 0, 1, 2, 6]);
  });

  it('a huge jump is not believed until the next packet confirms it, then restarts without billions lost', () => {
    const t = track([1, 2, 3, 2_000_000_000]);
    expect([t.lost, t.ignored, t.restarts, t.highestSeq]).toEqual([0, 1, 0, 3]);
    t.observe(2_000_000_001);
    expect([t.restarts, t.received, t.lost, t.highestSeq]).toEqual([1, 4, 0, 2_000_000_001]);
    t.observe(2_000_000_003);
    expect(t.lost).toBe(1);
  });

  it('a single stray old packet does not restart the run', () => {
    const t = track([5000, 5001, 5002, 7, 5003]);
    expect([t.restarts, t.ignored, t.received, t.lost]).toEqual([0, 1, 4, 0]);
  });

  it('lost = sent − distinct received for random loss, duplication and local reordering', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffff_ffff }),
        fc.array(fc.constantFrom('keep', 'drop', 'dup'), { minLength: 2, maxLength: 500 }),
        fc.array(fc.nat(), { maxLength: 50 }),
        (start, fate, swaps) => {
          const arrivals: number[] = [];
          fate.forEach((f, i) => {
            // Keep the first and last so expected = fate.length.
            if (f === 'drop' && i !== 0 && i !== fate.length - 1) return;
            arrivals.push(start + i);
            if (f === 'dup') arrivals.push(start + i);
          });
          for (const s of swaps) {
            const a = 1 + (s % Math.max(1, arrivals.length - 2));
            const b = Math.min(arrivals.length - 2, a + 1 + (s % 30));
            if (a < b) [arrivals[a], arrivals[b]] = [arrivals[b]!, arrivals[a]!];
          }
          const t = track(arrivals);
          const distinct = new Set(arrivals).size;
          expect(t.expected).toBe(fate.length);
          expect(t.received).toBe(distinct);
          expect(t.lost).toBe(fate.length - distinct);
          expect(t.duplicates).toBe(arrivals.length - distinct);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a sequence number that is not a u32', () => {
    expect(() => new SequenceTracker().observe(-1)).toThrow(DecodeError);
    expect(() => new SequenceTracker().observe(2 ** 32)).toThrow(DecodeError);
    expect(new SequenceTracker().highestSeq).toBe(-1);
  });
});
