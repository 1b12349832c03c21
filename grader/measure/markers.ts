/**
 * Reading the demo clip's markers out of what a server sent (src/media/clips.ts):
 * - a frame's mean luminance (flash detection) and its number from MARKER_STRIP, in one decode;
 * - a beep's onset and which second it belongs to, from its frequency (BEEP_TONES).
 * Pure apart from the JPEG decode (sharp).
 */
import sharp from 'sharp';
import { BEEP_TONES, MARKER_STRIP, beepHzOfSecond } from '../../src/media/clips.ts';

/** The picture is read at this size: 10 px per strip cell, the strip 8 rows high. */
const READ_W = MARKER_STRIP.cells * 10;
const READ_H = 96;
/** The greyscale size readStrip() expects by default. */
export const STRIP_READ_SIZE = Object.freeze({ width: READ_W, height: READ_H });
/** A white reference at least this much brighter than the black one, or the strip is absent. */
const MIN_CONTRAST = 80;

export interface FrameFeatures {
  /** Mean luminance 0..255. */
  luma: number;
  /** The frame's number in the clip, when its strip reads cleanly (references and parity agree). */
  number?: number;
}

/** The frame number in a READ_W × READ_H greyscale picture, or undefined. */
export function readStrip(gray: Uint8Array, width = READ_W, height = READ_H): number | undefined {
  const { cells, heightFraction, whiteCells, blackCell, firstBitCell, bits, parityCell } = MARKER_STRIP;
  const top = Math.ceil(height * (1 - heightFraction));
  // The middle of each cell, away from its edges (JPEG ringing, scaling blur).
  const rows = [top + 2, height - 3].filter((r, i, a) => r < height && (i === 0 || r !== a[0]));
  const cellW = width / cells;
  const level = (c: number): number => {
    let sum = 0;
    let n = 0;
    for (const r of rows) {
      for (let x = Math.floor(c * cellW + cellW * 0.3); x < Math.ceil(c * cellW + cellW * 0.7); x++) {
        sum += gray[r * width + x]!;
        n += 1;
      }
    }
    return sum / n;
  };
  const white = Math.min(...whiteCells.map(level));
  const black = level(blackCell);
  if (white - black < MIN_CONTRAST) return undefined;
  const threshold = (white + black) / 2;
  let number = 0;
  let ones = 0;
  for (let b = 0; b < bits; b++) {
    if (level(firstBitCell + b) > threshold) {
      number += 2 ** b;
      ones += 1;
    }
  }
  const parity = level(parityCell) > threshold ? 1 : 0;
  return parity === ones % 2 ? number : undefined;
}

/** Luminance and frame number of one JPEG (one decode, at READ_W × READ_H whatever its size). */
export async function frameFeatures(jpeg: Buffer): Promise<FrameFeatures> {
  const { data } = await sharp(jpeg).resize({ width: READ_W, height: READ_H, fit: 'fill' }).greyscale().raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  for (const v of data) sum += v;
  const number = readStrip(data);
  return { luma: sum / data.length, ...(number !== undefined ? { number } : {}) };
}

export interface BeepOnset {
  /** Sample index (per channel) of the onset in the mono signal. */
  sample: number;
  /** Which second of the clip the beep opens, modulo BEEP_TONES.count. */
  id: number;
  /** Goertzel amplitude of the chosen tone over the amplitude of the runner-up (≥ 1). */
  clarity: number;
}

/** Goertzel amplitude (same units as the samples) of `hz` in mono[start, start+n). */
export function goertzel(mono: Float32Array, start: number, n: number, hz: number, sampleRate: number): number {
  const w = (2 * Math.PI * hz) / sampleRate;
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

/**
 * Beeps in mono PCM: an onset is the first sample above max(5 % of full scale, 30 % of the loudest
 * sample) after ≥ 300 ms below it (the clip is silent between beeps); the beep's second is the
 * BEEP_TONES frequency with the most energy over the next 60 ms (resolution ~17 Hz, tones 100 Hz
 * apart). A tone that matches no candidate clearly (< 2× the runner-up) is not a marker.
 */
export function detectBeepOnsets(mono: Float32Array, sampleRate = 44_100): BeepOnset[] {
  let loudest = 0;
  for (const v of mono) loudest = Math.max(loudest, Math.abs(v));
  const threshold = Math.max(0.05 * 32768, 0.3 * loudest);
  if (loudest < threshold) return [];
  const quietNeeded = Math.round(0.3 * sampleRate);
  const analyse = Math.round(0.06 * sampleRate);
  const skip = Math.round(0.005 * sampleRate);
  const onsets: BeepOnset[] = [];
  // The recording may start in the middle of a beep: that one has no onset.
  let quiet = 0;
  for (let i = 0; i < mono.length; i++) {
    if (Math.abs(mono[i]!) <= threshold) {
      quiet += 1;
      continue;
    }
    if (quiet >= quietNeeded && i + skip + analyse <= mono.length) {
      const amps = Array.from({ length: BEEP_TONES.count }, (_, k) => goertzel(mono, i + skip, analyse, beepHzOfSecond(k), sampleRate));
      const order = amps.map((a, k) => [a, k] as const).sort((x, y) => y[0] - x[0]);
      const [best, second] = [order[0]!, order[1]!];
      const clarity = second[0] > 0 ? best[0] / second[0] : Number.POSITIVE_INFINITY;
      if (clarity >= 2) onsets.push({ sample: i, id: best[1], clarity });
    }
    quiet = 0;
  }
  return onsets;
}
