/**
 * From a probe recording to the figures the rubric scores (measured.server in the JSON report).
 *
 * No figure defaults to a passing value: what could not be measured is NaN (JSON null) and
 * `reasons[name]` says why. Every figure is judged over the whole window the probe meant to
 * record (first frame → first frame + seconds), so a server that stops after 3 s of 8 is measured
 * as stopped, not as 3 good seconds.
 */
import { analyzeAudio, analyzeVideo, timestampAvOffset, type AudioFigures, type FrameArrival, type VideoFigures } from './analysis.ts';
import { audioClock, detectBeeps, detectFlashes, pairMarkers, type AvSync, type FlashCandidate } from './avsync.ts';
import { frameFeatures, type FrameFeatures } from './markers.ts';
import type { ProbeRecording } from './recording.ts';

/**
 * Every scalar figure, by name, with its unit. A rubric's `server.NAME` must be one of these.
 * Stable: add names, never rename.
 */
export const SERVER_FIGURE_NAMES = [
  // Whole window
  'windowSeconds', //        s   the window the probe meant to record (its --seconds)
  'startS', //               s   registration → first frame (how long the stream took to start)
  'lastFrameS', //           s   first frame → last frame received in the window
  'aliveS', //               s   seconds of the window with video flowing (stalls > 2 s excluded)
  'aliveRatio', //           1   aliveS / windowSeconds (1 = streamed the whole window)
  'longestStallMs', //       ms  longest time without a frame inside the window, to its end included
  // Video
  'framesReceived', //       1   frames received in total
  'framesInWindow', //       1   frames in the steady window (from 1 s after the first frame)
  'fps', //                  1/s frames per second over the steady window
  'sourceFps', //            1/s the clip's frame rate (ffprobe), the target
  'fpsErrorPct', //          %   (fps − sourceFps) / sourceFps × 100: too fast is as wrong as too slow
  'perSecondFpsMin', //      1/s fewest frames in a whole second of the steady window
  'perSecondFpsMax', //      1/s most frames in a whole second
  'jitterMs', //             ms  RFC 3550 interarrival jitter at the end of the window
  'jitterP50Ms', //          ms  median |D| (RFC 3550 D between consecutive frames)
  'jitterP99Ms', //          ms  99th percentile |D|
  'intervalP50Ms', //        ms  median gap between frames
  'intervalP99Ms', //        ms  99th percentile gap
  'freezeCount', //          1   W3C freezes (gap ≥ max(3 × mean, mean + 150 ms)), the gap to the window's end included
  'freezeTotalMs', //        ms  their total length
  'driftMaxMs', //           ms  largest |arrival − (first arrival + clip time)| after the initial offset
  'driftEndMs', //           ms  the same at the last frame, signed (+ = behind the wall clock)
  'framesMissing', //        1   clip frames never received between the first and last one received
  'framesRepeated', //       1   clip frames received more than once
  'datagrams', //            1   UDP datagrams received
  'garbageDatagrams', //     1   datagrams that were no frame of the wire
  'datagramsLost', //        1   framed: lost datagrams by sequence number (RFC 3550 A.3)
  'framesIncomplete', //     1   framed: frames given up with a fragment missing
  // Audio, under a real-time player with a bounded buffer
  'audioSeconds', //         s   sound received in total
  'audioStartS', //          s   registration → first sound
  'rate', //                 1   sound seconds per wall second over the window (1 = real time)
  'audioDriftMs', //         ms  sound delivered in the window minus its length (− = fell behind)
  'leadMaxMs', //            ms  most sound queued in the player
  'audioHeldBackPct', //     %   share of the window the player held the server back (buffer full)
  'audioUnderruns', //       1   times the player ran dry (≥ 1 ms) in the window
  'audioUnderrunMs', //      ms  total silence from running dry in the window
  'paced', //                bool the server paces its sound itself (held back ≤ 10 % of the window)
  // A/V, from the clip's identified markers (flash k with beep k)
  'avOffsetMs', //           ms  median (flash shown − beep played); + = picture late (ITU-R BT.1359)
  'avPairs', //              1   flash/beep pairs of the same second
  'avMaxAbsMs', //           ms  largest |offset|
  'avSpreadMs', //           ms  max − min offset (a changing offset = A/V drift)
  'avPtsOffsetMs', //        ms  framed: pts(flash) − pts(beep), what the server stamped
  'avTimestampOffsetMs', //  ms  framed: median video transit − median audio transit
] as const;

