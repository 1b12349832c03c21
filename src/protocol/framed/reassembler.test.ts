import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeDatagram, FrameReassembler, fragmentFrame, type VideoFragment } from './index.ts';

function jpegOf(frameId: number, size: number): Buffer {
  return Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + frameId) & 0xff));
}

function fragments(frameId: number, size: number, maxDatagram = 124): VideoFragment[] {
  return fragmentFrame({ frameId, ptsUs: frameId * 33_333, jpeg: jpegOf(frameId, size) }, (frameId * 100) >>> 0, maxDatagram).map(
    (d) => decodeDatagram(d) as VideoFragment,
  );
}

function pushAll(r: FrameReassembler, frags: VideoFragment[]): Array<{ frameId: number; ptsUs: number; jpeg: Buffer }> {
  const out = [];
  for (const f of frags) {
    const got = r.push(f);
    if (got) out.push(got);
  }
  return out;
}

describe('FrameReassembler', () => {
  it('returns a one-fragment frame at once', () => {
    const r = new FrameReassembler();
    const [f] = fragments(1, 50);
    expect(r.push(f!)).toEqual({ frameId: 1, ptsUs: 33_333, jpeg: jpegOf(1, 50) });
    expect(r.stats.framesCompleted).toBe(1);
  });

  it('rebuilds frames from fragments in any order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.infiniteStream(fc.nat()), (size, rnd) => {
        const frags = fragments(9, size);
        const shuffled = [...frags];
        const it = rnd[Symbol.iterator]();
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = it.next().value % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const r = new FrameReassembler();
        const got = pushAll(r, shuffled);
        expect(got).toHaveLength(1);
        expect(got[0]!.jpeg.equals(jpegOf(9, size))).toBe(true);
        expect(r.framesInFlight).toBe(0);
        expect(r.bytesInFlight).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('counts duplicate fragments, including ones of a frame already returned, and returns the frame once', () => {
    const r = new FrameReassembler();
    const [a, b, c] = fragments(3, 300);
    const got = pushAll(r, [a!, a!, b!, c!, c!, b!]);
    expect(got).toHaveLength(1);
    expect(r.stats).toMatchObject({ framesCompleted: 1, duplicateFragments: 3, framesDropped: 0 });
  });

  it('never returns a frame missing a fragment: it is dropped when a newer frame completes', () => {
    const r = new FrameReassembler();
    const f1 = fragments(1, 300);
    const f2 = fragments(2, 300);
    const got = pushAll(r, [f1[0]!, f1[2]!, ...f2]); // f1[1] is lost
    expect(got.map((g) => g.frameId)).toEqual([2]);
    expect(r.stats).toMatchObject({ framesCompleted: 1, framesDropped: 1 });
    expect(r.framesInFlight).toBe(0);
    // The lost fragment turning up late changes nothing.
    expect(r.push(f1[1]!)).toBeUndefined();
    expect(r.stats.lateFragments).toBe(1);
  });

  it('random loss, duplication and reordering: every returned frame is intact and frameIds increase', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ size: fc.integer({ min: 1, max: 800 }), lose: fc.boolean() }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (frames, swaps, dups) => {
          const sizes = new Map<number, number>();
          let stream: VideoFragment[] = [];
          frames.forEach(({ size, lose }, id) => {
            sizes.set(id, size);
            const fr = fragments(id, size);
            if (lose && fr.length > 1) fr.splice(fr.length >> 1, 1);
            stream.push(...fr);
          });
          for (const d of dups) stream.push(stream[d % stream.length]!);
          for (const [i, j] of swaps) {
            const a = i % stream.length;
            const b = Math.min(stream.length - 1, a + (j % 20)); // local reordering
            [stream[a], stream[b]] = [stream[b]!, stream[a]!];
          }
          const r = new FrameReassembler({ maxFramesInFlight: 4 });
          const got = pushAll(r, stream);
          stream = [];
          let last = -1;
          for (const g of got) {
            expect(g.frameId).toBeGreaterThan(last);
            last = g.frameId;
            expect(g.jpeg.equals(jpegOf(g.frameId, sizes.get(g.frameId)!))).toBe(true);
          }
          expect(r.framesInFlight).toBeLessThanOrEqual(4);
          const s = r.stats;
          expect(s.framesCompleted).toBe(got.length);
          expect(s.framesCompleted + s.framesDropped + r.framesInFlight).toBeLessThanOrEqual(frames.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('evicts the oldest incomplete frame when maxFramesInFlight is reached', () => {
    const r = new FrameReassembler({ maxFramesInFlight: 3 });
    for (let id = 0; id < 10; id++) r.push(fragments(id, 300)[0]!);
    expect(r.framesInFlight).toBe(3);
    expect(r.stats.framesDropped).toBe(7);
    // The survivors are the newest three: completing frame 9 works.
    const rest = fragments(9, 300).slice(1);
    expect(pushAll(r, rest).map((g) => g.frameId)).toEqual([9]);
  });

  it('bounds memory: maxBytesInFlight evicts the oldest, maxFrameBytes rejects oversized frames', () => {
    const r = new FrameReassembler({ maxBytesInFlight: 1000, maxFramesInFlight: 100 });
    for (let id = 0; id < 50; id++) r.push(fragments(id, 300)[0]!); // 100 payload bytes each
    expect(r.bytesInFlight).toBeLessThanOrEqual(1000);
    expect(r.framesInFlight).toBe(10);
    const small = new FrameReassembler({ maxFrameBytes: 250 });
    const frags = fragments(1, 300);
    expect(pushAll(small, frags)).toEqual([]);
    expect(small.stats.rejectedFragments).toBeGreaterThan(0);
    expect(small.framesInFlight).toBe(0);
  });

  it('a flood of first fragments of distinct frames keeps memory bounded', () => {
    const r = new FrameReassembler();
    const payload = Buffer.alloc(1376, 1);
    for (let id = 0; id < 100_000; id++) r.push({ type: 'fragment', seq: id, frameId: id, ptsUs: id, index: 0, count: 4096, payload });
    expect(r.framesInFlight).toBeLessThanOrEqual(8);
    expect(r.bytesInFlight).toBeLessThanOrEqual(8 * 1376);
  });

  it('rejects fragments whose count or ptsUs contradict their frame, and invalid fragments', () => {
    const r = new FrameReassembler();
    const [a, b, c] = fragments(4, 300);
    r.push(a!);
    expect(r.push({ ...b!, count: 4 })).toBeUndefined();
    expect(r.push({ ...b!, ptsUs: 1 })).toBeUndefined();
    expect(r.push({ ...b!, index: 3 })).toBeUndefined();
    expect(r.push({ ...b!, payload: Buffer.alloc(0) })).toBeUndefined();
    expect(r.push({ ...b!, count: 5000, index: 0 })).toBeUndefined();
    expect(r.stats.rejectedFragments).toBe(5);
    expect(pushAll(r, [b!, c!]).map((g) => g.frameId)).toEqual([4]);
  });

  it('handles frameId wrap-around (RFC 1982 serial order)', () => {
    const r = new FrameReassembler();
    const ids = [0xffff_fffe, 0xffff_ffff, 0, 1];
    const got = ids.flatMap((id) =>
      pushAll(
        r,
        fragments(id, 300, 124).map((f) => ({ ...f, frameId: id })),
      ),
    );
    expect(got.map((g) => g.frameId)).toEqual(ids);
    expect(r.stats.lateFragments).toBe(0);
  });

  it('treats a frameId far behind the newest as a sender restart, not as 2^31 late frames', () => {
    const r = new FrameReassembler();
    pushAll(r, fragments(5000, 300));
    expect(pushAll(r, fragments(0, 300)).map((g) => g.frameId)).toEqual([0]);
    expect(r.stats.restarts).toBe(1);
  });
});
