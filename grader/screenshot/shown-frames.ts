/**
 * What an OpenCV window really showed, frame by frame: its picture is recorded from the grader's
 * virtual screen (ffmpeg x11grab) at twice the clip's rate or more, and every recorded picture's
 * frame number is read from the demo clip's strip (src/media/clips.ts MARKER_STRIP). A frame counts
 * as shown when the window held it long enough to be recorded — what a viewer could have seen.
 */
import { performance } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { STRIP_READ_SIZE, readStrip } from '../measure/markers.ts';
import { launch, submissionEnv } from '../run/launch/launch.ts';
import { resolveFfmpeg } from '../../src/platform/tools.ts';
import { sleep } from '../../src/timing/wait.ts';
import type { WindowRegion } from './opencv.ts';

export interface ShownFrames {
  /** Pictures recorded, and the seconds between the first and the last. */
  samples: number;
  seconds: number;
  /** Frames the window showed: each new frame number read. */
  shown: number;
  /** Frames sent while it was recorded: the span of the numbers read (a loop of the clip counts on). */
  sent: number;
  /** Frames skipped while the recorder itself stalled: it could not see them, so they count neither way. */
  unseen: number;
  /** shown ÷ (sent − unseen): 1 when every frame sent was shown. */
  shownRatio: number;
  /** Recorded pictures whose strip did not read (no picture, covered, torn mid-update). */
  unreadable: number;
  /**
   * Recorded pictures that differ from the one before: new frames by sight, for a clip without
   * the strip (a frame identical to the one before it is missed, so this can only undercount).
   */
  pictureChanges: number;
  /** Seconds from the last new frame (or changed picture) to the end of the recording: a window that froze. */
  frozenAtEndS: number;
}

export interface Reading {
  /** When the picture was grabbed, ms (any origin). */
  atMs: number;
  /** The frame number its strip reads, if it does. */
  number: number | undefined;
  /** It differs from the picture recorded before it. */
  changed: boolean;
}

/** How many earlier numbers a reading is compared with: a torn picture that reads an older frame again is no new frame. */
const RECENT = 4;
/** A jump larger than this (or backwards) is the clip starting over, not frames skipped. */
const MAX_SKIP = 90;

/**
 * Tallies the frame numbers read from consecutive recorded pictures, grabbed at `atMs`
 * (number undefined: unreadable). A gap between two grabs longer than `blindMs` means the
 * recorder stalled: frames skipped across it are unseen, not missed by the window.
 */
export function tallyShown(readings: readonly Reading[], blindMs: number): ShownFrames {
  const recent: number[] = [];
  let shown = 0;
  let sent = 0;
  let unseen = 0;
  let unreadable = 0;
  let pictureChanges = 0;
  let blind = false;
  let previousAt: number | undefined;
  let lastNewAt = readings[0]?.atMs ?? 0;
  for (const r of readings) {
    if (previousAt !== undefined && r.atMs - previousAt > blindMs) blind = true;
    previousAt = r.atMs;
    if (r.changed) {
      pictureChanges += 1;
      lastNewAt = r.atMs;
    }
    if (r.number === undefined) {
      unreadable += 1;
      continue;
    }
    if (recent.includes(r.number)) continue;
    const last = recent[recent.length - 1];
    const step = last === undefined ? 1 : r.number - last;
    const skipped = step >= 1 && step <= MAX_SKIP ? step - 1 : 0;
    shown += 1;
    sent += 1 + skipped;
    if (blind) unseen += skipped;
    blind = false;
    recent.push(r.number);
    if (recent.length > RECENT) recent.shift();
  }
  const samples = readings.length;
  const seconds = samples > 1 ? (readings[samples - 1]!.atMs - readings[0]!.atMs) / 1000 : 0;
  const seen = sent - unseen;
  const frozenAtEndS = samples > 0 ? (readings[samples - 1]!.atMs - lastNewAt) / 1000 : 0;
  return { samples, seconds, shown, sent, unseen, shownRatio: seen > 0 ? shown / seen : 0, unreadable, pictureChanges, frozenAtEndS };
}

/**
 * Mean absolute grey-level difference (0..255) from which a recorded picture is a new one. A window
 * that shows the same frame again records the same pixels (0); video frames differ by far more.
 */
