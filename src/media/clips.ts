/**
 * Generated clips: the demo countdown (like the tutorial's count.mp4, but made here, not downloaded)
 * and small synthetic clips for tests and benchmarks.
 *
 * The demo carries markers the grader reads from outside, each naming where in the clip it is:
 * - at the start of every second k, a full-frame white flash (2 frames) and a beep (80 ms) whose
 *   frequency names the second (500 + 100 × (k mod 20) Hz), both exactly on the second;
 * - in every frame, a strip along the bottom edge that spells the frame's number in binary
 *   (MARKER_STRIP), so a flash says which second it opens and any lost, repeated or reordered
 *   frame can be counted even on a wire without sequence numbers.
 * Pairing flash k with beep k (not with the nearest beep) makes a 2-second A/V error read 2 s.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChildExitError } from '../process/children.ts';
import { runFfmpeg, type FfmpegInput } from './ffmpeg.ts';
import { ffmpegFeatures, frameTimingOptions } from './ffmpeg-features.ts';
import { parseRational } from './rational.ts';
import type { Rational } from './types.ts';

/**
 * The frame-number strip: the bottom `heightFraction` of the picture, cut into `cells` equal
 * cells. Cells 0 and 15 are always white and cell 1 always black (references for the threshold,
 * so any brightness or JPEG quality reads the same); cells 2..13 hold bits 0..11 of the frame number
 * (white = 1); cell 14 is white when the number of 1 bits is odd (a parity check).
 */
export const MARKER_STRIP = Object.freeze({
  cells: 16,
  heightFraction: 1 / 12,
  whiteCells: Object.freeze([0, 15]),
  blackCell: 1,
  firstBitCell: 2,
  bits: 12,
  parityCell: 14,
});

/** Beep frequencies: second k beeps at baseHz + stepHz × (k mod count). */
export const BEEP_TONES = Object.freeze({ baseHz: 500, stepHz: 100, count: 20 });

/** The beep frequency of second k, Hz. */
export function beepHzOfSecond(k: number): number {
  return BEEP_TONES.baseHz + BEEP_TONES.stepHz * (((k % BEEP_TONES.count) + BEEP_TONES.count) % BEEP_TONES.count);
}

/** The demo clip's facts, for the grader's marker detection. */
export const DEMO_CLIP = Object.freeze({
  version: 2,
  fps: 30,
  fpsRational: Object.freeze({ num: 30, den: 1 }),
  seconds: 20,
  width: 1280,
  height: 720,
  sampleRate: 44100,
  channels: 2,
  /** Frames n with n mod 30 < flashFrames are full white (flash starts exactly at each whole second). */
  flashEverySecond: true,
  flashFrames: 2,
  /** A sine at beepHzOfSecond(k) for beepMs starting exactly at second k (sample-exact), silence otherwise. */
  beepMs: 80,
  beepAmplitude: 0.5,
  /** Every frame carries its number in MARKER_STRIP. */
  frameNumberStrip: true,
  /** Second k (0-based) shows the number seconds − k: 20 … 1. */
  countdownFrom: 20,
});

/** Repo root: two levels above src/media. */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the demo clip lives (git-ignored .cache/ at the repo root). */
export const DEMO_CLIP_PATH = join(REPO_ROOT, '.cache', 'demo', `countdown-v${DEMO_CLIP.version}.mp4`);

const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/TTF/DejaVuSans-Bold.ttf',
  '/Library/Fonts/Arial Bold.ttf',
  '/System/Library/Fonts/Supplemental/Arial Bold.ttf',
  'C:\\Windows\\Fonts\\arialbd.ttf',
];

/** Escapes a value for a filter option inside single quotes (ffmpeg filtergraph quoting). */
function quoteFilterValue(v: string): string {
  // Windows paths: the drive colon and backslashes must be escaped for the option parser.
  return `'${v.replace(/\\/g, '/').replace(/:/g, '\\:').replace(/'/g, "'\\''")}'`;
}

/**
 * The beep as an aevalsrc expression: sample-exact on each whole second, at second k's frequency
 * (beepHzOfSecond). Every frequency is a whole number of Hz, so each beep starts at phase 0.
 */
