/**
 * Pure analysis of what the grader's probe client recorded: arrival times in, figures out.
 * Nothing here trusts a submission's own numbers — only when bytes arrived at our socket.
 *
 * Definitions (also in grader/README.md):
 * - "steady window": arrivals from `warmupMs` after the first frame to the end of the recording
 *   (the first second holds queue start-up bursts that say nothing about pacing).
 * - fps: (frames in window − 1) / (last − first arrival in window).
 * - per-second fps: frames counted in each whole 1 s slice of the steady window; min and max.
 * - jitter: RFC 3550 §6.4.1 / A.8 (J += (|D| − J)/16) with D = (Rj − Ri) − (Sj − Si), where S is
 *   the frame's presentation time (framed wire) or n / sourceFps (tutorial wire, no timestamps).
 *   jitterP99Ms is the 99th percentile of |D| — one late frame per 100 shows here, not in J.
 * - freezes: W3C webrtc-stats (gap ≥ max(3 × mean, mean + 150 ms)), via src/timing/stats.
 * - drift: R_n − (R_0 + S_n − S_0), minus the median of the first 10 values (the initial offset),
 *   max |·| over the window: how far the sender wandered from the wall clock.
 */
import { InterarrivalJitter, detectFreezes, percentile } from '../../src/timing/stats.ts';

export interface FrameArrival {
  /** performance.now() when the frame was complete at the probe (last fragment), ms. */
  arrivalMs: number;
  /** Presentation time from the wire (framed only), µs. */
  ptsUs?: number;
}

export interface VideoFigures {
  framesReceived: number;
  framesInWindow: number;
  windowSeconds: number;
  fps: number;
  sourceFps: number;
  /** (fps − sourceFps) / sourceFps × 100. */
  fpsErrorPct: number;
  perSecondFpsMin: number;
  perSecondFpsMax: number;
  /** RFC 3550 running jitter at the end of the window, ms. */
  jitterMs: number;
  jitterP50Ms: number;
  jitterP99Ms: number;
  intervalP50Ms: number;
  intervalP99Ms: number;
  freezeCount: number;
  freezeTotalMs: number;
  driftMaxMs: number;
  /** Drift of the last frame (signed): positive = the sender fell behind the wall clock. */
  driftEndMs: number;
}

export interface AnalyzeVideoOptions {
  sourceFps: number;
  /** Arrivals this long after the first frame are ignored as start-up (default 1000 ms). */
  warmupMs?: number;
  /** Use the wire's pts as S (framed) instead of n / sourceFps (default: when every frame has pts). */
  usePts?: boolean;
}

const nan = Number.NaN;

/** Video figures over the steady window; NaN figures when fewer than 3 frames arrived there. */
export function analyzeVideo(frames: readonly FrameArrival[], opts: AnalyzeVideoOptions): VideoFigures {
  const warmupMs = opts.warmupMs ?? 1000;
  const sourceFps = opts.sourceFps;
  const first = frames[0];
  const window = first ? frames.filter((f) => f.arrivalMs >= first.arrivalMs + warmupMs) : [];
  const usePts = opts.usePts ?? (window.length > 0 && window.every((f) => f.ptsUs !== undefined));
  const empty: VideoFigures = {
    framesReceived: frames.length,
    framesInWindow: window.length,
    windowSeconds: 0,
    fps: nan,
    sourceFps,
    fpsErrorPct: nan,
    perSecondFpsMin: nan,
    perSecondFpsMax: nan,
    jitterMs: nan,
    jitterP50Ms: nan,
    jitterP99Ms: nan,
    intervalP50Ms: nan,
    intervalP99Ms: nan,
    freezeCount: 0,
    freezeTotalMs: 0,
    driftMaxMs: nan,
    driftEndMs: nan,
  };
  if (window.length < 3) return empty;

  const t0 = window[0]!.arrivalMs;
  const tN = window[window.length - 1]!.arrivalMs;
  const span = tN - t0;
  const fps = span > 0 ? ((window.length - 1) * 1000) / span : nan;

  // Per-second counts over whole seconds of the window only (a partial last slice would read low).
  const wholeSeconds = Math.floor(span / 1000);
  let perMin = nan;
  let perMax = nan;
  if (wholeSeconds >= 1) {
    const counts = new Array<number>(wholeSeconds).fill(0);
    for (const f of window) {
      const slot = Math.floor((f.arrivalMs - t0) / 1000);
      if (slot < wholeSeconds) counts[slot]! += 1;
    }
    perMin = Math.min(...counts);
    perMax = Math.max(...counts);
  }

  // Sender timeline S in ms, relative to the window's first frame.
  const s0 = usePts ? window[0]!.ptsUs! / 1000 : 0;
  const senderMs = (i: number): number => (usePts ? window[i]!.ptsUs! / 1000 - s0 : (i * 1000) / sourceFps);

  const jitter = new InterarrivalJitter();
  const absD: number[] = [];
  const intervals: number[] = [];
  const drift: number[] = [];
  for (let i = 0; i < window.length; i++) {
    const r = window[i]!.arrivalMs;
    jitter.observe(r, senderMs(i) * 1000);
    drift.push(r - t0 - senderMs(i));
    if (i > 0) {
      const interval = r - window[i - 1]!.arrivalMs;
      intervals.push(interval);
      absD.push(Math.abs(interval - (senderMs(i) - senderMs(i - 1))));
    }
  }
  const initial = percentile(drift.slice(0, 10), 50);
  const driftMaxMs = Math.max(...drift.map((d) => Math.abs(d - initial)));
  const freezes = detectFreezes(window.map((f) => f.arrivalMs));
  return {
    ...empty,
    windowSeconds: span / 1000,
    fps,
    fpsErrorPct: ((fps - sourceFps) / sourceFps) * 100,
    perSecondFpsMin: perMin,
    perSecondFpsMax: perMax,
    jitterMs: jitter.jitterMs,
    jitterP50Ms: percentile(absD, 50),
    jitterP99Ms: percentile(absD, 99),
    intervalP50Ms: percentile(intervals, 50),
    intervalP99Ms: percentile(intervals, 99),
    freezeCount: freezes.count,
    freezeTotalMs: freezes.totalMs,
    driftMaxMs,
    driftEndMs: drift[drift.length - 1]! - initial,
  };
}

