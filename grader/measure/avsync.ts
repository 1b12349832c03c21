/**
 * True A/V sync from the demo clip's markers (src/media/clips.ts): at each whole second k a white
 * flash whose frame number says k, and a beep whose frequency says k mod 20. Flash k is paired with
 * beep k — never with whichever beep is nearest — so an error of whole seconds reads as such.
 *
 * What is compared is when a correct real-time player shows the flash and plays the beep:
 * - beep: when the probe's real-time player (playout.ts) plays that sample: the message's playMs
 *   plus the onset's offset in it;
 * - flash, tutorial wire: on arrival (client.py shows each frame as it comes);
 * - flash, framed wire: at max(arrival, the time the player's audio reaches the frame's pts) — a
 *   player syncs pictures to the sound clock, and cannot show a frame before it has arrived.
 * Positive offset = picture late (ITU-R BT.1359 sign).
 *
 * Flash: a frame whose mean luminance rises above half-way between the recording's median and
 * maximum (the maximum at least 60 above the median); its second is floor(frame number / fps).
 */
import { BEEP_TONES } from '../../src/media/clips.ts';
import { percentile } from '../../src/timing/stats.ts';
import { detectBeepOnsets } from './markers.ts';

export interface Marker {
  /** When the player shows/plays it, ms (performance.now() timeline). */
  atMs: number;
  /** Its time on the stream's timeline, ms (framed wire). */
  ptsMs?: number;
  /** The clip second it opens (flash) or that second mod BEEP_TONES.count (beep); undefined when unreadable. */
  id?: number;
}

export interface FlashCandidate {
  shownMs: number;
  ptsMs?: number;
  luma: number;
  number?: number;
}

/** Rising edges of luminance above the adaptive threshold, with the second each one opens. */
export function detectFlashes(frames: readonly FlashCandidate[], fps: number): Marker[] {
  const lumas = frames.map((f) => f.luma).filter(Number.isFinite);
  if (lumas.length === 0) return [];
  const median = percentile(lumas, 50);
  const max = Math.max(...lumas);
  if (max - median < 60) return [];
  const threshold = median + (max - median) / 2;
  const flashes: Marker[] = [];
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    const above = f.luma > threshold;
    const before = i > 0 && frames[i - 1]!.luma > threshold;
    if (!above || before) continue;
    // Flash frames are the first two of second k: number ≈ k·fps (1e-6: 24000/1001 rounding).
    const id = f.number !== undefined ? Math.floor(f.number / fps + 1e-6) : undefined;
    flashes.push({ atMs: f.shownMs, ...(f.ptsMs !== undefined ? { ptsMs: f.ptsMs } : {}), ...(id !== undefined ? { id } : {}) });
  }
  return flashes;
}

export interface PcmArrival {
  arrivalMs: number;
  /** When the real-time player started this chunk; without it, max(arrival, end of the previous chunk). */
  playMs?: number;
  ptsUs?: number;
  /** s16le interleaved. */
  pcm: Buffer;
}

export interface BeepOptions {
  sampleRate?: number;
  channels?: number;
}

/** Mono samples of the concatenated chunks, and where each chunk starts (sample, play time, pts). */
function concatenate(
  chunks: readonly PcmArrival[],
  rate: number,
  channels: number,
): { mono: Float32Array; starts: Array<{ firstFrame: number; playMs: number; ptsUs?: number }> } {
  const frameBytes = channels * 2;
  const total = chunks.reduce((s, c) => s + Math.floor(c.pcm.length / frameBytes), 0);
  const mono = new Float32Array(total);
  const starts: Array<{ firstFrame: number; playMs: number; ptsUs?: number }> = [];
  let frame = 0;
  let playEnd = Number.NEGATIVE_INFINITY;
  for (const c of chunks) {
    const frames = Math.floor(c.pcm.length / frameBytes);
    const playMs = c.playMs ?? Math.max(c.arrivalMs, playEnd);
    playEnd = playMs + (frames * 1000) / rate;
    starts.push({ firstFrame: frame, playMs, ...(c.ptsUs !== undefined ? { ptsUs: c.ptsUs } : {}) });
    for (let i = 0; i < frames; i++) {
      let sum = 0;
      for (let ch = 0; ch < channels; ch++) sum += c.pcm.readInt16LE(i * frameBytes + ch * 2);
      mono[frame + i] = sum / channels;
    }
    frame += frames;
  }
  return { mono, starts };
}

