/**
 * Pure analysis of what the grader's probe client recorded: arrival times in, figures out.
 * Nothing here trusts a submission's own numbers — only when bytes arrived at our socket.
 *
 * Definitions (also in grader/README.md):
 * - "steady window": arrivals from `warmupMs` after the first frame to the end of the recording
 *   (the first second holds queue start-up bursts that say nothing about pacing).
 * - fps: (frames in window − 1) / (last − first arrival in window).
 * - per-second fps: frames counted in each whole 1 s slice of the steady window; min and max.
 * - jitter: RFC 3550 §6.4.1 / A.8 (J += (|D| − J)/16) with D = (Rj − Ri) − k(Sj − Si), where S is
 *   the frame's presentation time (framed wire) or n / sourceFps (tutorial wire, no timestamps),
 *   and k the sender's own mean pace (the least-squares slope of R over S): jitter is how
 *   unsteady the intervals are, so a steady sender at the wrong rate is charged once, by fps, not
 *   again here. jitterP99Ms is the 99th percentile of |D| — one late frame per 100 shows here, not in J.
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
    freezeCount: nan,
    freezeTotalMs: nan,
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

  // The sender's own pace (1 when it keeps the file's rate): steadiness is judged around it.
  const fitted = slope(
    window.map((_, i) => senderMs(i)),
    window.map((f) => f.arrivalMs),
  );
  const pace = Number.isFinite(fitted) && fitted > 0 ? fitted : 1;
  const jitter = new InterarrivalJitter();
  const absD: number[] = [];
  const intervals: number[] = [];
  const drift: number[] = [];
  for (let i = 0; i < window.length; i++) {
    const r = window[i]!.arrivalMs;
    jitter.observe(r, pace * senderMs(i) * 1000);
    drift.push(r - t0 - senderMs(i));
    if (i > 0) {
      const interval = r - window[i - 1]!.arrivalMs;
      intervals.push(interval);
      absD.push(Math.abs(interval - pace * (senderMs(i) - senderMs(i - 1))));
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

/** How the probe's real-time player fared (recording.ts AudioPlayoutRecord, the parts used here). */
export interface PlayoutFacts {
  maxAheadMs: number;
  aheadMaxMs: number;
  underruns: number;
  underrunMs: number;
  heldBack: ReadonlyArray<readonly [number, number]>;
}

export interface AudioFigures {
  /** Seconds of sound received in total. */
  audioSeconds: number;
  /** Sound seconds delivered per wall second over the window (least-squares slope; 1.0 = real time). */
  rate: number;
  /** Sound delivered in the window minus the window's length (net of the player's buffer level), ms: negative = fell behind. */
  audioDriftMs: number;
  /** Most sound queued ahead of the real-time player, ms (bounded by its read-ahead plus one read). */
  leadMaxMs: number;
  /** Share of the window the player held the server back (stopped reading: its buffer was full), %. */
  audioHeldBackPct: number;
  /** Times the player ran dry (≥ 1 ms: a click) within the window, and for how long in total (ms). */
  audioUnderruns: number;
  audioUnderrunMs: number;
  /**
   * The server paces its own sound: under a real-time player with a bounded buffer it was held
   * back (the buffer full, reading stopped) for at most 10 % of the window. A server that sends
   * as fast as TCP lets it and leaves the pacing to its client's back-pressure (the tutorial's
   * server.py with PyAudio's blocking write) is not paced, however well that client then plays.
   * Whether the sound keeps up is `rate`, `audioDriftMs` and `audioUnderrunMs`, judged apart.
   */
  paced: boolean;
}

export interface AnalyzeAudioOptions {
  /** 44100 Hz × 2 channels × 2 bytes = 176400 (the tutorial's format). */
  bytesPerSecond?: number;
  /** Start of the window (default: first chunk + warmupMs). */
  fromMs?: number;
  warmupMs?: number;
  /** End of the window (the planned end, so a server that stopped early reads low). */
  endMs?: number;
  playout?: PlayoutFacts;
}

