import { describe, it, expect } from 'vitest';
import sharp from 'sharp';
import { detectBeeps, detectBeepSamples, detectFlashes, jpegLuma, pairMarkers, type PcmArrival } from './avsync.ts';

const RATE = 44100;

/** Stereo s16le: silence with a 1 kHz beep of 100 ms at each beep start (seconds). */
function pcmWithBeeps(seconds: number, beepStarts: number[], amplitude = 12000): Buffer {
  const frames = Math.round(seconds * RATE);
  const buf = Buffer.alloc(frames * 4);
  for (const start of beepStarts) {
    const s0 = Math.round(start * RATE);
    for (let i = s0; i < Math.min(frames, s0 + 0.1 * RATE); i++) {
      const v = Math.round(amplitude * Math.sin((2 * Math.PI * 1000 * (i - s0)) / RATE));
      buf.writeInt16LE(v, i * 4);
      buf.writeInt16LE(v, i * 4 + 2);
    }
  }
  return buf;
}

function chunked(pcm: Buffer, arrival: (k: number) => number, withPts = false): PcmArrival[] {
  const out: PcmArrival[] = [];
  for (let k = 0; k * 4096 < pcm.length; k++) {
    out.push({ arrivalMs: arrival(k), pcm: pcm.subarray(k * 4096, (k + 1) * 4096), ...(withPts ? { ptsUs: Math.round((k * 1024 * 1e6) / RATE) } : {}) });
  }
  return out;
}

describe('detectBeepSamples()', () => {
  it('finds 1 kHz onsets within 2 ms and ignores silence', () => {
    const pcm = pcmWithBeeps(4, [0.5, 1.5, 2.5, 3.5]);
    const mono = new Float32Array(pcm.length / 4);
    for (let i = 0; i < mono.length; i++) mono[i] = pcm.readInt16LE(i * 4);
    const onsets = detectBeepSamples(mono);
    expect(onsets).toHaveLength(4);
    onsets.forEach((s, i) => expect(Math.abs(s / RATE - (0.5 + i)) * 1000).toBeLessThan(2));
  });

  it('finds nothing in a 440 Hz tone', () => {
    const mono = new Float32Array(RATE * 2).map((_, i) => 10000 * Math.sin((2 * Math.PI * 440 * i) / RATE));
    expect(detectBeepSamples(mono)).toEqual([]);
  });
});

describe('detectBeeps() player model', () => {
  it('hears a paced stream at arrival time + offset in chunk', () => {
    const chunks = chunked(pcmWithBeeps(3, [1.0, 2.0]), (k) => 5000 + (k * 1024 * 1000) / RATE, true);
    const beeps = detectBeeps(chunks);
    expect(beeps).toHaveLength(2);
    expect(beeps[0]!.atMs).toBeCloseTo(6000, -0.5);
    expect(beeps[0]!.ptsMs).toBeCloseTo(1000, -0.5);
  });

  it('plays an unpaced dump in real time from the first arrival', () => {
    const chunks = chunked(pcmWithBeeps(3, [1.0, 2.0]), () => 5000);
    const beeps = detectBeeps(chunks);
    expect(beeps.map((b) => Math.round(b.atMs / 10) * 10)).toEqual([6000, 7000]);
  });
});

describe('flashes and pairing', () => {
  it('measures luma of real JPEGs and finds rising edges', async () => {
    const grey = await sharp({ create: { width: 64, height: 36, channels: 3, background: { r: 60, g: 60, b: 60 } } }).jpeg().toBuffer();
    const white = await sharp({ create: { width: 64, height: 36, channels: 3, background: { r: 255, g: 255, b: 255 } } }).jpeg().toBuffer();
    expect(await jpegLuma(grey)).toBeLessThan(80);
    expect(await jpegLuma(white)).toBeGreaterThan(240);
    const lumas = [60, 60, 250, 250, 60, 60, 60, 250, 60];
    const frames = lumas.map((_, i) => ({ arrivalMs: i * 100, ptsUs: i * 100_000 }));
    const flashes = detectFlashes(frames, lumas);
    expect(flashes.map((f) => f.atMs)).toEqual([200, 700]);
    expect(detectFlashes(frames, lumas.map(() => 60))).toEqual([]);
  });

  it('pairs each flash with the nearest beep and reports picture-late as positive', () => {
    const flashes = [{ atMs: 1040 }, { atMs: 2040 }, { atMs: 3030 }];
    const beeps = [{ atMs: 1000 }, { atMs: 2000 }, { atMs: 3000 }];
    const sync = pairMarkers(flashes, beeps, 'arrival');
    expect(sync.pairs).toBe(3);
    expect(sync.offsetMs).toBe(40);
    expect(sync.maxAbsMs).toBe(40);
    expect(pairMarkers(flashes, [], 'arrival').offsetMs).toBeNaN();
  });
});