function beepExpr(ms: number, amplitude: number, lateS = 0): string {
  // lateS (tests only): every beep lateS seconds after its second, i.e. sound behind the picture.
  const t = lateS ? `(t-${lateS})` : 't';
  const hz = `(${BEEP_TONES.baseHz}+${BEEP_TONES.stepHz}*mod(floor(${t})\\,${BEEP_TONES.count}))`;
  const on = `${lateS ? `gte(${t}\\,0)*` : ''}lt(mod(${t}\\,1)\\,${ms / 1000})`;
  return `if(${on}\\,${amplitude}*sin(2*PI*${hz}*${t})\\,0)`;
}

function beepInput(seconds: number, lateS = 0): FfmpegInput {
  const e = beepExpr(DEMO_CLIP.beepMs, DEMO_CLIP.beepAmplitude, lateS);
  return { source: `aevalsrc=exprs=${e}|${e}:s=44100:c=stereo:d=${seconds}`, options: ['-f', 'lavfi'] };
}

/** ffmpeg drawbox filters that draw MARKER_STRIP with frame number n (the filter's own `n`). */
export function frameNumberStripFilters(): string[] {
  const { cells, heightFraction, whiteCells, firstBitCell, bits, parityCell } = MARKER_STRIP;
  const rows = Math.round(1 / heightFraction);
  const cell = (i: number, color: string, enable?: string): string =>
    `drawbox=x=${i}*iw/${cells}:y=ih-ih/${rows}:w=iw/${cells}:h=ih/${rows}:color=${color}:t=fill${enable ? `:enable='${enable}'` : ''}`;
  const bit = (b: number): string => `mod(floor(n/${2 ** b})\\,2)`;
  const parity = `eq(mod(${Array.from({ length: bits }, (_, b) => bit(b)).join('+')}\\,2)\\,1)`;
  return [
    `drawbox=x=0:y=ih-ih/${rows}:w=iw:h=ih/${rows}:color=black:t=fill`,
    ...whiteCells.map((i) => cell(i, 'white')),
    ...Array.from({ length: bits }, (_, b) => cell(firstBitCell + b, 'white', `eq(${bit(b)}\\,1)`)),
    cell(parityCell, 'white', parity),
  ];
}

/** The flash: frames whose time is in [k, k + flashFrames/fps) for every whole second k, by frame number. */
function flashFilter(fps: Rational, flashFrames: number): string {
  // Frame n starts at n·den/num s; it is in second k's flash when n·den mod num < flashFrames·den
  // (for 30 fps: n mod 30 < 2; for 24000/1001: the first 2 frames at or after each whole second).
  const enable = `lt(mod(n*${fps.den}\\,${fps.num})\\,${flashFrames * fps.den})`;
  return `drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='${enable}'`;
}

const AUDIO_OUT = ['-c:a', 'aac', '-b:a', '128k', '-ar', '44100', '-ac', '2'];

type TextMode = { kind: 'font'; fontfile: string } | { kind: 'fontconfig' } | { kind: 'none' };

function demoVideoFilter(text: TextMode): string {
  const { fps, countdownFrom, flashFrames } = DEMO_CLIP;
  const filters: string[] = [];
  if (text.kind !== 'none') {
    const font = text.kind === 'font' ? `fontfile=${quoteFilterValue(text.fontfile)}:` : '';
    // %{eif:…} prints 20 − floor(t) as an integer: 20 during second 0 … 1 during second 19.
    filters.push(`drawtext=${font}text='%{eif\\:${countdownFrom}-floor(t)\\:d}':fontsize=400:fontcolor=white:` + `x=(w-text_w)/2:y=(h-text_h)/2`);
  }
  // The flash: frame number n, not t, so it is exactly frames 0..flashFrames−1 of every second.
  filters.push(flashFilter({ num: fps, den: 1 }, flashFrames), ...frameNumberStripFilters());
  filters.push('format=yuv420p');
  return filters.join(',');
}

