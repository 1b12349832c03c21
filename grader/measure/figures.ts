/**
 * From a probe recording to the figures the rubric scores (measured.server in the JSON report).
 */
import { analyzeAudio, analyzeVideo, timestampAvOffset, type AudioFigures, type VideoFigures } from './analysis.ts';
import { detectBeeps, detectFlashes, jpegLuma, pairMarkers, type AvSync } from './avsync.ts';
import type { ProbeRecording } from './probe.ts';

export interface ServerFigures extends VideoFigures, AudioFigures {
  wire: string;
  /** True A/V sync from flash/beep pairs (ms, picture late = positive); NaN without pairs. */
  avOffsetMs: number;
  avSync: AvSync;
  /** framed only: median video transit − median audio transit (includes the server's audio lead). */
  avTimestampOffsetMs: number;
  datagrams: number;
  garbageDatagrams: number;
  datagramsLost: number;
  framesIncomplete: number;
  problem?: string;
}

export async function computeServerFigures(rec: ProbeRecording, opts: { sourceFps: number; warmupMs?: number }): Promise<ServerFigures> {
  const hs = rec.handshake;
  // The handshake's fps is the server's claim; we score against the clip we gave it (opts.sourceFps).
  const video = analyzeVideo(rec.frames, { sourceFps: opts.sourceFps, warmupMs: opts.warmupMs ?? 1000 });
  const audio = analyzeAudio(rec.audio, { endMs: rec.endedMs, warmupMs: opts.warmupMs ?? 1000 });
  const lumas: number[] = [];
  const withJpeg = rec.frames.filter((f) => f.jpeg);
  for (const f of withJpeg) {
    try {
      lumas.push(await jpegLuma(f.jpeg!));
    } catch {
      lumas.push(Number.NaN); // a JPEG sharp cannot decode is not a flash
    }
  }
  const flashes = detectFlashes(
    withJpeg.filter((_, i) => Number.isFinite(lumas[i])),
    lumas.filter((l) => Number.isFinite(l)),
  );
  const beeps = detectBeeps(
    rec.audio.filter((a) => a.pcm).map((a) => ({ arrivalMs: a.arrivalMs, playMs: a.playMs, pcm: a.pcm!, ...(a.ptsUs !== undefined ? { ptsUs: a.ptsUs } : {}) })),
    { sampleRate: hs?.sampleRate || 44100, channels: hs?.channels || 2 },
  );
  const basis = rec.wire === 'framed' ? 'pts' : 'arrival';
  const avSync = pairMarkers(flashes, beeps, basis);
  return {
    ...video,
    ...audio,
    wire: rec.wire,
    avOffsetMs: avSync.offsetMs,
    avSync,
    avTimestampOffsetMs: timestampAvOffset(rec.frames, rec.audio),
    datagrams: rec.datagrams,
    garbageDatagrams: rec.garbageDatagrams,
    datagramsLost: rec.datagramsLost ?? Number.NaN,
    framesIncomplete: rec.framesIncomplete ?? Number.NaN,
    ...(rec.problem ? { problem: rec.problem } : {}),
  };
}
