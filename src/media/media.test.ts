import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EnvironmentError } from '../errors.ts';
import { listChildren, stopAllChildren } from '../process/children.ts';
import { childProcesses } from '../platform/processes.ts';
import { makeTestClip, makeVfrClip } from './clips.ts';
import { mjpegQscale, openJpegFrames, scaledHeight } from './frames.ts';
import { openPcm } from './pcm.ts';
import { probeMedia } from './probe.ts';
import { framePtsUs } from './rational.ts';

let dir: string;
let clip24: string; // 2 s, 24000/1001, 320x240, audio
let clip30long: string; // 10 s, 30 fps, 160x120, no audio
let audioOnly: string;

function ffmpegAlive(): number[] {
  return listChildren()
    .filter((c) => c.name.startsWith('ffmpeg'))
    .map((c) => c.pid!)
    .filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'avsock-media-'));
  clip24 = join(dir, 'c24.mp4');
  clip30long = join(dir, 'c30.mp4');
  audioOnly = join(dir, 'a.m4a');
  await Promise.all([
    makeTestClip(clip24, { fps: '24000/1001', seconds: 2 }),
    makeTestClip(clip30long, { fps: '30', seconds: 10, width: 160, height: 120, audio: false }),
    makeTestClip(audioOnly, { fps: '30', seconds: 1, video: false }),
  ]);
});

afterAll(async () => {
  await stopAllChildren();
  rmSync(dir, { recursive: true, force: true });
});

