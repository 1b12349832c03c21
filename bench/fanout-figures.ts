/**
 * What each fan-out client reports, whichever receiver measured it (a Node probe in
 * fanout-worker.ts, or a Python receiver with kernel timestamps): the same video figures from the
 * same analysis, so the two kinds of receiver compare line for line.
 */
import { analyzeVideo, type FrameArrival } from '../grader/measure/analysis.ts';

export interface FanoutProbeResult {
  framesReceived: number;
  fpsErrorPct: number;
  jitterP50Ms: number;
  jitterP99Ms: number;
  driftMaxMs: number;
  datagramsLost: number;
  framesIncomplete: number;
  /** Epoch ms of the first frame and of the end of recording (to cut the server's CPU window). */
  firstFrameEpochMs: number;
  endedEpochMs: number;
  problem?: string;
}

/** The figures every receiver gets from its frame arrivals (the first second is warm-up). */
type ReceiverCounts = Omit<FanoutProbeResult, 'framesReceived' | 'fpsErrorPct' | 'jitterP50Ms' | 'jitterP99Ms' | 'driftMaxMs'>;

export function fanoutResult(frames: readonly FrameArrival[], sourceFps: number, counts: ReceiverCounts): FanoutProbeResult {
  const v = analyzeVideo(frames, { sourceFps, warmupMs: 1000 });
  return {
    framesReceived: v.framesReceived,
    fpsErrorPct: v.fpsErrorPct,
    jitterP50Ms: v.jitterP50Ms,
    jitterP99Ms: v.jitterP99Ms,
    driftMaxMs: v.driftMaxMs,
    ...counts,
  };
}
