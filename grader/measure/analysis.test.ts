import { describe, it, expect } from 'vitest';
import { analyzeAudio, analyzeVideo, timestampAvOffset, type FrameArrival } from './analysis.ts';

function paced(fps: number, seconds: number, opts: { rate?: number; noise?: (i: number) => number; pts?: boolean } = {}): FrameArrival[] {
  const rate = opts.rate ?? 1;
  const out: FrameArrival[] = [];
  for (let i = 0; i < fps * seconds; i++) {
    const ideal = 1000 + (i * 1000) / fps / rate;
    out.push({ arrivalMs: ideal + (opts.noise?.(i) ?? 0), ...(opts.pts ? { ptsUs: Math.round((i * 1e6) / fps) } : {}) });
  }
  return out;
}

describe('analyzeVideo()', () => {
  it('reads a perfectly paced 23.976 fps stream as exact, with no jitter, drift or freezes', () => {
    const fps = 24000 / 1001;
    const v = analyzeVideo(paced(fps, 8), { sourceFps: fps });
    expect(v.fps).toBeCloseTo(fps, 6);
    expect(Math.abs(v.fpsErrorPct)).toBeLessThan(1e-6);
    expect(v.jitterP99Ms).toBeLessThan(1e-6);
    expect(v.driftMaxMs).toBeLessThan(1e-6);
    expect(v.freezeCount).toBe(0);
    expect(v.perSecondFpsMin).toBeGreaterThanOrEqual(23);
    expect(v.perSecondFpsMax).toBeLessThanOrEqual(25);
  });

  it('catches a server that sends 2 % fast: fps error and drift grow with time', () => {
    const v = analyzeVideo(paced(30, 8, { rate: 1.02 }), { sourceFps: 30 });
    expect(v.fpsErrorPct).toBeCloseTo(2, 1);
    // 7 s of window at 2 % fast is ~137 ms ahead of the wall clock.
    expect(v.driftMaxMs).toBeGreaterThan(100);
    expect(v.driftEndMs).toBeLessThan(-100);
  });

  it('sees jitter: every 10th frame 8 ms late shows in p99, not in p50', () => {
    const v = analyzeVideo(paced(30, 8, { noise: (i) => (i % 10 === 0 ? 8 : 0) }), { sourceFps: 30 });
    expect(v.jitterP99Ms).toBeCloseTo(8, 0);
    expect(v.jitterP50Ms).toBeLessThan(0.01);
    expect(v.jitterMs).toBeGreaterThan(0.5);
    expect(Math.abs(v.fpsErrorPct)).toBeLessThan(0.2);
  });

  it('charges a steady sender at the wrong rate once, by fps and drift, not again as jitter', () => {
    const v = analyzeVideo(paced(30, 8, { rate: 0.8 }), { sourceFps: 30 });
    expect(v.fpsErrorPct).toBeCloseTo(-20, 1);
    expect(v.driftMaxMs).toBeGreaterThan(1000);
    expect(v.jitterP99Ms).toBeLessThan(1e-6);
    expect(v.jitterMs).toBeLessThan(1e-6);
  });

  it('still sees jitter in a sender at the wrong rate: 20 % slow with every 10th frame 8 ms late', () => {
    const v = analyzeVideo(paced(30, 8, { rate: 0.8, noise: (i) => (i % 10 === 0 ? 8 : 0) }), { sourceFps: 30 });
    expect(v.jitterP99Ms).toBeCloseTo(8, 0);
    expect(v.jitterP50Ms).toBeLessThan(0.05);
  });

  it('counts a 500 ms stall as a freeze (W3C)', () => {
    const frames = paced(30, 8).map((f) => ({ arrivalMs: f.arrivalMs + (f.arrivalMs > 5000 ? 500 : 0) }));
    const v = analyzeVideo(frames, { sourceFps: 30 });
    expect(v.freezeCount).toBe(1);
    expect(v.freezeTotalMs).toBeGreaterThan(500);
  });

  it('uses pts when every frame has one (framed wire), so a lost frame is not read as jitter', () => {
    const frames = paced(30, 8, { pts: true }).filter((_, i) => i !== 100);
    const v = analyzeVideo(frames, { sourceFps: 30 });
    expect(v.jitterP99Ms).toBeLessThan(0.01);
    expect(v.driftMaxMs).toBeLessThan(0.01);
  });

  it('returns NaN figures for a stream of two frames, never throws', () => {
    const v = analyzeVideo([{ arrivalMs: 1 }, { arrivalMs: 2 }], { sourceFps: 30 });
    expect(v.framesReceived).toBe(2);
    expect(v.fps).toBeNaN();
  });
});