export type ServerFigureName = (typeof SERVER_FIGURE_NAMES)[number];

export type ServerFigureValues = { [K in ServerFigureName]: K extends 'paced' ? boolean : number };

export interface ServerFigures extends ServerFigureValues, Omit<VideoFigures, keyof ServerFigureValues>, Omit<AudioFigures, keyof ServerFigureValues> {
  wire: string;
  avSync: AvSync;
  /** Why a figure is NaN (or false for want of data), by name. */
  reasons: Partial<Record<ServerFigureName, string>>;
  /** The recording's own problem line, if any. */
  problem?: string;
}

const nan = Number.NaN;
/** A stall longer than this ends "alive" time. */
const STALL_MS = 2000;
/** Frames decoded for markers at most (a flood of tiny frames must not take minutes). */
const MAX_DECODED_FRAMES = 4000;

async function featuresOf(rec: ProbeRecording): Promise<Array<FrameFeatures | undefined>> {
  const out: Array<FrameFeatures | undefined> = new Array<FrameFeatures | undefined>(rec.frames.length).fill(undefined);
  const todo = rec.frames
    .map((f, i) => [f, i] as const)
    .filter(([f]) => f.jpeg)
    .slice(0, MAX_DECODED_FRAMES);
  // A few at a time: sharp runs them on its own threads.
  for (let k = 0; k < todo.length; k += 8) {
    await Promise.all(
      todo.slice(k, k + 8).map(async ([f, i]) => {
        try {
          out[i] = await frameFeatures(f.jpeg!);
        } catch {
          out[i] = undefined; // a JPEG sharp cannot decode has no markers
        }
      }),
    );
  }
  return out;
}

/** Clip frame numbers → missing and repeated counts; undefined when too few frames carry one. */
function frameNumberLoss(numbers: ReadonlyArray<number | undefined>): { missing: number; repeated: number } | undefined {
  const known = numbers.filter((n): n is number => n !== undefined);
  if (known.length < 3 || known.length < 0.9 * numbers.length) return undefined;
  const seen = new Set<number>();
  let repeated = 0;
  for (const n of known) {
    if (seen.has(n)) repeated += 1;
    seen.add(n);
  }
  const lo = Math.min(...known);
  const hi = Math.max(...known);
  return { missing: hi - lo + 1 - seen.size, repeated };
}

type Reasons = Partial<Record<ServerFigureName, string>>;

/** Whole-window figures and the freeze count with the tail gap to the window's end included. */
function wholeWindowFigures(rec: ProbeRecording, video: VideoFigures, reasons: Reasons) {
  const windowSeconds = rec.firstFrameMs !== undefined && rec.plannedEndMs !== undefined ? (rec.plannedEndMs - rec.firstFrameMs) / 1000 : nan;
  const first = rec.firstFrameMs;
  const windowEnd = rec.plannedEndMs ?? rec.endedMs;
  const inWindow = first === undefined ? [] : rec.frames.filter((f) => f.arrivalMs <= windowEnd);
  let longestStallMs = nan;
  let aliveS = nan;
  let lastFrameS = nan;
  if (first !== undefined && inWindow.length > 0) {
    const times = inWindow.map((f) => f.arrivalMs);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    gaps.push(windowEnd - times[times.length - 1]!); // to the window's end: a stream that stopped is stalled
    longestStallMs = Math.max(...gaps);
    const stalled = gaps.filter((g) => g > STALL_MS).reduce((a, b) => a + b, 0);
    aliveS = Math.max(0, (windowEnd - first - stalled) / 1000);
    lastFrameS = (times[times.length - 1]! - first) / 1000;
  } else {
    const why = rec.problem ?? 'no frame arrived';
    for (const k of ['windowSeconds', 'startS', 'lastFrameS', 'aliveS', 'aliveRatio', 'longestStallMs'] as const) reasons[k] = why;
  }
  // A stream that stops before the window ends leaves the picture frozen until it does: that last
  // gap is a freeze by the same W3C rule (the viewer cannot tell a dead stream from a stalled one).
  let freezeCount = video.freezeCount;
  let freezeTotalMs = video.freezeTotalMs;
  if (Number.isFinite(video.intervalP50Ms) && inWindow.length > 1) {
    const times = inWindow.map((f) => f.arrivalMs);
    const mean = (times[times.length - 1]! - times[0]!) / (times.length - 1);
    const tail = windowEnd - times[times.length - 1]!;
    if (tail >= Math.max(3 * mean, mean + 150)) {
      freezeCount += 1;
      freezeTotalMs += tail;
    }
  }
  const startS = first !== undefined && rec.registeredMs !== undefined ? (first - rec.registeredMs) / 1000 : nan;
  const aliveRatio = Number.isFinite(windowSeconds) && windowSeconds > 0 ? aliveS / windowSeconds : nan;
  return { windowEnd, figures: { freezeCount, freezeTotalMs, windowSeconds, startS, lastFrameS, aliveS, aliveRatio, longestStallMs } };
}

