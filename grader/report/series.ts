/**
 * The series behind report.html's plots, taken from the probe's recording at grade time and saved
 * as series.json beside report.json, so every plot can be redrawn. Times are seconds from the first
 * frame (the start of the window the probe judged).
 */
import * as v from 'valibot';
import { jsonNumber } from '../../src/json.ts';
import type { ServerFigures } from '../measure/server-figures.ts';
import type { ProbeRecording } from '../measure/recording.ts';
import { STALL_LIMIT_MS } from '../score/judge.ts';

export interface ReportSeries {
  version: 1;
  sourceFps: number;
  /** 1000 / sourceFps, ms: the interval a steady sender keeps. */
  nominalIntervalMs: number;
  windowS: number;
  /** Interval before each frame; `mark` when the gap is a W3C freeze or a stall (> 2 s). */
  intervals: Array<{ t: number; ms: number; mark?: 'freeze' | 'stall' }>;
  /** Frames that arrived in each whole second of the window. */
  fpsPerSecond: Array<{ second: number; fps: number }>;
  /** A/V offset at each flash/beep pair (+ = picture late), ms. */
  av: Array<{ t: number; offsetMs: number }>;
  /** Sound queued in the probe's real-time player just after each message arrived, ms. */
  audioLevel: Array<{ t: number; ms: number }>;
  /** Where the player ran dry, and for how long, ms. */
  underruns: Array<{ t: number; ms: number }>;
  /** When the player was full and stopped reading: the server was held back by TCP. */
  heldBack: Array<{ from: number; to: number }>;
  /** Histogram of |D| (RFC 3550: arrival spacing minus sender spacing) per frame, ms. */
  jitter: Array<{ fromMs: number; toMs: number; count: number }>;
}

const point = (fields: readonly string[]) => v.looseObject(Object.fromEntries(fields.map((f) => [f, jsonNumber])));

/** series.json as written by seriesOf(): checked before it is drawn again (a file on disk may be anyone's). */
export const ReportSeriesSchema = v.object({
  version: v.literal(1),
  sourceFps: jsonNumber,
  nominalIntervalMs: jsonNumber,
  windowS: jsonNumber,
  intervals: v.array(v.object({ t: jsonNumber, ms: jsonNumber, mark: v.optional(v.picklist(['freeze', 'stall'])) })),
  fpsPerSecond: v.array(point(['second', 'fps'])),
  av: v.array(point(['t', 'offsetMs'])),
  audioLevel: v.array(point(['t', 'ms'])),
  underruns: v.array(point(['t', 'ms'])),
  heldBack: v.array(point(['from', 'to'])),
  jitter: v.array(point(['fromMs', 'toMs', 'count'])),
});

/** Points per series at most: a 2-minute 60 fps window would otherwise put 7200 dots in one plot. */
const MAX_POINTS = 1500;

/** Every k-th point, keeping every marked one, so a long window stays readable and small. */
function thin<T extends object>(points: T[]): T[] {
  if (points.length <= MAX_POINTS) return points;
  const k = Math.ceil(points.length / MAX_POINTS);
  return points.filter((p, i) => i % k === 0 || 'mark' in p);
}

const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** W3C freeze rule (the one the grader scores): a gap ≥ max(3 × mean, mean + 150 ms). */
function freezeLimit(meanMs: number): number {
  return Math.max(3 * meanMs, meanMs + 150);
}

function jitterHistogram(values: number[]): ReportSeries['jitter'] {
  if (values.length === 0) return [];
  const max = Math.max(...values);
  // 0.5 ms bins up to 10 ms, wider beyond, at most 40 bins.
  const width = max <= 10 ? 0.5 : Math.ceil(max / 40);
  const bins = Math.max(1, Math.ceil((max + 1e-9) / width));
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(v / width))]! += 1;
  return counts.map((count, i) => ({ fromMs: round(i * width), toMs: round((i + 1) * width), count }));
}

export function seriesFromRecording(rec: ProbeRecording, figures: ServerFigures | null, sourceFps: number): ReportSeries | null {
  const first = rec.firstFrameMs ?? rec.frames[0]?.arrivalMs;
  if (first === undefined) return null;
  const end = rec.plannedEndMs ?? rec.endedMs;
  const windowS = (end - first) / 1000;
  const nominal = 1000 / sourceFps;
  const frames = rec.frames.filter((f) => f.arrivalMs >= first && f.arrivalMs <= end);
  const t = (ms: number): number => round((ms - first) / 1000, 3);
  const mean = frames.length > 1 ? (frames[frames.length - 1]!.arrivalMs - frames[0]!.arrivalMs) / (frames.length - 1) : nominal;
  const freeze = freezeLimit(mean);
  const intervals: ReportSeries['intervals'] = [];
  const jitter: number[] = [];
  for (let i = 1; i < frames.length; i++) {
    const a = frames[i]!;
    const b = frames[i - 1]!;
    const ms = a.arrivalMs - b.arrivalMs;
    const mark = ms > STALL_LIMIT_MS ? 'stall' : ms >= freeze ? 'freeze' : undefined;
    intervals.push({ t: t(a.arrivalMs), ms: round(ms), ...(mark ? { mark } : {}) });
    const sent = a.ptsUs !== undefined && b.ptsUs !== undefined ? (a.ptsUs - b.ptsUs) / 1000 : nominal;
    jitter.push(Math.abs(ms - sent));
  }
  const seconds = Math.max(0, Math.floor(windowS));
  const fpsPerSecond = Array.from({ length: seconds }, (_, s) => ({ second: s, fps: 0 }));
  for (const f of frames) {
    const s = Math.floor((f.arrivalMs - first) / 1000);
    if (s < seconds) fpsPerSecond[s]!.fps += 1;
  }
  const av = (figures?.avSync.pairsAt ?? []).map((p) => ({ t: t(p.flashMs), offsetMs: round(p.offsetMs, 1) }));
  const bytesPerMs = ((rec.handshake?.sampleRate || 44_100) * (rec.handshake?.channels || 2) * 2) / 1000;
  const audioLevel: ReportSeries['audioLevel'] = [];
  const underruns: ReportSeries['underruns'] = [];
  let playEnd: number | undefined;
  for (const a of rec.audio) {
    if (a.bytes === 0) continue;
    if (playEnd !== undefined && a.playMs - playEnd >= 1 && a.playMs >= first && a.playMs <= end)
      underruns.push({ t: t(playEnd), ms: round(a.playMs - playEnd, 1) });
    playEnd = a.playMs + a.bytes / bytesPerMs;
    if (a.arrivalMs >= first && a.arrivalMs <= end) audioLevel.push({ t: t(a.arrivalMs), ms: round(playEnd - a.arrivalMs, 1) });
  }
  const heldBack = rec.playout.heldBack
    .filter(([from, to]) => to >= first && from <= end)
    .map(([from, to]) => ({ from: t(Math.max(from, first)), to: t(Math.min(to, end)) }));
  return {
    version: 1,
    sourceFps,
    nominalIntervalMs: round(nominal),
    windowS: round(windowS, 3),
    intervals: thin(intervals),
    fpsPerSecond,
    av,
    audioLevel: thin(audioLevel),
    underruns: underruns.slice(0, MAX_POINTS),
    heldBack: heldBack.slice(0, MAX_POINTS),
    jitter: jitterHistogram(jitter),
  };
}
