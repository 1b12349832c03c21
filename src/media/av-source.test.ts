import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listChildren, stopAllChildren } from '../process/children.ts';
import { openAvSources, decoderThreads } from './av-source.ts';
import { makeTestClip } from './clips.ts';
import { openJpegFrames } from './frames.ts';
import { openPcm } from './pcm.ts';
import type { FrameSource, PcmSource } from './types.ts';

let dir: string;
let clip: string; // 2 s, 25 fps, 320x240, audio
let silent: string; // 1 s, no audio

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'avsock-av-'));
  clip = join(dir, 'c.mp4');
  silent = join(dir, 's.mp4');
  await Promise.all([makeTestClip(clip, { fps: '25', seconds: 2 }), makeTestClip(silent, { fps: '25', seconds: 1, audio: false })]);
});

afterAll(async () => {
  await stopAllChildren();
  rmSync(dir, { recursive: true, force: true });
});

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const fps = { num: 25, den: 1 };

describe('openAvSources (one ffmpeg, two outputs)', () => {
  it('gives the same JPEGs and the same PCM as two separate ffmpeg processes', async () => {
    const av = openAvSources({ file: clip, fps, width: 160, quality: 80, audio: { sampleRate: 44100, channels: 2, chunkFrames: 1024 } });
    expect(listChildren().filter((c) => c.name === 'ffmpeg (video + audio)' && c.pid === av.child?.pid)).toHaveLength(1);
    const [frames, pcm] = await Promise.all([all(av.frames), all(av.pcm!)]);
    const sepFrames = openJpegFrames({ file: clip, fps, width: 160, quality: 80 });
    const sepPcm = openPcm({ file: clip, sampleRate: 44100, channels: 2, chunkFrames: 1024 });
    const [f2, p2] = await Promise.all([all(sepFrames), all(sepPcm)]);
    expect(frames.length).toBe(50);
    expect(frames.map((f) => f.ptsUs)).toEqual(f2.map((f) => f.ptsUs));
    expect(Buffer.concat(frames.map((f) => f.jpeg)).equals(Buffer.concat(f2.map((f) => f.jpeg)))).toBe(true);
    expect(Buffer.concat(pcm.map((c) => c.pcm)).equals(Buffer.concat(p2.map((c) => c.pcm)))).toBe(true);
    expect(av.frames.height).toBe(120);
    await av.frames.close();
    await av.pcm!.close();
  });

  it('on Windows (no fd 3 for the child) opens one ffmpeg per output, with the same frames and PCM', async () => {
    const av = openAvSources({ file: clip, fps, width: 160, quality: 80, audio: { sampleRate: 44100, channels: 2, chunkFrames: 1024 } }, 'win32');
    expect(av.child).toBeUndefined();
    const [frames, pcm] = await Promise.all([all(av.frames), all(av.pcm!)]);
    expect(frames.length).toBe(50);
    // The 2 s clip's sound, 44.1 kHz stereo s16: 352 800 bytes (the last chunk may be padded).
    expect(Buffer.concat(pcm.map((c) => c.pcm)).length).toBeGreaterThanOrEqual(352_800);
  });

  it('streams video only when asked for no audio (a file without sound)', async () => {
    const av = openAvSources({ file: silent, fps, width: 160, sourceWidth: 320, sourceHeight: 240 });
    expect(av.pcm).toBeUndefined();
    expect((await all(av.frames)).length).toBe(25);
  });

  it('close() of either source stops the one process, and both iterations end', async () => {
    const av = openAvSources({ file: clip, fps, width: 160, audio: {} });
    const frames: FrameSource = av.frames;
    const pcm: PcmSource = av.pcm!;
    const it = frames[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    await frames.close();
    await pcm.close();
    const exit = await av.child!.exited;
    expect(exit.code === 0 || exit.signal !== null || exit.code === 255).toBe(true);
  });

  it('fails both sources with the exit error when ffmpeg cannot open the file', async () => {
    const av = openAvSources({ file: join(dir, 'missing.mp4'), fps, audio: {} });
    await expect(all(av.frames)).rejects.toThrow(/missing\.mp4|No such file/);
    await expect(all(av.pcm!)).rejects.toThrow(/missing\.mp4|No such file/);
  });

  it("sizes decoder threads: one up to 1080p60, ffmpeg's choice above", () => {
    expect(decoderThreads(1280, 720, 30)).toBe(1);
    expect(decoderThreads(1920, 1080, 60)).toBe(1);
    expect(decoderThreads(3840, 2160, 30)).toBe(0);
  });
});
