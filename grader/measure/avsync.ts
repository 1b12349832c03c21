/**
 * True A/V sync from the demo clip's markers: a white flash in the picture and a 1 kHz beep in the
 * sound at each whole second (src/media's demo clip and makeTestClip({flashes: true})).
 *
 * Assumptions (also in grader/README.md):
 * - Flash: a frame whose mean luminance (0..255) rises above a threshold half-way between the
 *   recording's median and maximum, with the maximum at least 60 above the median. Its time is the
 *   frame's arrival (tutorial wire) or its pts (framed wire).
 * - Beep: 1 kHz amplitude by the Goertzel algorithm on 10 ms windows every 2.5 ms of mono PCM,
 *   above max(5 % of full scale, 30 % of the loudest window), after ≥ 300 ms below. The onset
 *   inside the window is interpolated from the amplitude (a tone that starts inside a window shows
 *   amplitude ∝ overlap), good to ~1 ms.
 * - When the beep is heard (tutorial wire): a player that starts each chunk as soon as it has
 *   arrived and the previous one has finished (no added buffer, never skipping):
 *   start_k = max(arrival_k, end_{k−1}). For a paced server that is the arrival time; for a server
 *   that dumps the file at once it is first arrival + position / 44100 — what a real player hears.
 * - Framed wire: both sides carry pts on one timeline and a correct client plays them on it, so the
 *   sync is pts(flash frame) − pts(beep sample): whether the server put picture and sound at the
 *   same time. Markers are paired to the nearest one within ±500 ms, so an error of a whole second
 *   cannot be seen (the markers repeat every second).
 */
import sharp from 'sharp';
import { percentile } from '../../src/timing/stats.ts';

export interface Marker {
  /** Wall time (performance.now() ms) the marker was shown/heard at the probe. */
  atMs: number;
  /** Time on the stream's timeline, ms (framed wire). */
  ptsMs?: number;
}

/** Mean luminance (0..255) of a JPEG, decoded small (luma of a 32-px-wide thumbnail is enough). */
export async function jpegLuma(jpeg: Buffer): Promise<number> {
  const stats = await sharp(jpeg).resize({ width: 32 }).greyscale().stats();
  return stats.channels[0]!.mean;
}

/** Rising edges of luminance above the adaptive threshold. `lumas[i]` belongs to `frames[i]`. */
export function detectFlashes(frames: ReadonlyArray<{ arrivalMs: number; ptsUs?: number }>, lumas: readonly number[]): Marker[] {
  if (lumas.length === 0) return [];
  const median = percentile(lumas, 50);
  const max = Math.max(...lumas);
  if (max - median < 60) return [];
  const threshold = median + (max - median) / 2;
  const flashes: Marker[] = [];
  for (let i = 0; i < lumas.length; i++) {
    const above = lumas[i]! > threshold;
    const before = i > 0 && lumas[i - 1]! > threshold;
    if (above && !before) {
      const f = frames[i]!;
      flashes.push({ atMs: f.arrivalMs, ...(f.ptsUs !== undefined ? { ptsMs: f.ptsUs / 1000 } : {}) });
    }
  }
  return flashes;
}

export interface PcmArrival {
  arrivalMs: number;
  /** When a real-time player started this chunk (the probe's playout); else the zero-buffer model below. */
  playMs?: number;
  ptsUs?: number;
  /** s16le interleaved. */
  pcm: Buffer;
}

export interface BeepOptions {
  sampleRate?: number;
  channels?: number;
  toneHz?: number;
}

