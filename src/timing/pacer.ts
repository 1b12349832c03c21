/**
 * When to send the next item.
 *
 * DeadlinePacer (default): item with presentation time `pts` is due at t0 + pts on the monotonic
 * clock. Each deadline is computed from t0, never from the previous send, so a late item does not
 * push the later ones back: lateness never accumulates.
 *
 * TutorialPacer (`--pacing tutorial`): the tutorial's server.py loop, kept for comparison. After each
 * frame it measures fps over `frames_to_count = 1` frame and nudges the sleep time TS by ±1 ms
 * toward the file's FPS, then sleeps `waitKey(int(1000*TS))`. It ignores pts, so its error is a
 * random walk around the target and drift is never corrected.
 */
import type { Clock } from './clock.ts';

export interface Pacer {
  /** Starts the timeline: the item with pts 0 is due at t0Ms. */
  start(t0Ms: number): void;
  /** Resolves when the item with this pts is due (at once if already due). */
  waitFor(ptsUs: number, signal?: AbortSignal): Promise<void>;
}

export class DeadlinePacer implements Pacer {
  readonly #clock: Clock;
  #t0: number | undefined;
  #lastLatenessMs = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  start(t0Ms: number): void {
    this.#t0 = t0Ms;
  }

  /** t0 given to start(), or undefined before it. */
  get t0Ms(): number | undefined {
    return this.#t0;
  }

  /** The clock time at which the item with this pts is due. */
  deadlineFor(ptsUs: number): number {
    if (this.#t0 === undefined) throw new Error('DeadlinePacer: call start(t0) before waitFor()/deadlineFor()');
    return this.#t0 + ptsUs / 1000;
  }

  /** How late (ms, ≥ 0) the last waitFor() resolved relative to its deadline. */
  get lastLatenessMs(): number {
    return this.#lastLatenessMs;
  }

  async waitFor(ptsUs: number, signal?: AbortSignal): Promise<void> {
    const deadline = this.deadlineFor(ptsUs);
    await this.#clock.sleepUntil(deadline, signal);
    this.#lastLatenessMs = Math.max(0, this.#clock.now() - deadline);
  }
}

/**
 * server.py's video_stream loop, step for step:
 *
 *     TS = 0.5/FPS; fps, st, frames_to_count, cnt = (0, 0, 1, 0)
 *     loop: send frame
 *           if cnt == frames_to_count:
 *               try: fps = frames_to_count/(time.time()-st); st = time.time(); cnt = 0
 *                    TS += 0.001 if fps > FPS; TS -= 0.001 if fps < FPS
 *               except: pass
 *           cnt += 1
 *           cv2.waitKey(int(1000*TS))
 *
 * waitFor() for frame n ≥ 1 runs the part after "send frame" for frame n−1; for frame 0 it resolves
 * at once. Kept as in the tutorial: the int() truncation of the sleep to whole milliseconds; the
 * first measurement with st = 0 (time.time() − 0 is ~1.7e9 s, so fps ≈ 0 and TS drops 1 ms); a
 * ZeroDivisionError (two frames at the same instant) skips the update and leaves cnt = 2, which
 * stops all later adjustment, as the bare `except: pass` does in Python.
 * One deliberate difference: waitKey(0) waits forever for a key; here a sleep ≤ 0 ms means "now",
 * never "forever" (a late frame must not stop the stream).
 */
export class TutorialPacer implements Pacer {
  readonly #clock: Clock;
  readonly #targetFps: number;
  #ts: number;
  #fps = 0;
  #st: number | undefined; // seconds; undefined = the tutorial's st = 0
  #cnt = 0;
  readonly #framesToCount = 1;
  #started = false;

  constructor(clock: Clock, fps: number) {
    if (!(fps > 0)) throw new RangeError(`TutorialPacer: fps must be > 0, got ${fps}`);
    this.#clock = clock;
    this.#targetFps = fps;
    this.#ts = 0.5 / fps;
  }

  start(_t0Ms: number): void {
    this.#started = false;
  }

  /** The tutorial's TS: seconds slept after each frame. */
  get tsSeconds(): number {
    return this.#ts;
  }

  /** The tutorial's `fps`: the last measured rate (over one frame). */
  get measuredFps(): number {
    return this.#fps;
  }

  async waitFor(_ptsUs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    if (!this.#started) {
      this.#started = true; // frame 0 is sent at once
      return;
    }
    const nowS = this.#clock.now() / 1000;
    if (this.#cnt === this.#framesToCount) {
      const elapsed = this.#st === undefined ? Number.POSITIVE_INFINITY : nowS - this.#st;
      if (elapsed !== 0) {
        this.#fps = this.#framesToCount / elapsed;
        this.#st = nowS;
        this.#cnt = 0;
        if (this.#fps > this.#targetFps) this.#ts += 0.001;
        else if (this.#fps < this.#targetFps) this.#ts -= 0.001;
      }
    }
    this.#cnt += 1;
    const sleepMs = Math.trunc(1000 * this.#ts); // int() truncates toward zero, as Python's int()
    if (sleepMs <= 0) return;
    await this.#clock.sleepUntil(this.#clock.now() + sleepMs, signal);
  }
}

/** How video send times are chosen: absolute deadlines t0 + pts, or the tutorial's TS ± 1 ms. */
export type Pacing = 'deadline' | 'tutorial';

export const PACINGS: readonly Pacing[] = ['deadline', 'tutorial'];

export function createPacer(kind: Pacing, clock: Clock, fps: number): Pacer {
  return kind === 'tutorial' ? new TutorialPacer(clock, fps) : new DeadlinePacer(clock);
}