/** Beeps as the real-time player plays them, with their pts when known and their second. */
export function detectBeeps(chunks: readonly PcmArrival[], opts: BeepOptions = {}): Marker[] {
  const rate = opts.sampleRate ?? 44_100;
  const { mono, starts } = concatenate(chunks, rate, opts.channels ?? 2);
  const markers: Marker[] = [];
  let k = 0;
  for (const onset of detectBeepOnsets(mono, rate)) {
    while (k + 1 < starts.length && starts[k + 1]!.firstFrame <= onset.sample) k += 1;
    const chunk = starts[k]!;
    const offsetMs = ((onset.sample - chunk.firstFrame) * 1000) / rate;
    markers.push({
      atMs: chunk.playMs + offsetMs,
      ...(chunk.ptsUs !== undefined ? { ptsMs: chunk.ptsUs / 1000 + offsetMs } : {}),
      id: onset.id,
    });
  }
  return markers;
}

/**
 * The player's sound clock: when the sample at `ptsMs` is played, from the chunks' pts and play
 * times (the chunk holding it, or the nearest one extrapolated at 1 ms per ms). Undefined without
 * timestamped sound.
 */
export function audioClock(
  chunks: ReadonlyArray<{ playMs: number; ptsUs?: number; bytes: number }>,
  bytesPerMs: number,
): (ptsMs: number) => number | undefined {
  const timed = chunks.filter((c) => c.ptsUs !== undefined && c.bytes > 0).map((c) => ({ pts: c.ptsUs! / 1000, play: c.playMs, dur: c.bytes / bytesPerMs }));
  timed.sort((a, b) => a.pts - b.pts);
  return (ptsMs) => {
    if (timed.length === 0) return undefined;
    let lo = 0;
    let hi = timed.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (timed[mid]!.pts <= ptsMs) lo = mid;
      else hi = mid - 1;
    }
    const c = timed[lo]!;
    return c.play + (ptsMs - c.pts);
  };
}

export interface AvSync {
  /** Flash/beep pairs of the same second. */
  pairs: number;
  /** Median of (flash − beep) over the pairs, ms: positive = picture late. NaN without pairs. */
  offsetMs: number;
  /** Largest |flash − beep|, ms. */
  maxAbsMs: number;
  /** Spread of the offsets (max − min), ms: an offset that changes over the run is drift. */
  spreadMs: number;
  /** framed: median pts(flash) − pts(beep), ms — what the server put on its timelines. */
  ptsOffsetMs: number;
  flashes: number;
  beeps: number;
  /** Markers whose second could not be read (no strip / unclear tone): not paired. */
  unidentified: number;
  /** Why there is no figure, when there is none. */
  reason?: string;
  /** Each pair: when the flash was shown (ms, probe timeline) and its offset, for the report's plot. */
  pairsAt?: Array<{ flashMs: number; offsetMs: number }>;
}

/** Pairs flash k with beep k (the nearest one of that second, the ids repeat every BEEP_TONES.count s). */
export function pairMarkers(flashes: readonly Marker[], beeps: readonly Marker[]): AvSync {
  const offsets: number[] = [];
  const pairsAt: Array<{ flashMs: number; offsetMs: number }> = [];
  const ptsOffsets: number[] = [];
  const unidentified = flashes.filter((f) => f.id === undefined).length + beeps.filter((b) => b.id === undefined).length;
  for (const f of flashes) {
    if (f.id === undefined) continue;
    const id = f.id % BEEP_TONES.count;
    let best: Marker | undefined;
    for (const b of beeps) {
      if (b.id !== id) continue;
      if (!best || Math.abs(f.atMs - b.atMs) < Math.abs(f.atMs - best.atMs)) best = b;
    }
    if (!best) continue;
    offsets.push(f.atMs - best.atMs);
    pairsAt.push({ flashMs: f.atMs, offsetMs: f.atMs - best.atMs });
    if (f.ptsMs !== undefined && best.ptsMs !== undefined) ptsOffsets.push(f.ptsMs - best.ptsMs);
  }
  const base = { flashes: flashes.length, beeps: beeps.length, unidentified };
  if (offsets.length === 0) {
    const reason =
      flashes.length === 0 && beeps.length === 0
        ? 'no flash and no beep found (not the demo clip, or nothing arrived)'
        : flashes.length === 0
          ? `no flash found in the picture (${beeps.length} beeps)`
          : beeps.length === 0
            ? `no beep found in the sound (${flashes.length} flashes)`
            : `no flash and beep of the same second (${flashes.length} flashes, ${beeps.length} beeps, ${unidentified} unreadable)`;
    return { pairs: 0, offsetMs: Number.NaN, maxAbsMs: Number.NaN, spreadMs: Number.NaN, ptsOffsetMs: Number.NaN, ...base, reason };
  }
  return {
    pairs: offsets.length,
    offsetMs: percentile(offsets, 50),
    maxAbsMs: Math.max(...offsets.map(Math.abs)),
    spreadMs: Math.max(...offsets) - Math.min(...offsets),
    ptsOffsetMs: ptsOffsets.length ? percentile(ptsOffsets, 50) : Number.NaN,
    ...base,
    pairsAt,
  };
}