describe('analyzeAudio()', () => {
  const chunk = 4096; // 1024 stereo s16 frames
  it('sees a paced server at rate 1.0', () => {
    const chunks = Array.from({ length: 8 * 43 }, (_, k) => ({ arrivalMs: 1000 + (k * chunk * 1000) / 176400, bytes: chunk }));
    const a = analyzeAudio(chunks, { endMs: chunks[chunks.length - 1]!.arrivalMs });
    expect(a.rate).toBeGreaterThan(0.97);
    expect(a.rate).toBeLessThan(1.03);
    expect(a.paced).toBe(true);
  });

  it('calls a server that dumps 20 s of sound at once unpaced', () => {
    const chunks = Array.from({ length: 20 * 43 }, (_, k) => ({ arrivalMs: 1000 + k * 0.01, bytes: chunk }));
    const a = analyzeAudio(chunks, { endMs: 9000 });
    expect(a.paced).toBe(false);
    expect(a.leadMaxMs).toBeGreaterThan(15_000);
    expect(a.audioSeconds).toBeCloseTo((20 * 43 * chunk) / 176400, 3);
  });

  it('reports nothing received as 0 s at rate 0, unpaced, the rest not measured', () => {
    const a = analyzeAudio([]);
    expect(a).toMatchObject({ audioSeconds: 0, rate: 0, paced: false });
    expect(a.audioDriftMs).toBeNaN();
    expect(a.audioUnderrunMs).toBeNaN();
  });

  const bps = 176_400;
  const pacedChunks = (fromMs: number, toMs: number, speed = 1): Array<{ arrivalMs: number; bytes: number }> => {
    const out = [];
    for (let k = 0; fromMs + (k * chunk * 1000) / bps / speed < toMs; k++) out.push({ arrivalMs: fromMs + (k * chunk * 1000) / bps / speed, bytes: chunk });
    return out;
  };
  const noHold = { maxAheadMs: 1000, aheadMaxMs: 30, underruns: 0, underrunMs: 0, heldBack: [] as Array<[number, number]> };

  it('a server held back by the real-time player the whole time is not paced, though its sound keeps up', () => {
    // What the tutorial's server.py looks like under the probe: sound at exactly real time, the player full.
    const a = analyzeAudio(pacedChunks(0, 9000), { fromMs: 1000, endMs: 9000, playout: { ...noHold, aheadMaxMs: 1000, heldBack: [[10, 8990]] } });
    expect(a.paced).toBe(false);
    expect(a.audioHeldBackPct).toBeGreaterThan(95);
    expect(a.rate).toBeCloseTo(1, 1);
    expect(a.audioUnderrunMs).toBe(0);
  });

  it('paced but 7 % slow: paced, with the rate, the drift and the underruns as separate figures', () => {
    const a = analyzeAudio(pacedChunks(0, 9000, 0.93), { fromMs: 1000, endMs: 9000, playout: noHold });
    expect(a.paced).toBe(true);
    expect(a.rate).toBeCloseTo(0.93, 2);
    expect(a.audioDriftMs).toBeCloseTo(-0.07 * 8000, -2);
    expect(a.audioUnderruns).toBeGreaterThan(300); // a click every chunk
    expect(a.audioUnderrunMs).toBeCloseTo(0.07 * 8000, -2);
  });

  it('sound that stops at 3 s of a 9 s window reads low, with the silence counted', () => {
    const a = analyzeAudio(pacedChunks(0, 3000), { fromMs: 1000, endMs: 9000, playout: noHold });
    expect(a.rate).toBeLessThan(0.5);
    expect(a.audioDriftMs).toBeLessThan(-5500);
    expect(a.audioUnderrunMs).toBeGreaterThan(5900);
  });
});

describe('timestampAvOffset()', () => {
  it('is video transit minus audio transit', () => {
    const v = [{ arrivalMs: 130, ptsUs: 100_000 }];
    const a = [{ arrivalMs: 100, ptsUs: 100_000 }];
    expect(timestampAvOffset(v, a)).toBeCloseTo(30, 6);
  });
});