async function generateDemo(tmp: string, onProgress: (msg: string) => void): Promise<void> {
  const { fps, seconds, width, height } = DEMO_CLIP;
  const font = FONT_CANDIDATES.find((f) => existsSync(f));
  const modes: TextMode[] = [...(font ? [{ kind: 'font', fontfile: font } as const] : []), { kind: 'fontconfig' }, { kind: 'none' }];
  let lastError: unknown;
  for (const mode of modes) {
    try {
      await runFfmpeg({
        name: 'ffmpeg (demo clip)',
        inputs: [{ source: `color=c=black:s=${width}x${height}:r=${fps}:d=${seconds}`, options: ['-f', 'lavfi'] }, beepInput(seconds)],
        outputOptions: [
          '-map',
          '0:v:0',
          '-map',
          '1:a:0',
          '-vf',
          demoVideoFilter(mode),
          '-c:v',
          'libx264',
          '-preset',
          'veryfast',
          '-crf',
          '20',
          '-pix_fmt',
          'yuv420p',
          '-r',
          String(fps),
          '-g',
          String(fps),
          ...AUDIO_OUT,
          '-t',
          String(seconds),
          '-movflags',
          '+faststart',
          '-f',
          'mp4',
          '-y',
        ],
        output: tmp,
      });
      if (mode.kind === 'none') onProgress('demo clip: drawtext unavailable in this ffmpeg, made it without the numbers');
      return;
    } catch (error) {
      lastError = error;
      const text = error instanceof ChildExitError ? error.stderrTail : String(error);
      // Only text problems are worth a retry without the text.
      if (mode.kind !== 'none' && /drawtext|font|freetype|fontconfig|No such filter/i.test(text)) continue;
      throw error;
    }
  }
  throw lastError;
}

let demoInFlight: Promise<string> | undefined;

/**
 * Path to the 20 s countdown clip in `.cache/demo/`, generating it on first use (a few seconds).
 * Written to a temporary name and renamed, so a half-written clip is never used; concurrent callers
 * in this process share one generation, and across processes the atomic rename makes it safe.
 */
export function ensureDemoClip(opts: { onProgress?: (msg: string) => void } = {}): Promise<string> {
  const onProgress = opts.onProgress ?? (() => {});
  if (existsSync(DEMO_CLIP_PATH) && statSync(DEMO_CLIP_PATH).size > 0) return Promise.resolve(DEMO_CLIP_PATH);
  demoInFlight ??= (async () => {
    await mkdir(dirname(DEMO_CLIP_PATH), { recursive: true });
    const tmp = `${DEMO_CLIP_PATH}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    onProgress(`making the demo clip (20 s countdown, once) → ${DEMO_CLIP_PATH}`);
    const t0 = performance.now();
    try {
      await generateDemo(tmp, onProgress);
      await rename(tmp, DEMO_CLIP_PATH);
    } finally {
      await rm(tmp, { force: true });
    }
    onProgress(`demo clip ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return DEMO_CLIP_PATH;
  })().finally(() => {
    demoInFlight = undefined;
  });
  return demoInFlight;
}

export interface TestClipOptions {
  /** Exact frame rate, e.g. '24000/1001', '30', '60'. */
  readonly fps: string;
  readonly seconds: number;
  /** Default 320. */
  readonly width?: number;
  /** Default 240. */
  readonly height?: number;
  /** AAC 44.1 kHz stereo. Default true. */
  readonly audio?: boolean;
  /** Default true. */
  readonly video?: boolean;
  /**
   * The demo clip's markers (flash + numbered-second beep at each whole second, frame-number strip)
   * on black instead of testsrc2 + a steady tone.
   */
  readonly flashes?: boolean;
  /** With `flashes`: every beep this many seconds after its flash (a clip with sound behind picture). */
  readonly beepLateS?: number;
}

/**
 * A synthetic clip for tests and benchmarks (ultrafast preset, small by default). The container is
 * chosen from the file extension (.mp4, .mkv, …). Returns `path`.
 */