export interface AudioArrival {
  arrivalMs: number;
  /** PCM bytes in this message (s16le interleaved). */
  bytes: number;
}

export interface AudioFigures {
  /** Seconds of sound received in total. */
  audioSeconds: number;
  /** Sound seconds received per wall second over the steady window (1.0 = real time). */
  rate: number;
  /** Largest lead of received sound over elapsed wall time since the first chunk, ms. */
  leadMaxMs: number;
  /** Whether the server paces audio at all (an unpaced server dumps the file at TCP speed). */
  paced: boolean;
}

export interface AnalyzeAudioOptions {
  /** 44100 Hz × 2 channels × 2 bytes = 176400 (the tutorial's format). */
  bytesPerSecond?: number;
  warmupMs?: number;
  /** End of the recording (performance.now()), so a server that stopped early reads low. */
  endMs?: number;
  /** Allowed lead before we call it unpaced (default 1500 ms: a few chunks of lead are normal). */
  maxLeadMs?: number;
}

export function analyzeAudio(chunks: readonly AudioArrival[], opts: AnalyzeAudioOptions = {}): AudioFigures {
  const bps = opts.bytesPerSecond ?? 176_400;
  const warmupMs = opts.warmupMs ?? 1000;
  const maxLeadMs = opts.maxLeadMs ?? 1500;
  const total = chunks.reduce((sum, c) => sum + c.bytes, 0);
  const first = chunks[0];
  if (!first) return { audioSeconds: 0, rate: 0, leadMaxMs: 0, paced: false };
  const endMs = opts.endMs ?? chunks[chunks.length - 1]!.arrivalMs;
  let received = 0;
  let leadMaxMs = 0;
  for (const c of chunks) {
    received += c.bytes;
    // Lead = sound received so far (before this chunk plays) minus wall time elapsed since the first one.
    const lead = ((received - c.bytes) / bps) * 1000 - (c.arrivalMs - first.arrivalMs);
    if (lead > leadMaxMs) leadMaxMs = lead;
  }
  const from = first.arrivalMs + warmupMs;
  const windowBytes = chunks.filter((c) => c.arrivalMs >= from).reduce((s, c) => s + c.bytes, 0);
  const windowS = (endMs - from) / 1000;
  const rate = windowS > 0.5 ? windowBytes / bps / windowS : nan;
  const paced = leadMaxMs <= maxLeadMs && Number.isFinite(rate) && Math.abs(rate - 1) <= 0.05;
  return { audioSeconds: total / bps, rate, leadMaxMs, paced };
}

/**
 * A/V offset from the wire's timestamps (framed only): how far video is sent behind audio, i.e.
 * median(video arrival − pts) − median(audio arrival − pts), ms. Includes the server's audio lead.
 */
export function timestampAvOffset(
  frames: readonly FrameArrival[],
  audio: ReadonlyArray<{ arrivalMs: number; ptsUs?: number }>,
): number {
  const v = frames.filter((f) => f.ptsUs !== undefined).map((f) => f.arrivalMs - f.ptsUs! / 1000);
  const a = audio.filter((c) => c.ptsUs !== undefined).map((c) => c.arrivalMs - c.ptsUs! / 1000);
  if (v.length === 0 || a.length === 0) return nan;
  return percentile(v, 50) - percentile(a, 50);
}