const CHANGED_MEAN_ABS = 0.3;

function meanAbsDifference(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/**
 * Grabs further apart than this many recording intervals are a stall of the recorder: at twice the
 * clip's rate, a gap of two intervals is as long as a frame is on screen, so a frame could hide in it.
 */
const BLIND_INTERVALS = 2;

/** ffmpeg's showinfo line for the recorded picture number n: its grab time, seconds from the first. */
const SHOWINFO = /Parsed_showinfo_\d+ @ \S+\] n:\s*(\d+) pts:\s*\S+\s+pts_time:([\d.]+)/g;

/**
 * Records `region` of `display` for `seconds` at `rate` pictures per second, each scaled to the
 * strip reader's size in ffmpeg, and tallies the frame numbers it showed. Stops early when `stop`
 * says why. Rejects when ffmpeg cannot record the screen.
 *
 * Each picture is timed by when ffmpeg grabbed it (x11grab stamps the grab; showinfo reports it),
 * not when it reached us: a recorder held off the cores grabs late and then catches up in a burst,
 * and only the grab times show that gap, so the frames it hid count as unseen, not as missed by the
 * window. Pictures pass one for one (-fps_mode passthrough): no copy of a late grab fills the gap.
 */
export async function recordShownFrames(
  display: string,
  region: WindowRegion,
  opts: { seconds: number; rate?: number; stop?: () => string | undefined },
): Promise<ShownFrames> {
  const { width, height } = STRIP_READ_SIZE;
  const frameBytes = width * height;
  const rate = opts.rate ?? 60;
  const args = [
    '-hide_banner',
    '-nostats',
    '-loglevel',
    'info',
    '-f',
    'x11grab',
    '-draw_mouse',
    '0',
    '-framerate',
    String(rate),
    '-video_size',
    `${region.width}x${region.height}`,
    '-i',
    `${display}+${region.left},${region.top}`,
    '-t',
    String(opts.seconds),
    '-vf',
    `showinfo=checksum=0,scale=${width}:${height}:flags=area,format=gray`,
    '-fps_mode',
    'passthrough',
    '-f',
    'rawvideo',
    'pipe:1',
  ];
  const grabber = launch('ffmpeg x11grab', resolveFfmpeg().path, args, {
    cwd: tmpdir(),
    env: submissionEnv({ DISPLAY: display }),
    maxOutputBytes: 4096,
    binaryStdout: true,
  });
  const grabbedAtMs: number[] = [];
  let log = '';
  grabber.handle.process.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString('latin1');
    const lineEnd = log.lastIndexOf('\n');
    if (lineEnd < 0) return;
    for (const m of log.slice(0, lineEnd).matchAll(SHOWINFO)) grabbedAtMs[Number(m[1])] = Number(m[2]) * 1000;
    log = log.slice(lineEnd + 1);
  });
  const readings: Reading[] = [];
  let pending: Buffer = Buffer.alloc(0);
  let previous: Buffer | undefined;
  grabber.handle.process.stdout?.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= frameBytes) {
      const picture = Buffer.from(pending.subarray(0, frameBytes));
      readings.push({
        atMs: Number.NaN,
        number: readStrip(picture, width, height),
        changed: previous !== undefined && meanAbsDifference(previous, picture) >= CHANGED_MEAN_ABS,
      });
      previous = picture;
      pending = pending.subarray(frameBytes);
    }
  });
  try {
    const deadline = performance.now() + (opts.seconds + 10) * 1000;
    while (!grabber.exit && performance.now() < deadline && !opts.stop?.()) await sleep(50);
    if (grabber.exit && grabber.exit.code !== 0 && readings.length === 0)
      throw new Error(`ffmpeg -f x11grab ${display} failed (exit ${grabber.exit.code}): ${grabber.out.tail(1)}`);
    // A picture whose grab time has not been read yet (the recording was stopped early) is left out.
    const timed = readings.map((r, n) => ({ ...r, atMs: grabbedAtMs[n] ?? Number.NaN })).filter((r) => Number.isFinite(r.atMs));
    return tallyShown(timed, BLIND_INTERVALS * (1000 / rate));
  } finally {
    await grabber.handle.stop();
  }
}
