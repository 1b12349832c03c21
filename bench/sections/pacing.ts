/**
 * Pacing and sync: the server (child process, in the tutorial wire, the one whose pacing is compared with server.py's) measured from
 * outside by the grader's probe client on loopback, once per clip rate and pacing method.
 */
import { analyzeAudio, analyzeVideo } from '../../grader/measure/analysis.ts';
import { probeServer } from '../../grader/measure/probe.ts';
import { avTimelineOffset } from '../avtimeline.ts';
import { benchClip, epochMs, fpsOf, startServer, type ClipSpec } from '../launch.ts';
import { TreeSampler } from '../proc.ts';

export interface PacingResult {
  clipFps: number;
  clipRate: string;
  method: 'deadline' | 'tutorial';
  wire: 'tutorial';
  framesReceived: number;
  windowSeconds: number;
  fps: number;
  fpsErrorPct: number;
  intervalP50Ms: number;
  intervalP99Ms: number;
  jitterP50Ms: number;
  jitterP99Ms: number;
  /** RFC 3550 running J at the end. */
  jitterMs: number;
  driftMaxMs: number;
  driftEndMs: number;
  avOffsetStartMs: number;
  avOffsetEndMs: number;
  avOffsetMaxMs: number;
  audioRate: number;
  audioLeadMaxMs: number;
  serverCpuPct: number;
  serverPeakRssMb: number;
  problem?: string;
}

export interface PacingOptions {
  rate: string;
  method: 'deadline' | 'tutorial';
  seconds: number;
  log: (msg: string) => void;
}

/** 720p with audio, long enough for start-up + warm-up + the recording. */
export function pacingClip(rate: string, seconds: number): ClipSpec {
  // One length for --quick and full runs, so both share the cache.
  return { fps: rate, seconds: Math.max(14, Math.ceil(seconds + 4)), width: 1280, height: 720 };
}

export async function measurePacing(opts: PacingOptions): Promise<PacingResult> {
  const spec = pacingClip(opts.rate, opts.seconds);
  const file = await benchClip(spec, opts.log);
  const sourceFps = fpsOf(spec);
  const server = await startServer({ file, wire: 'tutorial', pacing: opts.method });
  const sampler = new TreeSampler(server.pid).start();
  try {
    const rec = await probeServer({
      host: server.host,
      videoPort: server.videoPort,
      audioPort: server.audioPort,
      wire: 'tutorial',
      seconds: opts.seconds,
      maxKeptJpegBytes: 0,
      maxKeptPcmBytes: 0,
    });
    sampler.stop();
    const video = analyzeVideo(rec.frames, { sourceFps, warmupMs: 1000 });
    const audio = analyzeAudio(rec.audio, { endMs: rec.endedMs, warmupMs: 1000 });
    const av = avTimelineOffset(rec.frames, rec.audio, { fps: sourceFps, warmupMs: 1000 });
    const from = rec.firstFrameMs !== undefined ? epochMs(rec.firstFrameMs + 1000) : Number.NaN;
    return {
      clipFps: Number(sourceFps.toFixed(3)),
      clipRate: opts.rate,
      method: opts.method,
      wire: 'tutorial',
      framesReceived: video.framesReceived,
      windowSeconds: video.windowSeconds,
      fps: video.fps,
      fpsErrorPct: video.fpsErrorPct,
      intervalP50Ms: video.intervalP50Ms,
      intervalP99Ms: video.intervalP99Ms,
      jitterP50Ms: video.jitterP50Ms,
      jitterP99Ms: video.jitterP99Ms,
      jitterMs: video.jitterMs,
      driftMaxMs: video.driftMaxMs,
      driftEndMs: video.driftEndMs,
      avOffsetStartMs: av.startMs,
      avOffsetEndMs: av.endMs,
      avOffsetMaxMs: av.maxAbsMs,
      audioRate: audio.rate,
      audioLeadMaxMs: audio.leadMaxMs,
      serverCpuPct: sampler.cpuPct(from, epochMs(rec.endedMs)),
      serverPeakRssMb: sampler.peakRssMb,
      ...(rec.problem ? { problem: rec.problem } : {}),
    };
  } finally {
    sampler.stop();
    await server.child.stop();
  }
}
