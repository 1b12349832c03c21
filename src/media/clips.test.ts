import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg, resolveFfprobe } from '../platform/tools.ts';
import { DEMO_CLIP, DEMO_CLIP_PATH, MARKER_STRIP, beepHzOfSecond, ensureDemoClip, makeTestClip, makeVfrClip, vfrPtsExpression } from './clips.ts';
import { probeMedia } from './probe.ts';

/** Decodes the first `seconds` of a clip: video as 32x18 gray frames, audio as mono s16le. */
function decode(file: string, seconds: number): { frames: number[]; audio: Int16Array } {
  const ff = resolveFfmpeg().path;
  const v = spawnSync(
    ff,
    ['-v', 'error', '-i', file, '-t', String(seconds), '-map', '0:v:0', '-vf', 'scale=32:18', '-pix_fmt', 'gray', '-f', 'rawvideo', 'pipe:1'],
    {
      maxBuffer: 64 << 20,
    },
  );
  expect(v.status, v.stderr?.toString()).toBe(0);
  const frameBytes = 32 * 18;
  const frames: number[] = [];
  for (let o = 0; o + frameBytes <= v.stdout.length; o += frameBytes) {
    let sum = 0;
    for (let i = o; i < o + frameBytes; i++) sum += v.stdout[i]!;
    frames.push(sum / frameBytes);
  }
  const a = spawnSync(ff, ['-v', 'error', '-i', file, '-t', String(seconds), '-map', '0:a:0', '-ac', '1', '-ar', '44100', '-f', 's16le', 'pipe:1'], {
    maxBuffer: 64 << 20,
  });
  expect(a.status, a.stderr?.toString()).toBe(0);
  const audio = new Int16Array(a.stdout.buffer, a.stdout.byteOffset, a.stdout.length >> 1);
  return { frames, audio };
}

/** Cell levels of the frame-number strip of frame n (0 = black, 1 = white), read at 160 px wide. */
function decodeStrip(file: string, n: number): number[] {
  const ff = resolveFfmpeg().path;
  const rows = Math.round(1 / MARKER_STRIP.heightFraction);
  const v = spawnSync(ff, [
    '-v',
    'error',
    '-i',
    file,
    '-vf',
    `select=eq(n\\,${n}),crop=iw:ih/${rows}:0:ih-ih/${rows},scale=${MARKER_STRIP.cells}:1`,
    '-frames:v',
    '1',
    '-pix_fmt',
    'gray',
    '-f',
    'rawvideo',
    'pipe:1',
  ]);
  expect(v.status, v.stderr?.toString()).toBe(0);
  return [...v.stdout].map((x) => (x > 128 ? 1 : 0));
}

/** What the strip of frame n must show: white references, black reference, 12 bits, parity. */
function stripOf(n: number): number[] {
  const cells = new Array<number>(MARKER_STRIP.cells).fill(0);
  for (const c of MARKER_STRIP.whiteCells) cells[c] = 1;
  let ones = 0;
  for (let b = 0; b < MARKER_STRIP.bits; b++) {
    const bit = (n >> b) & 1;
    cells[MARKER_STRIP.firstBitCell + b] = bit;
    ones += bit;
  }
  cells[MARKER_STRIP.parityCell] = ones % 2;
  return cells;
}

function peak(audio: Int16Array, fromS: number, toS: number): number {
  let p = 0;
  for (let i = Math.round(fromS * 44100); i < Math.round(toS * 44100) && i < audio.length; i++) p = Math.max(p, Math.abs(audio[i]!));
  return p;
}

function firstLoud(audio: Int16Array, fromS: number, threshold = 3000): number {
  for (let i = Math.round(fromS * 44100); i < audio.length; i++) if (Math.abs(audio[i]!) > threshold) return i / 44100;
  return Number.NaN;
}

