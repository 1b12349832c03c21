/**
 * When to show each received frame (framed wire): against a master clock in stream time, as ffplay
 * and VLC do with the audio clock as master. Pure: the caller says what the master clock reads.
 *
 * - A frame whose pts is ahead of the master clock waits (early frames are held, sorted by pts).
 * - A frame that is due is shown; if it is more than `lateThresholdUs` (default one frame) behind the
 *   clock it is dropped instead and counted late, so the picture catches up rather than lagging.
 * - A frame older than one already shown can never be shown (the picture never goes backwards): late.
 */

export interface TimedFrame {
  readonly frameId: number;
  readonly ptsUs: number;
  readonly jpeg: Buffer;
  /** Clock time (ms) the frame was complete at the receiver. */
  readonly arrivalMs: number;
}

export interface SchedulerOptions {
  /** Nominal frame duration (µs) = 1e6 · fpsDen / fpsNum. */
  readonly frameDurationUs: number;
  /** A due frame further behind the clock than this is dropped as late. Default: one frame duration. */
  readonly lateThresholdUs?: number;
  /** A frame this close before its time (µs) is shown now rather than waited for. Default 1000 (1 ms, a timer's granularity). */
  readonly earlyToleranceUs?: number;
  /** Frames held waiting at most; beyond, the oldest are dropped as late (a stalled clock must not grow memory). Default 120. */
  readonly maxQueued?: number;
}

export class FrameScheduler {
  readonly #lateThresholdUs: number;
  readonly #earlyToleranceUs: number;
  readonly #maxQueued: number;
  #queue: TimedFrame[] = [];
  #lastShownPtsUs: number | undefined;
  #late = 0;

  constructor(opts: SchedulerOptions) {
    if (!(opts.frameDurationUs > 0)) throw new RangeError(`FrameScheduler: frameDurationUs must be > 0, got ${opts.frameDurationUs}`);
    this.#lateThresholdUs = opts.lateThresholdUs ?? opts.frameDurationUs;
    this.#earlyToleranceUs = opts.earlyToleranceUs ?? 1000;
    this.#maxQueued = opts.maxQueued ?? 120;
  }

  /** Frames dropped as late so far. */
  get framesLate(): number {
    return this.#late;
  }

  /** Frames waiting for their time. */
  get queued(): number {
    return this.#queue.length;
  }

  /** pts of the newest frame shown, undefined before the first. */
  get lastShownPtsUs(): number | undefined {
    return this.#lastShownPtsUs;
  }

  /** Adds a received frame. Returns false (and counts it late) if it can never be shown. */
  push(frame: TimedFrame): boolean {
    if (this.#lastShownPtsUs !== undefined && frame.ptsUs <= this.#lastShownPtsUs) {
      this.#late += 1;
      return false;
    }
    // Frames almost always arrive in order: insert from the back.
    let i = this.#queue.length;
    while (i > 0 && this.#queue[i - 1]!.ptsUs > frame.ptsUs) i -= 1;
    if (i > 0 && this.#queue[i - 1]!.ptsUs === frame.ptsUs) return false; // same frame twice
    this.#queue.splice(i, 0, frame);
    while (this.#queue.length > this.#maxQueued) {
      this.#queue.shift();
      this.#late += 1;
    }
    return true;
  }

  /**
   * What to do now that the master clock reads `masterPtsUs`: the frame to show (the newest due one
   * within the late threshold), if any. Due frames that are too late, or superseded by a newer due
   * frame, are dropped and counted late.
   */
  poll(masterPtsUs: number): TimedFrame | undefined {
    let show: TimedFrame | undefined;
    while (this.#queue.length > 0 && this.#queue[0]!.ptsUs <= masterPtsUs + this.#earlyToleranceUs) {
      const frame = this.#queue.shift()!;
      if (masterPtsUs - frame.ptsUs > this.#lateThresholdUs) {
        this.#late += 1;
        continue;
      }
      if (show) this.#late += 1;
      show = frame;
    }
    if (show) this.#lastShownPtsUs = show.ptsUs;
    return show;
  }

  /** µs of stream time until the next held frame is due (≤ 0: due now), undefined when none waits. */
  untilNextUs(masterPtsUs: number): number | undefined {
    const head = this.#queue[0];
    return head === undefined ? undefined : head.ptsUs - this.#earlyToleranceUs - masterPtsUs;
  }

  /** Forgets every waiting frame (e.g. at shutdown). */
  clear(): void {
    this.#queue = [];
  }
}

/**
 * The master clock in stream time (µs). Audio is master while it advances: `audioPtsUs()` is the
 * player's pts of the sample being heard now. Before sound starts, when the file has none, or when
 * sound stalls (underrun, or the audio track is shorter than the video) for more than `stallMs`,
 * the clock runs free on the monotonic clock from its last anchor (the last audio reading, or the
 * first frame's pts at its arrival).
 */
export class MasterClock {
  readonly #audioPtsUs: (() => number | undefined) | undefined;
  readonly #stallMs: number;
  #anchor: { ptsUs: number; atMs: number } | undefined;
  #lastAudioPtsUs: number | undefined;

  constructor(opts: { audioPtsUs?: () => number | undefined; stallMs?: number } = {}) {
    this.#audioPtsUs = opts.audioPtsUs;
    this.#stallMs = opts.stallMs ?? 150;
  }

  /** Anchors the free-running clock at the first frame (no-op once anchored). */
  anchor(ptsUs: number, atMs: number): void {
    if (!this.#anchor) this.#anchor = { ptsUs, atMs };
  }

  /** Which clock answered the last read. */
  source: 'audio' | 'free' | 'none' = 'none';

  /**
   * Stream time now (µs), or undefined before any anchor or sound. Between changes of the audio
   * reading (a player may report per chunk) the clock advances from the last reading in real time.
   */
  read(nowMs: number): number | undefined {
    const audio = this.#audioPtsUs?.();
    if (audio !== undefined && audio !== this.#lastAudioPtsUs) {
      this.#lastAudioPtsUs = audio;
      this.#anchor = { ptsUs: audio, atMs: nowMs };
      this.source = 'audio';
      return audio;
    }
    if (!this.#anchor) {
      this.source = 'none';
      return undefined;
    }
    const sinceMs = nowMs - this.#anchor.atMs;
    this.source = audio !== undefined && sinceMs < this.#stallMs ? 'audio' : 'free';
    return this.#anchor.ptsUs + sinceMs * 1000;
  }
}
