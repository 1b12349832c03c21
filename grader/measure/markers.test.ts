/**
 * The clip's markers read back through the same path as a server's stream: real ffmpeg makes a
 * clip with makeTestClip({ flashes }), its frames are JPEG-encoded at the tutorial's 400 px, its
 * sound decoded to PCM; the detectors must find every frame's number, every flash and beep with
 * its second, and a clip whose sound is 2 s behind its picture must read −2000 ms.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MARKER_STRIP, makeTestClip } from '../../src/media/clips.ts';
import { resolveFfmpeg } from '../../src/platform/tools.ts';
import { detectBeeps, detectFlashes, pairMarkers } from './avsync.ts';
import { frameFeatures, readStrip } from './markers.ts';

const dir = mkdtempSync(join(tmpdir(), 'avsock-markers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The clip's frames as JPEG q80 at width 400 (what the tutorial's server sends), and its PCM. */
function decode(file: string): { jpegs: Buffer[]; pcm: Buffer } {
  const ff = resolveFfmpeg().path;
  const v = spawnSync(ff, ['-v', 'error', '-i', file, '-vf', 'scale=400:-2', '-c:v', 'mjpeg', '-q:v', '4', '-f', 'image2pipe', 'pipe:1'], {
    maxBuffer: 256 << 20,
  });
  expect(v.status, v.stderr?.toString()).toBe(0);
  const jpegs: Buffer[] = [];
  let start = 0;
  for (let i = 2; i + 1 < v.stdout.length; i++) {
    if (v.stdout[i] === 0xff && v.stdout[i + 1] === 0xd8 && v.stdout[i - 2] === 0xff && v.stdout[i - 1] === 0xd9) {
      jpegs.push(v.stdout.subarray(start, i));
      start = i;
    }
  }
  jpegs.push(v.stdout.subarray(start));
  const a = spawnSync(ff, ['-v', 'error', '-i', file, '-f', 's16le', '-ar', '44100', '-ac', '2', 'pipe:1'], { maxBuffer: 256 << 20 });
  expect(a.status, a.stderr?.toString()).toBe(0);
  return { jpegs, pcm: a.stdout };
}

/** Plays the clip as a perfect player would: frame n at 5000 + n/fps s, sound from 5000 ms on. */
async function measure(file: string, fps: number): Promise<{ numbers: Array<number | undefined>; sync: ReturnType<typeof pairMarkers> }> {
  const { jpegs, pcm } = decode(file);
  const feats = await Promise.all(jpegs.map((j) => frameFeatures(j)));
  const flashes = detectFlashes(
    feats.map((f, n) => ({ shownMs: 5000 + (n * 1000) / fps, luma: f.luma, ...(f.number !== undefined ? { number: f.number } : {}) })),
    fps,
  );
  const chunks = [];
  for (let k = 0; k * 4096 < pcm.length; k++)
    chunks.push({ arrivalMs: 0, playMs: 5000 + (k * 1024 * 1000) / 44100, pcm: pcm.subarray(k * 4096, (k + 1) * 4096) });
  return { numbers: feats.map((f) => f.number), sync: pairMarkers(flashes, detectBeeps(chunks)) };
}

describe('the clip markers, read back', () => {
  it('every frame reads its own number; flash k and beep k pair at 0 ms', async () => {
    const file = await makeTestClip(join(dir, 'm.mp4'), { fps: '30', seconds: 4, flashes: true, width: 1280, height: 720 });
    const { numbers, sync } = await measure(file, 30);
    expect(numbers).toEqual(numbers.map((_, n) => n));
    expect(sync.pairs).toBe(3); // seconds 1, 2, 3 (second 0's beep has no silence before it)
    expect(Math.abs(sync.offsetMs)).toBeLessThan(3);
    expect(sync.unidentified).toBe(0);
  });

  it('a clip whose sound is 2 s behind its picture reads −2000 ms, not 0', async () => {
    const file = await makeTestClip(join(dir, 'late.mp4'), { fps: '30', seconds: 6, flashes: true, beepLateS: 2 });
    const { sync } = await measure(file, 30);
    expect(sync.pairs).toBeGreaterThanOrEqual(3);
    expect(Math.abs(sync.offsetMs + 2000)).toBeLessThan(3);
  });

  it('reads numbers at 23.976 fps and an odd size', async () => {
    const file = await makeTestClip(join(dir, 'ntsc.mp4'), { fps: '24000/1001', seconds: 3, flashes: true, width: 854, height: 480 });
    const { numbers, sync } = await measure(file, 24000 / 1001);
    expect(numbers).toEqual(numbers.map((_, n) => n));
    expect(sync.pairs).toBe(2);
    expect(Math.abs(sync.offsetMs)).toBeLessThan(25); // frames are 41.7 ms apart: the flash is the first frame at or after the second
  });
});

describe('readStrip()', () => {
  it('refuses a picture without a strip and a strip whose parity is wrong', () => {
    const grey = Buffer.alloc(160 * 96, 128);
    expect(readStrip(grey)).toBeUndefined();
    // Draw number 5 (bits 0 and 2) with the wrong parity cell (5 has two 1 bits: parity cell black; make it white).
    const img = Buffer.alloc(160 * 96, 0);
    const white = (cell: number): void => {
      for (let y = 88; y < 96; y++) for (let x = cell * 10; x < cell * 10 + 10; x++) img[y * 160 + x] = 255;
    };
    for (const c of MARKER_STRIP.whiteCells) white(c);
    white(MARKER_STRIP.firstBitCell + 0);
    white(MARKER_STRIP.firstBitCell + 2);
    expect(readStrip(img)).toBe(5);
    white(MARKER_STRIP.parityCell);
    expect(readStrip(img)).toBeUndefined();
  });
});
