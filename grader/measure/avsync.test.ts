import { describe, it, expect } from 'vitest';
import { beepHzOfSecond } from '../../src/media/clips.ts';
import { audioClock, detectBeeps, detectFlashes, pairMarkers, type Marker, type PcmArrival } from './avsync.ts';

const RATE = 44100;

/** Stereo s16le silence with, at each (start s, second k), 80 ms of second k's beep. */
function pcmWithBeeps(seconds: number, beeps: Array<[number, number]>, amplitude = 12000): Buffer {
  const frames = Math.round(seconds * RATE);
  const buf = Buffer.alloc(frames * 4);
  for (const [start, k] of beeps) {
    const s0 = Math.round(start * RATE);
    const hz = beepHzOfSecond(k);
    for (let i = s0; i < Math.min(frames, s0 + 0.08 * RATE); i++) {
      const v = Math.round(amplitude * Math.sin((2 * Math.PI * hz * (i - s0)) / RATE));
      buf.writeInt16LE(v, i * 4);
      buf.writeInt16LE(v, i * 4 + 2);
    }
  }
  return buf;
}

function chunked(pcm: Buffer, play: (k: number) => number, withPts = false): PcmArrival[] {
  const out: PcmArrival[] = [];
  for (let k = 0; k * 4096 < pcm.length; k++) {
    out.push({
      arrivalMs: play(k),
      playMs: play(k),
      pcm: pcm.subarray(k * 4096, (k + 1) * 4096),
      ...(withPts ? { ptsUs: Math.round((k * 1024 * 1e6) / RATE) } : {}),
    });
  }
  return out;
}

describe('detectBeeps()', () => {
  it('finds each beep at the time the player plays it, with its second', () => {
    const chunks = chunked(
      pcmWithBeeps(4, [
        [1, 1],
        [2, 2],
        [3, 3],
      ]),
      (k) => 5000 + (k * 1024 * 1000) / RATE,
      true,
    );
    const beeps = detectBeeps(chunks);
    expect(beeps.map((b) => b.id)).toEqual([1, 2, 3]);
    beeps.forEach((b, i) => {
      expect(Math.abs(b.atMs - (6000 + i * 1000))).toBeLessThan(1);
      expect(Math.abs(b.ptsMs! - (1000 + i * 1000))).toBeLessThan(1);
    });
  });

  it('without play times, plays an unpaced dump in real time from the first arrival', () => {
    const pcm = pcmWithBeeps(3, [
      [1, 1],
      [2, 2],
    ]);
    const chunks = chunked(pcm, () => 5000).map(({ playMs: _p, ...c }) => c);
    expect(detectBeeps(chunks).map((b) => Math.round(b.atMs))).toEqual([6000, 7000]);
  });

  it('finds nothing in a steady tone or in silence', () => {
    const tone = Buffer.alloc(RATE * 4 * 2);
    for (let i = 0; i < RATE * 2; i++) tone.writeInt16LE(Math.round(10000 * Math.sin((2 * Math.PI * 440 * i) / RATE)), i * 4);
    expect(detectBeeps(chunked(tone, (k) => k * 23))).toEqual([]);
    expect(detectBeeps(chunked(Buffer.alloc(RATE * 4), (k) => k * 23))).toEqual([]);
  });
});

describe('detectFlashes()', () => {
  it('finds rising edges and names the second from the frame number', () => {
    const frames = Array.from({ length: 100 }, (_, n) => ({ shownMs: 1000 + n * 33.3, luma: n % 30 < 2 ? 250 : 30, number: n }));
    const flashes = detectFlashes(frames, 30);
    expect(flashes.map((f) => f.id)).toEqual([0, 1, 2, 3]);
    expect(flashes[1]!.atMs).toBeCloseTo(1000 + 30 * 33.3, 6);
    expect(
      detectFlashes(
        frames.map((f) => ({ ...f, luma: 30 })),
        30,
      ),
    ).toEqual([]);
  });

  it('a flash whose strip did not read has no id', () => {
    const frames = [
      { shownMs: 0, luma: 30 },
      { shownMs: 33, luma: 250 },
      { shownMs: 66, luma: 30 },
      { shownMs: 99, luma: 30 },
    ];
    expect(detectFlashes(frames, 30)).toEqual([{ atMs: 33 }]);
  });
});

describe('pairMarkers()', () => {
  const at = (ms: number, id: number): Marker => ({ atMs: ms, id });

  it('reads a 2-second error as 2 s, not as 0 (flash k pairs with beep k)', () => {
    const flashes = [1, 2, 3, 4, 5].map((k) => at(1000 * k, k));
    const beeps = [1, 2, 3, 4, 5].map((k) => at(1000 * (k + 2), k)); // sound 2 s behind the picture
    const sync = pairMarkers(flashes, beeps);
    expect(sync.pairs).toBe(3 + 2); // beeps 1..5 all present: every flash has its own
    expect(sync.offsetMs).toBe(-2000);
    const late = pairMarkers(
      beeps.map((b) => ({ ...b })),
      flashes,
    ); // picture 2 s late
    expect(late.offsetMs).toBe(2000);
  });

  it('reports picture-late as positive and the spread of the offsets', () => {
    const sync = pairMarkers([at(1040, 1), at(2040, 2), at(3030, 3)], [at(1000, 1), at(2000, 2), at(3000, 3)]);
    expect(sync).toMatchObject({ pairs: 3, offsetMs: 40, maxAbsMs: 40, spreadMs: 10 });
  });

  it('pairs the nearest beep of the same second when seconds repeat (ids wrap every 20 s)', () => {
    const sync = pairMarkers([at(21_010, 21)], [at(1000, 1), at(21_000, 1)]);
    expect(sync.offsetMs).toBe(10);
  });

  it('says why there is no figure', () => {
    expect(pairMarkers([], []).reason).toMatch(/no flash and no beep/);
    expect(pairMarkers([at(1000, 1)], []).reason).toMatch(/no beep found/);
    const s = pairMarkers([{ atMs: 1000 }], [at(1000, 2)]);
    expect(s.offsetMs).toBeNaN();
    expect(s.unidentified).toBe(1);
    expect(s.reason).toMatch(/same second/);
  });
});

describe('audioClock()', () => {
  it('maps a pts to when the player plays it, inside or past the chunks', () => {
    const bytesPerMs = 176.4;
    const chunks = [
      { playMs: 100, ptsUs: 0, bytes: 4096 },
      { playMs: 150, ptsUs: 23_220, bytes: 4096 }, // an underrun delayed it
    ];
    const clock = audioClock(chunks, bytesPerMs);
    expect(clock(10)).toBeCloseTo(110, 6);
    expect(clock(30)).toBeCloseTo(150 + 30 - 23.22, 6);
    expect(audioClock([], bytesPerMs)(5)).toBeUndefined();
  });
});