describe('probeMedia', () => {
  it('gives the exact frame rate fraction, duration, size and audio', async () => {
    const info = await probeMedia(clip24);
    expect(info.video?.fps).toEqual({ num: 24000, den: 1001 });
    expect(info.video).toMatchObject({ width: 320, height: 240, codec: 'h264' });
    expect(info.durationS).toBeGreaterThan(1.95);
    expect(info.durationS).toBeLessThan(2.1);
    expect(info.hasAudio).toBe(true);
    expect(info.audio).toEqual({ sampleRate: 44100, channels: 2, codec: 'aac' });
  });

  it('says when there is no audio', async () => {
    const info = await probeMedia(clip30long);
    expect(info.video?.fps).toEqual({ num: 30, den: 1 });
    expect(info.hasAudio).toBe(false);
  });

  it('a missing file is E_FILE_MISSING with the fix', async () => {
    const missing = join(dir, 'nope.mp4');
    await expect(probeMedia(missing)).rejects.toMatchObject({
      code: 'E_FILE_MISSING',
      message: `no such file: ${missing}; pass --file PATH or omit it for the demo clip`,
    });
  });

  it('a directory is E_FILE_NOT_MEDIA', async () => {
    const sub = join(dir, 'sub');
    mkdirSync(sub, { recursive: true });
    await expect(probeMedia(sub)).rejects.toMatchObject({ code: 'E_FILE_NOT_MEDIA', message: expect.stringContaining('is a directory') });
  });

  it("a file that is not media is E_FILE_NOT_MEDIA with ffprobe's reason on one line", async () => {
    const text = join(dir, 'notes.mp4');
    writeFileSync(text, 'this is not a video\n'.repeat(50));
    const error = (await probeMedia(text).catch((e: unknown) => e)) as EnvironmentError;
    expect(error).toBeInstanceOf(EnvironmentError);
    expect(error.code).toBe('E_FILE_NOT_MEDIA');
    expect(error.message).toMatch(new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a video ffprobe can read \\(.+\\); pass --file PATH`));
    expect(error.message).not.toContain('\n');
  });

  it('an audio-only file is E_NO_VIDEO', async () => {
    await expect(probeMedia(audioOnly)).rejects.toMatchObject({ code: 'E_NO_VIDEO' });
  });
});

describe('openJpegFrames', () => {
  it('yields every frame as a whole JPEG with exact constant-rate pts', async () => {
    const info = await probeMedia(clip24);
    const src = openJpegFrames({ file: clip24, fps: info.video!.fps, width: 160, sourceWidth: 320, sourceHeight: 240 });
    expect(src.width).toBe(160);
    expect(src.height).toBe(120);
    const frames = [];
    try {
      for await (const f of src) frames.push(f);
    } finally {
      await src.close();
    }
    expect(frames.length).toBeGreaterThanOrEqual(47);
    expect(frames.length).toBeLessThanOrEqual(49);
    frames.forEach((f, i) => {
      expect(f.index).toBe(i);
      expect(f.ptsUs).toBe(Math.round((i * 1001 * 1e6) / 24000));
      expect(f.jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
      expect(f.jpeg.subarray(-2).toString('hex')).toBe('ffd9');
    });
    expect(frames[24]!.ptsUs).toBe(1_001_000);
  });

  it('re-times to the requested rate (a 23.976 fps file at 12 fps gives half the frames, spaced exactly)', async () => {
    const src = openJpegFrames({ file: clip24, fps: { num: 12, den: 1 }, width: 64 });
    let n = 0;
    let last = -1;
    try {
      for await (const f of src) {
        expect(f.ptsUs).toBe(framePtsUs(f.index, { num: 12, den: 1 }));
        last = f.ptsUs;
        n++;
      }
    } finally {
      await src.close();
    }
    expect(n).toBeGreaterThanOrEqual(23);
    expect(n).toBeLessThanOrEqual(25);
    expect(last % 83_333).toBeLessThan(n); // multiples of 1/12 s, rounded to µs
  });

  it('turns a variable-frame-rate file into constant-rate frames at the probed rate', async () => {
    const vfr = join(dir, 'vfr.mkv');
    // 1 s at 30 fps, then 30 frames at 15 fps: 3 s in all, timestamps not evenly spaced.
    await makeVfrClip(vfr, {
      segments: [
        { frames: 30, fps: 30 },
        { frames: 30, fps: 15 },
      ],
      width: 160,
      height: 120,
      audio: false,
    });
    const info = await probeMedia(vfr);
    const fps = info.video!.fps;
    const src = openJpegFrames({ file: vfr, fps, width: 64 });
    let n = 0;
    try {
      for await (const f of src) {
        expect(f.ptsUs).toBe(framePtsUs(n, fps));
        n++;
      }
    } finally {
      await src.close();
    }
    expect(Math.abs(n - 3 * (fps.num / fps.den))).toBeLessThanOrEqual(2);
  });

  it('does not decode ahead of the consumer: ffmpeg waits while the queue is full', async () => {
    const src = openJpegFrames({ file: clip30long, fps: { num: 30, den: 1 }, width: 64, queueSize: 3 });
    const it = src[Symbol.asyncIterator]();
    try {
      const first = await it.next();
      expect(first.done).toBe(false);
      // Unpaused, ffmpeg would finish these 300 tiny frames in well under a second.
      await new Promise((r) => setTimeout(r, 1500));
      expect(ffmpegAlive().length).toBeGreaterThan(0);
      let n = 1;
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        n++;
      }
      expect(n).toBe(300);
    } finally {
      await src.close();
    }
  });

  it('close() kills ffmpeg and ends the iteration', async () => {
    const src = openJpegFrames({ file: clip30long, fps: { num: 30, den: 1 }, width: 64 });
    const it = src[Symbol.asyncIterator]();
    await it.next();
    const pids = ffmpegAlive();
    expect(pids.length).toBeGreaterThan(0);
    await src.close();
    expect((await it.next()).done).toBe(true);
    await vi.waitFor(() => expect(ffmpegAlive()).toEqual([]));
  });

  it('breaking out of for-await stops ffmpeg too', async () => {
    const src = openJpegFrames({ file: clip30long, fps: { num: 30, den: 1 }, width: 64 });
    for await (const f of src) if (f.index === 5) break;
    await vi.waitFor(() => expect(ffmpegAlive()).toEqual([]));
  });

  it('maps JPEG quality to mjpeg -q:v like libjpeg scales its tables', () => {
    expect(mjpegQscale(100)).toBe(2);
    expect(mjpegQscale(90)).toBe(2);
    expect(mjpegQscale(80)).toBe(4);
    expect(mjpegQscale(50)).toBe(10);
    expect(mjpegQscale(1)).toBe(31);
    expect(() => mjpegQscale(0)).toThrow(RangeError);
  });

  it('computes the height as scale=W:-2 does', () => {
    expect(scaledHeight(400, 1280, 720)).toBe(226);
    expect(scaledHeight(400, 1920, 1080)).toBe(226);
    expect(scaledHeight(160, 320, 240)).toBe(120);
  });
});

describe('openPcm', () => {
  it('gives 1024-frame s16le stereo chunks with pts, the last one maybe short', async () => {
    const src = openPcm({ file: clip24 });
    const chunks = [];
    try {
      for await (const c of src) chunks.push(c);
    } finally {
      await src.close();
    }
    const total = chunks.reduce((s, c) => s + c.pcm.length, 0);
    expect(total / 4 / 44100).toBeGreaterThan(1.99);
    expect(total / 4 / 44100).toBeLessThan(2.1);
    chunks.forEach((c, k) => {
      expect(c.index).toBe(k);
      expect(c.ptsUs).toBe(Math.round((k * 1024 * 1e6) / 44100));
      if (k < chunks.length - 1) expect(c.pcm.length).toBe(4096);
    });
    expect(chunks.at(-1)!.pcm.length % 4).toBe(0);
    // It is a 440 Hz tone: not silence.
    const mid = chunks[40]!.pcm;
    let peak = 0;
    for (let i = 0; i < mid.length; i += 2) peak = Math.max(peak, Math.abs(mid.readInt16LE(i)));
    expect(peak).toBeGreaterThan(1000);
  });

  it('a file without audio is a clear E_NO_AUDIO', async () => {
    const src = openPcm({ file: clip30long });
    try {
      const error = await (async () => {
        for await (const _ of src) {
          /* nothing */
        }
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EnvironmentError);
      expect((error as EnvironmentError).code).toBe('E_NO_AUDIO');
      expect((error as Error).message).toContain(clip30long);
    } finally {
      await src.close();
    }
  });
});

describe('ffmpeg processes', () => {
  it('none is left running after the tests above', async () => {
    await vi.waitFor(() => expect(ffmpegAlive()).toEqual([]));
    // And the OS agrees: no ffmpeg child of this process (one the registry lost would show here).
    expect(await childProcesses(process.pid, 'ffmpeg')).toEqual([]);
  });
});
