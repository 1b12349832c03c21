/**
 * A/V offset from the clip's timeline, for any clip (no flash/beep markers needed) and either wire.
 *
 * Picture: frame n (in arrival order) shows timeline position S_n — its pts in framed wire, or
 * n / fps in tutorial wire (no timestamps; loopback loses nothing, and the probe counts losses).
 * Sound: the same zero-buffer player as grader/measure/avsync.ts — chunk k starts playing at
 * max(arrival_k, end of chunk k−1), so sample position p is heard at start_k + (p − pos_k). A
 * tutorial-style client (pyaudio's blocking write) behaves like that.
 * Offset_n = arrival_n − (time the sound at S_n is heard): positive = picture late.
 */
import { percentile } from '../src/timing/stats.ts';

export interface AvTimelineOptions {
  fps: number;
  /** 44100 × 2 × 2 for the tutorial's s16le stereo. */
  bytesPerSecond?: number;
  /** Offsets of frames arriving earlier than this after the first frame are left out of max/end. */
  warmupMs?: number;
}

export interface AvTimeline {
  /** Frames with sound to compare against. */
  pairs: number;
  /** Median offset of the first 10 frames (start-up alignment), ms. */
  startMs: number;
  /** Median offset of the last 10 frames, ms. */
  endMs: number;
  /** Max |offset| over the steady window, ms. */
  maxAbsMs: number;
}

export function avTimelineOffset(
  frames: ReadonlyArray<{ arrivalMs: number; ptsUs?: number }>,
  audio: ReadonlyArray<{ arrivalMs: number; bytes: number }>,
  opts: AvTimelineOptions,
): AvTimeline {
  const bps = opts.bytesPerSecond ?? 176_400;
  const warmupMs = opts.warmupMs ?? 1000;
  const none = { pairs: 0, startMs: Number.NaN, endMs: Number.NaN, maxAbsMs: Number.NaN };
  if (frames.length === 0 || audio.length === 0) return none;
  // Player model: chunk start times and timeline positions (ms).
  const starts: Array<{ posMs: number; playMs: number; lenMs: number }> = [];
  let pos = 0;
  let playEnd = -Infinity;
  for (const c of audio) {
    const lenMs = (c.bytes / bps) * 1000;
    const playMs = Math.max(c.arrivalMs, playEnd);
    starts.push({ posMs: pos, playMs, lenMs });
    playEnd = playMs + lenMs;
    pos += lenMs;
  }
  const totalMs = pos;
  const usePts = frames.every((f) => f.ptsUs !== undefined);
  const pts0 = usePts ? frames[0]!.ptsUs! / 1000 : 0;
  const offsets: Array<{ arrivalMs: number; offsetMs: number }> = [];
  let k = 0;
  for (let n = 0; n < frames.length; n++) {
    const f = frames[n]!;
    const sMs = usePts ? f.ptsUs! / 1000 - pts0 : (n * 1000) / opts.fps;
    if (sMs >= totalMs) break;
    while (k + 1 < starts.length && starts[k + 1]!.posMs <= sMs) k += 1;
    const c = starts[k]!;
    offsets.push({ arrivalMs: f.arrivalMs, offsetMs: f.arrivalMs - (c.playMs + (sMs - c.posMs)) });
  }
  if (offsets.length === 0) return none;
  const t0 = frames[0]!.arrivalMs;
  const steady = offsets.filter((o) => o.arrivalMs >= t0 + warmupMs);
  const values = (list: typeof offsets): number[] => list.map((o) => o.offsetMs);
  return {
    pairs: offsets.length,
    startMs: percentile(values(offsets.slice(0, 10)), 50),
    endMs: percentile(values(offsets.slice(-10)), 50),
    maxAbsMs: Math.max(...values(steady.length > 0 ? steady : offsets).map(Math.abs)),
  };
}