/** Audio figures over [fromMs, endMs]; NaN (and paced false) when the window is under 0.5 s or no sound came. */
export function analyzeAudio(chunks: readonly AudioArrival[], opts: AnalyzeAudioOptions = {}): AudioFigures {
  const bps = opts.bytesPerSecond ?? 176_400;
  const total = chunks.reduce((sum, c) => sum + c.bytes, 0);
  const first = chunks.find((c) => c.bytes > 0);
  const none: AudioFigures = {
    audioSeconds: total / bps,
    rate: nan,
    audioDriftMs: nan,
    leadMaxMs: nan,
    audioHeldBackPct: nan,
    audioUnderruns: nan,
    audioUnderrunMs: nan,
    paced: false,
  };
  if (!first) return { ...none, rate: 0 };
  const fromMs = opts.fromMs ?? first.arrivalMs + (opts.warmupMs ?? 1000);
  const endMs = opts.endMs ?? chunks[chunks.length - 1]!.arrivalMs;
  const windowMs = endMs - fromMs;
  if (!(windowMs > 500)) return none;
  // Cumulative sound vs time inside the window, as points (t, seconds received so far).
  let received = 0;
  const ts: number[] = [fromMs];
  const ys: number[] = [0];
  for (const c of chunks) {
    if (c.arrivalMs < fromMs || c.arrivalMs > endMs || c.bytes === 0) continue;
    received += c.bytes;
    ts.push(c.arrivalMs);
    ys.push((received / bps) * 1000);
  }
  ts.push(endMs);
  ys.push((received / bps) * 1000);
  const rate = slope(ts, ys);
  // Without a playout record (an old recording), lead is received-so-far minus elapsed.
  let leadMaxMs = opts.playout?.aheadMaxMs ?? 0;
  if (!opts.playout) {
    let soFar = 0;
    for (const c of chunks) {
      leadMaxMs = Math.max(leadMaxMs, (soFar / bps) * 1000 - (c.arrivalMs - first.arrivalMs));
      soFar += c.bytes;
    }
  }
  let heldMs = 0;
  for (const [a, b] of opts.playout?.heldBack ?? []) heldMs += Math.max(0, Math.min(b, endMs) - Math.max(a, fromMs));
  // Underruns inside the window: the player's record counts over the whole run; recount from arrivals.
  let underruns = 0;
  let underrunMs = 0;
  let playEnd = Number.NEGATIVE_INFINITY;
  for (const c of chunks) {
    if (c.bytes === 0) continue;
    const gap = c.arrivalMs - playEnd;
    if (c.arrivalMs >= fromMs && Number.isFinite(playEnd) && gap >= UNDERRUN_MIN_MS) {
      underruns += 1;
      underrunMs += gap;
    }
    playEnd = Math.max(c.arrivalMs, playEnd) + (c.bytes / bps) * 1000;
  }
  // Sound that ran out before the window's end is silence the listener hears, too.
  if (playEnd < endMs && Number.isFinite(playEnd)) {
    underruns += 1;
    underrunMs += endMs - Math.max(playEnd, fromMs);
  }
  // Drift: sound delivered in the window beyond its length, less what merely filled the player's
  // buffer (a held-back reader takes sound in bursts of one socket read, ±0.4 s at either end).
  const queued = (t: number): number => {
    let end = Number.NEGATIVE_INFINITY;
    for (const c of chunks) {
      if (c.arrivalMs > t) break;
      if (c.bytes > 0) end = Math.max(c.arrivalMs, end) + (c.bytes / bps) * 1000;
    }
    return Number.isFinite(end) ? Math.max(0, end - t) : 0;
  };
  const audioDriftMs = (received / bps) * 1000 - windowMs - (queued(endMs) - queued(fromMs));
  return {
    audioSeconds: total / bps,
    rate,
    audioDriftMs,
    leadMaxMs,
    audioHeldBackPct: opts.playout ? (heldMs / windowMs) * 100 : nan,
    audioUnderruns: underruns,
    audioUnderrunMs: underrunMs,
    paced: opts.playout
      ? received > 0 && (heldMs / windowMs) * 100 <= MAX_HELD_BACK_PCT
      : received > 0 && leadMaxMs <= 1500 && Number.isFinite(rate) && Math.abs(rate - 1) <= 0.05,
  };
}

/** A gap shorter than this is timer noise; longer is a click or a silence the listener hears. */
const UNDERRUN_MIN_MS = 1;

/** A self-pacing server never fills a 1-s player buffer; allow a few bursts (10 % of the window). */
const MAX_HELD_BACK_PCT = 10;

/** Least-squares slope of y over t. */
function slope(ts: readonly number[], ys: readonly number[]): number {
  const n = ts.length;
  if (n < 2) return nan;
  const mt = ts.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (ts[i]! - mt) * (ys[i]! - my);
    den += (ts[i]! - mt) ** 2;
  }
  return den > 0 ? num / den : nan;
}

/**
 * A/V offset from the wire's timestamps (framed only): how far video is sent behind audio, i.e.
 * median(video arrival − pts) − median(audio arrival − pts), ms. Includes the server's audio lead.
 */
export function timestampAvOffset(frames: readonly FrameArrival[], audio: ReadonlyArray<{ arrivalMs: number; ptsUs?: number }>): number {
  const v = frames.filter((f) => f.ptsUs !== undefined).map((f) => f.arrivalMs - f.ptsUs! / 1000);
  const a = audio.filter((c) => c.ptsUs !== undefined).map((c) => c.arrivalMs - c.ptsUs! / 1000);
  if (v.length === 0 || a.length === 0) return nan;
  return percentile(v, 50) - percentile(a, 50);
}
