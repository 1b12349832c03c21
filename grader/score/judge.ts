/**
 * Whole-window judgement: a server is scored on the whole measurement window, never on the part it
 * happened to be alive for. A stream that never starts, ends before the window closes, or stalls
 * longer than STALL_LIMIT_MS gets no figure from that window (so every quality item it could not be
 * measured on scores 0 with the reason), and "streams video and audio" needs both.
 */
import type { ServerFigures } from '../measure/server-figures.ts';
import type { Figures, StreamFigures } from './figure-record.ts';

/** A gap this long is a stall, not jitter: a viewer sees the picture stop (about 60 frames at 30 fps). */
export const STALL_LIMIT_MS = 2000;

/** Sound needed to count as "streams audio": a quarter of the window, at most 1 s. */
export function minAudioSeconds(windowS: number): number {
  return Math.min(1, windowS / 4);
}

export interface StreamEvidence {
  /** Arrival times of the frames, ms (performance.now()). */
  frameArrivalsMs: readonly number[];
  /** When the probe stopped recording, ms. */
  endedMs: number;
  /** The window asked for, s (from the first frame). */
  windowS: number;
  /** Seconds of sound received. */
  audioSeconds: number;
  /** When the server process exited (ms, same clock), with its last output lines. */
  serverExit?: { atMs: number; startedMs: number; how: string; tail: string };
  /** Why no frame arrived, from the probe. */
  probeProblem?: string;
}

function exitText(e: NonNullable<StreamEvidence['serverExit']>): string {
  const after = ((e.atMs - e.startedMs) / 1000).toFixed(1);
  return `server exited after ${after} s (${e.how})${e.tail ? `: ${e.tail}` : ''}`;
}

/** Judges one recording against the whole window. */
export function judgeStream(ev: StreamEvidence): StreamFigures {
  const t = ev.frameArrivalsMs;
  const audio = ev.audioSeconds >= minAudioSeconds(ev.windowS);
  const noAudio = audio ? undefined : `no sound arrived (${ev.audioSeconds.toFixed(1)} s of audio in a ${ev.windowS} s window)`;
  if (t.length === 0) {
    const reason = ev.serverExit ? exitText(ev.serverExit) : `the stream never started: ${ev.probeProblem ?? 'no frame arrived'}`;
    return { video: false, audio, ok: false, videoSeconds: 0, longestGapS: 0, reason };
  }
  const first = t[0]!;
  const windowEnd = first + ev.windowS * 1000;
  // The gap after the last frame runs to the window's end (or to when recording stopped, if earlier).
  const end = Math.min(windowEnd, Math.max(ev.endedMs, t[t.length - 1]!));
  let longest = 0;
  let at = 0;
  for (let i = 1; i < t.length; i++) {
    if (t[i]! - t[i - 1]! > longest) {
      longest = t[i]! - t[i - 1]!;
      at = t[i - 1]! - first;
    }
  }
  const tailGap = end - t[t.length - 1]!;
  const lastS = (t[t.length - 1]! - first) / 1000;
  const cutShort = ev.endedMs < windowEnd - STALL_LIMIT_MS;
  let reason: string | undefined;
  if (ev.serverExit && ev.serverExit.atMs < windowEnd)
    reason = `${exitText(ev.serverExit)}; the last frame came ${lastS.toFixed(1)} s into a ${ev.windowS} s window`;
  else if (tailGap > STALL_LIMIT_MS || cutShort) reason = `the stream stopped ${lastS.toFixed(1)} s into a ${ev.windowS} s window`;
  else if (longest > STALL_LIMIT_MS)
    reason = `the stream stalled for ${(longest / 1000).toFixed(1)} s at ${(at / 1000).toFixed(1)} s (limit ${STALL_LIMIT_MS / 1000} s)`;
  const video = reason === undefined;
  return {
    video,
    audio,
    ok: video && audio,
    videoSeconds: lastS,
    longestGapS: Math.max(longest, tailGap) / 1000,
    ...((reason ?? noAudio) ? { reason: reason ?? noAudio } : {}),
  };
}

/** Figures that need sound (unmeasurable without it). */
const AUDIO_FIGURES = new Set([
  'server.audioSeconds',
  'server.audioStartS',
  'server.rate',
  'server.audioDriftMs',
  'server.leadMaxMs',
  'server.audioHeldBackPct',
  'server.audioUnderruns',
  'server.audioUnderrunMs',
  'server.paced',
  'server.avOffsetMs',
  'server.avPairs',
  'server.avMaxAbsMs',
  'server.avSpreadMs',
  'server.avPtsOffsetMs',
  'server.avTimestampOffsetMs',
]);

/**
 * Why each figure cannot be scored: every server figure when the video did not cover the window,
 * the sound figures when no sound came, A/V when no flash/beep pair was found, and whatever the
 * probe itself could not measure (its `reasons`). Keyed by figure name.
 */
export function unmeasurable(f: Figures): Map<string, string> {
  const why = new Map<string, string>();
  const s = f.stream;
  const server = f.server as (ServerFigures & Record<string, unknown>) | null;
  if (!server) return why;
  for (const [key, reason] of Object.entries(server.reasons ?? {})) if (reason) why.set(`server.${key}`, reason);
  if (!s) return why;
  for (const key of Object.keys(server)) {
    const name = `server.${key}`;
    if (!s.video) why.set(name, s.reason ?? 'the stream did not cover the window');
    else if (!s.audio && AUDIO_FIGURES.has(name)) why.set(name, s.reason ?? 'no sound arrived');
  }
  if (s.video && s.audio && !(server.avSync.pairs > 0))
    why.set('server.avOffsetMs', server.avSync.reason ?? 'no flash/beep pair was found in picture and sound');
  return why;
}