/** Loss: from the clip's frame numbers (any wire), else what the wire counts. */
function lossFigures(rec: ProbeRecording, numbers: ReadonlyArray<number | undefined>, reasons: Reasons) {
  const loss = frameNumberLoss(numbers);
  let framesMissing = nan;
  let framesRepeated = nan;
  if (loss) {
    framesMissing = loss.missing;
    framesRepeated = loss.repeated;
  } else if (rec.framesIncomplete !== undefined) {
    framesMissing = rec.framesIncomplete;
    reasons.framesRepeated = 'the clip has no frame numbers to find repeats by';
  } else {
    reasons.framesMissing = reasons.framesRepeated = 'the tutorial wire has no sequence numbers and the clip no frame numbers: loss cannot be counted';
  }
  if (rec.framesIncomplete === undefined) reasons.framesIncomplete = 'the tutorial wire sends a frame per datagram: nothing to be incomplete';
  if (rec.datagramsLost === undefined) reasons.datagramsLost = 'the tutorial wire has no sequence numbers (see framesMissing)';
  return {
    framesMissing,
    framesRepeated,
    datagrams: rec.datagrams,
    garbageDatagrams: rec.garbageDatagrams,
    datagramsLost: rec.datagramsLost ?? nan,
    framesIncomplete: rec.framesIncomplete ?? nan,
  };
}

/** Audio, over the same window (from 1 s after the first frame to the planned end). */
function audioFigures(rec: ProbeRecording, window: { warmupMs: number; windowEnd: number; bytesPerSecond: number }, reasons: Reasons) {
  const first = rec.firstFrameMs;
  const audioFrom = first !== undefined ? first + window.warmupMs : undefined;
  const audio = analyzeAudio(rec.audio, {
    bytesPerSecond: window.bytesPerSecond,
    ...(audioFrom !== undefined ? { fromMs: audioFrom } : {}),
    endMs: window.windowEnd,
    playout: rec.playout,
  });
  const firstSound = rec.audio.find((a) => a.bytes > 0);
  const audioStartS = firstSound && rec.registeredMs !== undefined ? (firstSound.arrivalMs - rec.registeredMs) / 1000 : nan;
  if (!firstSound) {
    const why = rec.audioError ?? (rec.connected ? 'no sound arrived on the TCP connection' : (rec.problem ?? 'the TCP connection failed'));
    for (const k of ['audioStartS', 'rate', 'audioDriftMs', 'leadMaxMs', 'audioHeldBackPct', 'audioUnderruns', 'audioUnderrunMs', 'paced'] as const)
      reasons[k] = why;
  } else if (!Number.isFinite(audio.rate)) {
    for (const k of ['rate', 'audioDriftMs', 'leadMaxMs', 'audioHeldBackPct', 'audioUnderruns', 'audioUnderrunMs', 'paced'] as const)
      reasons[k] = 'the window is too short (< 0.5 s) or no frame started it';
  }
  return { ...audio, audioStartS };
}