/** Goertzel amplitude (same units as the samples) of `toneHz` in mono[start, start+n). */
function goertzel(mono: Float32Array, start: number, n: number, toneHz: number, sampleRate: number): number {
  const w = (2 * Math.PI * toneHz) / sampleRate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = mono[start + i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / n;
}

/** Beep onsets as sample indices into the concatenated PCM. */
export function detectBeepSamples(mono: Float32Array, opts: BeepOptions = {}): number[] {
  const rate = opts.sampleRate ?? 44_100;
  const tone = opts.toneHz ?? 1000;
  const n = Math.round(rate / 100);
  const hop = Math.round(rate / 400);
  const amps: number[] = [];
  for (let start = 0; start + n <= mono.length; start += hop) amps.push(goertzel(mono, start, n, tone, rate));
  if (amps.length === 0) return [];
  const loudest = Math.max(...amps);
  const threshold = Math.max(0.05 * 32768, 0.3 * loudest);
  if (loudest < threshold) return [];
  const refractory = Math.round((0.3 * rate) / hop);
  const onsets: number[] = [];
  let quiet = refractory; // the recording may start in the middle of a beep: that one is not an onset
  for (let w = 0; w < amps.length; w++) {
    if (amps[w]! > threshold) {
      if (quiet >= refractory && w > 0) {
        // Peak amplitude of this beep: the largest of the next 10 ms windows.
        let peak = amps[w]!;
        for (let k = w; k < Math.min(amps.length, w + 8); k++) peak = Math.max(peak, amps[k]!);
        const overlap = Math.min(1, amps[w]! / peak);
        onsets.push(w * hop + Math.round(n * (1 - overlap)));
      }
      quiet = 0;
    } else {
      quiet += 1;
    }
  }
  return onsets;
}

/** Beeps heard by the zero-buffer player model (see the header), with their pts when known. */
export function detectBeeps(chunks: readonly PcmArrival[], opts: BeepOptions = {}): Marker[] {
  const rate = opts.sampleRate ?? 44_100;
  const channels = opts.channels ?? 2;
  const frameBytes = channels * 2;
  const totalFrames = chunks.reduce((s, c) => s + Math.floor(c.pcm.length / frameBytes), 0);
  const mono = new Float32Array(totalFrames);
  const starts: Array<{ firstFrame: number; playMs: number; ptsUs?: number }> = [];
  let frame = 0;
  let playEnd = -Infinity;
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
  const markers: Marker[] = [];
  let k = 0;
  for (const onset of detectBeepSamples(mono, opts)) {
    while (k + 1 < starts.length && starts[k + 1]!.firstFrame <= onset) k += 1;
    const chunk = starts[k]!;
    const offsetMs = ((onset - chunk.firstFrame) * 1000) / rate;
    markers.push({
      atMs: chunk.playMs + offsetMs,
      ...(chunk.ptsUs !== undefined ? { ptsMs: chunk.ptsUs / 1000 + offsetMs } : {}),
    });
  }
  return markers;
}

export interface AvSync {
  pairs: number;
  /** Median of (flash − beep), ms: positive = picture late. NaN without pairs. */
  offsetMs: number;
  maxAbsMs: number;
  basis: 'pts' | 'arrival';
}

/** Pairs each flash with the nearest beep within ±500 ms; offset = flash − beep. */
export function pairMarkers(flashes: readonly Marker[], beeps: readonly Marker[], basis: 'pts' | 'arrival'): AvSync {
  const time = (m: Marker): number | undefined => (basis === 'pts' ? m.ptsMs : m.atMs);
  const offsets: number[] = [];
  for (const f of flashes) {
    const tf = time(f);
    if (tf === undefined) continue;
    let best: number | undefined;
    for (const b of beeps) {
      const tb = time(b);
      if (tb === undefined) continue;
      const d = tf - tb;
      if (Math.abs(d) <= 500 && (best === undefined || Math.abs(d) < Math.abs(best))) best = d;
    }
    if (best !== undefined) offsets.push(best);
  }
  if (offsets.length === 0) return { pairs: 0, offsetMs: nanValue(), maxAbsMs: nanValue(), basis };
  return {
    pairs: offsets.length,
    offsetMs: percentile(offsets, 50),
    maxAbsMs: Math.max(...offsets.map(Math.abs)),
    basis,
  };
}

function nanValue(): number {
  return Number.NaN;
}
