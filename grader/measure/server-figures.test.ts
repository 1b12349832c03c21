import { describe, expect, it } from 'vitest';
import { SERVER_FIGURE_NAMES, computeServerFigures } from './server-figures.ts';
import { emptyPlayout, type ProbeRecording } from './recording.ts';

const BPS = 176_400;

/** A recording: frames at `fps` from t = 1000 ms until `stopS` s, sound paced until then; window `seconds`. */
function recording(o: { fps?: number; stopS?: number; seconds?: number; sound?: boolean; heldBack?: boolean } = {}): ProbeRecording {
  const fps = o.fps ?? 30;
  const seconds = o.seconds ?? 8;
  const stopS = o.stopS ?? seconds;
  const first = 1000;
  const frames = [];
  for (let n = 0; n / fps < stopS; n++) frames.push({ arrivalMs: first + (n * 1000) / fps, bytes: 1000 });
  const audio = [];
  if (o.sound ?? true) {
    for (let k = 0; (k * 4096) / BPS < stopS; k++) {
      const t = first - 50 + (k * 4096 * 1000) / BPS;
      audio.push({ arrivalMs: t, playMs: t, bytes: 4096 });
    }
  }
  const end = first + seconds * 1000;
  return {
    wire: 'tutorial',
    connected: true,
    startedMs: 0,
    registeredMs: 800,
    firstFrameMs: first,
    plannedEndMs: end,
    endedMs: Math.min(end, first + stopS * 1000 + 5),
    aborted: stopS < seconds,
    frames,
    audio,
    playout: { ...emptyPlayout(1000), ...(o.heldBack ? { heldBack: [[first, end]] as Array<[number, number]>, heldBackMs: end - first } : {}) },
    datagrams: frames.length,
    datagramBytes: frames.length * 1000,
    garbageDatagrams: 0,
    audioBytes: audio.length * 4096,
    audioClosed: false,
    eos: false,
    truncated: [],
  };
}

describe('computeServerFigures()', () => {
  it('lists every figure it returns by name, and returns every listed figure', async () => {
    const f = await computeServerFigures(recording(), { sourceFps: 30 });
    for (const name of SERVER_FIGURE_NAMES) expect(f, name).toHaveProperty(name);
    expect(new Set(SERVER_FIGURE_NAMES).size).toBe(SERVER_FIGURE_NAMES.length);
  });

  it('a steady 8-s stream: alive the whole window, no stall, paced sound', async () => {
    const f = await computeServerFigures(recording(), { sourceFps: 30 });
    expect(f.windowSeconds).toBe(8);
    expect(f.startS).toBeCloseTo(0.2, 6);
    expect(f.aliveRatio).toBe(1);
    expect(f.longestStallMs).toBeLessThan(40);
    expect(f.freezeCount).toBe(0);
    expect(f.paced).toBe(true);
    expect(f.rate).toBeCloseTo(1, 2);
  });

  it('a server that dies after 3 s of an 8-s window is measured as dead for 5 s, not as 3 good seconds', async () => {
    const f = await computeServerFigures(recording({ stopS: 3 }), { sourceFps: 30 });
    expect(f.lastFrameS).toBeCloseTo(3, 1);
    expect(f.aliveS).toBeCloseTo(3, 1);
    expect(f.aliveRatio).toBeLessThan(0.4);
    expect(f.longestStallMs).toBeGreaterThan(4900);
    expect(f.freezeCount).toBe(1); // the frozen picture to the window's end
    expect(f.rate).toBeLessThan(0.6); // least-squares slope over the window: 1 for 2 s, then 0
    expect(f.audioUnderrunMs).toBeGreaterThan(4900);
  });

  it('too fast is a figure with its number: 178 fps for a 30-fps clip', async () => {
    const f = await computeServerFigures(recording({ fps: 178 }), { sourceFps: 30 });
    expect(f.fps).toBeCloseTo(178, 0);
    expect(f.fpsErrorPct).toBeCloseTo(493, 0);
  });

  it('nothing received: every figure that needs data is NaN or false with a reason, none passes by default', async () => {
    const rec = {
      ...recording({ sound: false }),
      frames: [],
      firstFrameMs: undefined,
      plannedEndMs: undefined,
      problem: 'no video datagram arrived within 8 s',
    } as ProbeRecording;
    const f = await computeServerFigures(rec, { sourceFps: 30 });
    expect(f.framesReceived).toBe(0);
    for (const k of ['fps', 'fpsErrorPct', 'jitterP99Ms', 'freezeCount', 'driftMaxMs', 'aliveS', 'longestStallMs', 'avOffsetMs'] as const) {
      expect(f[k], k).toBeNaN();
      expect(f.reasons[k], k).toBeTruthy();
    }
    expect(f.paced).toBe(false);
    expect(f.reasons.paced).toMatch(/no sound/);
  });

  it('sound held back by the player the whole window: not paced, though it keeps up', async () => {
    const f = await computeServerFigures(recording({ heldBack: true }), { sourceFps: 30 });
    expect(f.paced).toBe(false);
    expect(f.audioHeldBackPct).toBeGreaterThan(95);
    expect(f.rate).toBeCloseTo(1, 2);
  });

  it('the tutorial wire without frame numbers says loss cannot be counted', async () => {
    const f = await computeServerFigures(recording(), { sourceFps: 30 });
    expect(f.framesMissing).toBeNaN();
    expect(f.reasons.framesMissing).toMatch(/cannot be counted/);
    expect(f.datagramsLost).toBeNaN();
  });
});
