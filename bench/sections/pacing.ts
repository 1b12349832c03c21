/**
 * Pacing and sync: a sender (child process, tutorial wire) measured from outside by the grader's
 * probe client on loopback, once per clip rate and sender: avsock with deadline pacing, avsock
 * emulating the tutorial's loop, the bare floor sender, and the tutorial's real server.py.
 * avsock's deadline runs also write the send trace, from which the tail is attributed.
 */
import { parseJson } from '../../src/json.ts';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { analyzeAudio, analyzeVideo } from '../../grader/measure/analysis.ts';
import { probeServer } from '../../grader/measure/probe-client.ts';
import { SenderTraceSchema } from '../../src/server/send-trace.ts';
import { attributeRun, type RunTail } from '../attribution.ts';
import { avTimelineOffset } from '../avtimeline.ts';
import { benchClip, epochMs, fpsOf, type ClipSpec } from '../start-programs.ts';
import { TreeSampler } from '../proc.ts';
import { startSender, type Method } from '../senders.ts';

export interface PacingResult {
  clipFps: number;
  clipRate: string;
  method: Method;
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
  /** avsock deadline runs with a send trace: where this run's tail came from. */
  tail?: RunTail;
  problem?: string;
}

export interface PacingOptions {
  rate: string;
  method: Method;
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
  const dir = opts.method === 'deadline' ? await mkdtemp(join(os.tmpdir(), 'avsock-bench-trace-')) : undefined;
  const traceFile = dir ? join(dir, 'trace.json') : undefined;
  const server = await startSender({
    method: opts.method,
    file,
    fps: opts.rate,
    wire: 'tutorial',
    seconds: opts.seconds + 3,
    ...(traceFile ? { traceFile } : {}),
  });
  const sampler = new TreeSampler(server.pid).start();
  let stopped = false;
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
    let tail: RunTail | undefined;
    if (traceFile) {
      stopped = true;
      await server.stop(); // the server writes its trace as it closes
      try {
        const trace = parseJson(await readFile(traceFile, 'utf8'), SenderTraceSchema, 'the send trace');
        tail = attributeRun(
          rec.frames.map((f) => epochMs(f.arrivalMs)),
          trace,
          1000,
        );
      } catch (error) {
        opts.log(`no send trace from the server (${(error as Error).message}): tail not attributed`);
      }
    }
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
      ...(tail ? { tail } : {}),
      ...(rec.problem ? { problem: rec.problem } : {}),
    };
  } finally {
    sampler.stop();
    if (!stopped) await server.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