const dir = mkdtempSync(join(tmpdir(), 'avsock-clips-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ensureDemoClip', () => {
  it('makes the countdown once, shared by concurrent callers, in .cache/demo', async () => {
    const messages: string[] = [];
    const [a, b] = await Promise.all([ensureDemoClip({ onProgress: (m) => messages.push(m) }), ensureDemoClip()]);
    expect(a).toBe(DEMO_CLIP_PATH);
    expect(b).toBe(a);
    expect(a).toMatch(/[/\\]\.cache[/\\]demo[/\\]countdown-v2\.mp4$/);
    const mtime = statSync(a).mtimeMs;
    await ensureDemoClip();
    expect(statSync(a).mtimeMs).toBe(mtime); // reused, not made again
  });

  it('is 20 s of 1280x720 30 fps H.264 with 44.1 kHz stereo AAC', async () => {
    const info = await probeMedia(await ensureDemoClip());
    expect(info.video).toMatchObject({ width: 1280, height: 720, fps: { num: 30, den: 1 }, codec: 'h264' });
    expect(Math.abs(info.durationS - 20)).toBeLessThanOrEqual(0.1);
    expect(info.audio).toEqual({ sampleRate: 44100, channels: 2, codec: 'aac' });
    expect(DEMO_CLIP).toMatchObject({ fps: 30, seconds: 20, flashEverySecond: true, frameNumberStrip: true });
  });

  it('flashes white on frames 30 and 31 (t = 1.000 s) and beeps at 1.000 s, dark and silent at 1.5 s', async () => {
    const { frames, audio } = decode(await ensureDemoClip(), 3);
    // The flash is white above the frame-number strip (the bottom twelfth, mostly black).
    expect(frames[30]).toBeGreaterThan(200);
    expect(frames[31]).toBeGreaterThan(200);
    expect(frames[29]).toBeLessThan(120);
    expect(frames[32]).toBeLessThan(120);
    expect(frames[45]).toBeLessThan(120); // t = 1.5 s
    const onset = firstLoud(audio, 0.9);
    expect(Math.abs(onset - 1.0)).toBeLessThan(0.003);
    expect(peak(audio, 1.01, 1.07)).toBeGreaterThan(8000);
    expect(peak(audio, 1.45, 1.55)).toBeLessThan(300);
  });

  it('names each second by its beep frequency (second 1: 600 Hz, second 2: 700 Hz) and each frame by its strip', async () => {
    const { audio } = decode(await ensureDemoClip(), 3);
    for (const k of [1, 2]) {
      const onset = firstLoud(audio, k - 0.1);
      expect(Math.abs(onset - k)).toBeLessThan(0.003);
      expect(beepHzOfSecond(k)).toBe(500 + 100 * k);
      // Zero crossings over 50 ms of the beep: 2 per period.
      let crossings = 0;
      const from = Math.round((k + 0.01) * 44100);
      for (let i = from; i < from + 0.05 * 44100; i++) if (audio[i - 1]! < 0 !== audio[i]! < 0) crossings += 1;
      expect(Math.abs(crossings / 2 / 0.05 - beepHzOfSecond(k))).toBeLessThan(30);
    }
    const strip = decodeStrip(await ensureDemoClip(), 45);
    expect(strip).toEqual(stripOf(45));
  });
});

describe('makeTestClip', () => {
  it('makes a small 23.976 fps clip with the marker pattern', async () => {
    const file = await makeTestClip(join(dir, 'f.mp4'), { fps: '24000/1001', seconds: 2, flashes: true });
    const info = await probeMedia(file);
    expect(info.video).toMatchObject({ width: 320, height: 240, fps: { num: 24000, den: 1001 } });
    const { frames, audio } = decode(file, 2);
    expect(frames[24]).toBeGreaterThan(200); // first frame at or after 1.000 s is 24 (1.001 s); white above the strip
    expect(frames[12]).toBeLessThan(120);
    expect(Math.abs(firstLoud(audio, 0.9) - 1.0)).toBeLessThan(0.003);
  });

  it('makes video-only and audio-only clips', async () => {
    const v = await makeTestClip(join(dir, 'v.mkv'), { fps: '60', seconds: 1, audio: false });
    expect((await probeMedia(v)).hasAudio).toBe(false);
    const a = await makeTestClip(join(dir, 'a.m4a'), { fps: '30', seconds: 1, video: false });
    await expect(probeMedia(a)).rejects.toMatchObject({ code: 'E_NO_VIDEO' });
  });
});

describe('makeVfrClip', () => {
  it('builds one setpts branch per segment, each starting where the previous one ended', () => {
    expect(vfrPtsExpression([{ frames: 30, fps: 30 }])).toBe('0+(N-0)/30');
    expect(
      vfrPtsExpression([
        { frames: 30, fps: 30 },
        { frames: 30, fps: 10 },
      ]),
    ).toBe('if(lt(N,30),0+(N-0)/30,1+(N-30)/10)');
  });

  it('makes a clip whose frames keep their uneven times, with the installed ffmpeg (-fps_mode or -vsync)', async () => {
    const file = await makeVfrClip(join(dir, 'vfr.mp4'), {
      segments: [
        { frames: 30, fps: 30 },
        { frames: 30, fps: 10 },
      ],
    });
    const info = await probeMedia(file);
    expect(info.video?.variableFrameRate?.nominal).toBe('30/1');
    const p = spawnSync(resolveFfprobe().path, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file], {
      encoding: 'utf8',
    });
    expect(p.status, p.stderr).toBe(0);
    const times = p.stdout
      .trim()
      .split('\n')
      .map(Number)
      .sort((a, b) => a - b);
    expect(times).toHaveLength(60);
    expect(times[1]! - times[0]!).toBeCloseTo(1 / 30, 3);
    expect(times[59]! - times[58]!).toBeCloseTo(1 / 10, 3);
    expect(times[59]!).toBeCloseTo(1 + 29 / 10, 3);
  });
});