/** A/V: flash shown (tutorial: on arrival; framed: at max(arrival, its pts on the sound clock)) vs beep played. */
function avFigures(
  rec: ProbeRecording,
  features: ReadonlyArray<FrameFeatures | undefined>,
  o: { sourceFps: number; bytesPerSecond: number },
  reasons: Reasons,
) {
  const hs = rec.handshake;
  const clock = audioClock(rec.audio, o.bytesPerSecond / 1000);
  const candidates: FlashCandidate[] = [];
  rec.frames.forEach((f, i) => {
    const feat = features[i];
    if (!feat) return;
    const onClock = f.ptsUs !== undefined ? clock(f.ptsUs / 1000) : undefined;
    candidates.push({
      shownMs: onClock !== undefined ? Math.max(f.arrivalMs, onClock) : f.arrivalMs,
      luma: feat.luma,
      ...(f.ptsUs !== undefined ? { ptsMs: f.ptsUs / 1000 } : {}),
      ...(feat.number !== undefined ? { number: feat.number } : {}),
    });
  });
  const flashes = detectFlashes(candidates, o.sourceFps);
  const beeps = detectBeeps(
    rec.audio
      .filter((a) => a.pcm)
      .map((a) => ({ arrivalMs: a.arrivalMs, playMs: a.playMs, pcm: a.pcm!, ...(a.ptsUs !== undefined ? { ptsUs: a.ptsUs } : {}) })),
    { sampleRate: hs?.sampleRate || 44_100, channels: hs?.channels || 2 },
  );
  const avSync = pairMarkers(flashes, beeps);
  if (avSync.pairs === 0) for (const k of ['avOffsetMs', 'avMaxAbsMs', 'avSpreadMs', 'avPtsOffsetMs'] as const) reasons[k] = avSync.reason ?? 'no pairs';
  else if (!Number.isFinite(avSync.ptsOffsetMs)) reasons.avPtsOffsetMs = 'the tutorial wire has no timestamps';
  const avTimestampOffsetMs = timestampAvOffset(rec.frames, rec.audio);
  if (!Number.isFinite(avTimestampOffsetMs)) reasons.avTimestampOffsetMs = 'needs timestamps on both streams (framed wire)';
  return {
    avOffsetMs: avSync.offsetMs,
    avPairs: avSync.pairs,
    avMaxAbsMs: avSync.maxAbsMs,
    avSpreadMs: avSync.spreadMs,
    avPtsOffsetMs: avSync.ptsOffsetMs,
    avTimestampOffsetMs,
    avSync,
  };
}

export async function computeServerFigures(rec: ProbeRecording, opts: { sourceFps: number; warmupMs?: number }): Promise<ServerFigures> {
  const reasons: Reasons = {};
  const warmupMs = opts.warmupMs ?? 1000;
  const hs = rec.handshake;
  const bytesPerSecond = (hs?.sampleRate || 44_100) * (hs?.channels || 2) * 2;
  const features = await featuresOf(rec);
  const numbers = features.map((f) => f?.number);

  // Sender time S per frame: the wire's pts (framed), else the clip's own frame number when every
  // frame carries a readable one and they never run backwards (tutorial wire, demo clip), else n/fps.
  const numbered = numbers.length > 0 && numbers.every((n, i) => n !== undefined && (i === 0 || n >= numbers[i - 1]!));
  const arrivals: FrameArrival[] = rec.frames.map((f, i) => ({
    arrivalMs: f.arrivalMs,
    ...(f.ptsUs !== undefined ? { ptsUs: f.ptsUs } : numbered ? { ptsUs: Math.round((numbers[i]! * 1e6) / opts.sourceFps) } : {}),
  }));
  const video = analyzeVideo(arrivals, { sourceFps: opts.sourceFps, warmupMs });
  const whole = wholeWindowFigures(rec, video, reasons);

  // Video figures that need 3 frames in the steady window.
  if (!Number.isFinite(video.fps)) {
    const why = rec.frames.length === 0 ? (rec.problem ?? 'no frame arrived') : `only ${video.framesInWindow} frames after the first second`;
    for (const k of [
      'fps',
      'fpsErrorPct',
      'perSecondFpsMin',
      'perSecondFpsMax',
      'jitterMs',
      'jitterP50Ms',
      'jitterP99Ms',
      'intervalP50Ms',
      'intervalP99Ms',
      'freezeCount',
      'freezeTotalMs',
      'driftMaxMs',
      'driftEndMs',
    ] as const) {
      reasons[k] = why;
    }
  }
  const loss = lossFigures(rec, numbers, reasons);
  const audio = audioFigures(rec, { warmupMs, windowEnd: whole.windowEnd, bytesPerSecond }, reasons);
  const av = avFigures(rec, features, { sourceFps: opts.sourceFps, bytesPerSecond }, reasons);
  if (rec.truncated.length) reasons.framesReceived = `recording capped: ${rec.truncated.join(', ')}`;

  return {
    ...video,
    ...audio,
    wire: rec.wire,
    ...whole.figures,
    ...loss,
    ...av,
    reasons,
    ...(rec.problem ? { problem: rec.problem } : {}),
  };
}