export async function makeTestClip(path: string, opts: TestClipOptions): Promise<string> {
  const fps = parseRational(opts.fps);
  if (!fps) throw new RangeError(`makeTestClip: fps must be like '30' or '24000/1001', got '${opts.fps}'`);
  const rate = fps.den === 1 ? String(fps.num) : `${fps.num}/${fps.den}`;
  const width = opts.width ?? 320;
  const height = opts.height ?? 240;
  const wantVideo = opts.video ?? true;
  const wantAudio = opts.audio ?? true;
  if (!wantVideo && !wantAudio) throw new RangeError('makeTestClip: a clip needs video or audio');
  const inputs: FfmpegInput[] = [];
  const out: string[] = [];
  if (wantVideo) {
    if (opts.flashes) {
      // Flash = the first frame whose time is ≥ each whole second, and the next one.
      inputs.push({ source: `color=c=black:s=${width}x${height}:r=${rate}:d=${opts.seconds}`, options: ['-f', 'lavfi'] });
      out.push('-vf', [flashFilter(fps, 2), ...frameNumberStripFilters(), 'format=yuv420p'].join(','));
    } else {
      inputs.push({ source: `testsrc2=s=${width}x${height}:r=${rate}:d=${opts.seconds}`, options: ['-f', 'lavfi'] });
      out.push('-vf', 'format=yuv420p');
    }
    out.push('-map', '0:v:0', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-r', rate);
  }
  if (wantAudio) {
    inputs.push(opts.flashes ? beepInput(opts.seconds, opts.beepLateS ?? 0) : { source: `sine=f=440:r=44100:d=${opts.seconds}`, options: ['-f', 'lavfi'] });
    out.push('-map', `${inputs.length - 1}:a:0`, ...AUDIO_OUT);
  }
  await mkdir(dirname(resolve(path)), { recursive: true });
  await runFfmpeg({
    name: 'ffmpeg (test clip)',
    inputs,
    outputOptions: [...out, '-t', String(opts.seconds), '-y'],
    output: path,
  });
  return path;
}

/** A run of `frames` frames, `fps` apart, in a variable-frame-rate clip. */
export interface RateSegment {
  readonly frames: number;
  readonly fps: number;
}

export interface VfrClipOptions {
  /** The runs, in order, e.g. 30 frames at 30 fps then 30 at 10 fps. */
  readonly segments: readonly RateSegment[];
  /** Default 320. */
  readonly width?: number;
  /** Default 240. */
  readonly height?: number;
  /** A 440 Hz tone as long as the video, AAC 44.1 kHz stereo. Default true. */
  readonly audio?: boolean;
}

/** setpts expression (seconds) giving frame N the time its segment puts it at: nested if()s, one per segment. */
export function vfrPtsExpression(segments: readonly RateSegment[]): string {
  let expr = '';
  let firstFrame = 0;
  let startS = 0;
  const parts: Array<[number, string]> = [];
  for (const s of segments) {
    parts.push([firstFrame + s.frames, `${startS}+(N-${firstFrame})/${s.fps}`]);
    firstFrame += s.frames;
    startS += s.frames / s.fps;
  }
  // The last segment needs no bound: -frames:v stops the output there.
  for (let i = parts.length - 1; i >= 0; i--) {
    const [end, value] = parts[i]!;
    expr = expr === '' ? value : `if(lt(N,${end}),${value},${expr})`;
  }
  return expr;
}

/**
 * A variable-frame-rate clip (each frame keeps its own timestamp), made with whichever ffmpeg
 * generation is installed: the option that keeps the timestamps is `-fps_mode vfr` from 5.1 on and
 * `-vsync vfr` before (the npm-shipped ffmpeg is 4.1). Returns `path`.
 */
export async function makeVfrClip(path: string, opts: VfrClipOptions): Promise<string> {
  if (opts.segments.length === 0 || opts.segments.some((s) => !(Number.isInteger(s.frames) && s.frames > 0 && s.fps > 0))) {
    throw new RangeError('makeVfrClip: segments need a positive whole number of frames and a positive fps each');
  }
  const width = opts.width ?? 320;
  const height = opts.height ?? 240;
  const frames = opts.segments.reduce((n, s) => n + s.frames, 0);
  const seconds = opts.segments.reduce((t, s) => t + s.frames / s.fps, 0);
  const sourceFps = Math.max(...opts.segments.map((s) => s.fps));
  const features = await ffmpegFeatures();
  const inputs: FfmpegInput[] = [{ source: `testsrc2=s=${width}x${height}:r=${sourceFps}`, options: ['-f', 'lavfi'] }];
  // settb=AVTB (1/1000000 s) first, so every segment's frame times are representable exactly.
  const out = [
    '-map',
    '0:v:0',
    '-vf',
    `settb=AVTB,setpts='(${vfrPtsExpression(opts.segments)})/TB',format=yuv420p`,
    '-frames:v',
    String(frames),
    ...frameTimingOptions(features, 'vfr'),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
  ];
  if (opts.audio ?? true) {
    inputs.push({ source: `sine=f=440:r=44100:d=${seconds}`, options: ['-f', 'lavfi'] });
    out.push('-map', '1:a:0', ...AUDIO_OUT);
  }
  await mkdir(dirname(resolve(path)), { recursive: true });
  await runFfmpeg({ name: 'ffmpeg (variable-frame-rate clip)', inputs, outputOptions: [...out, '-y'], output: path });
  return path;
}
