/**
 * Time, injected. Pacing and statistics take a Clock so that tests can step time exactly instead
 * of sleeping. Times are milliseconds on a monotonic timeline (never wall-clock time).
 *
 * Folder src/timing/: the Clock, the deadline pacer, FPS/jitter statistics, and wait.ts (the one
 * timeout helper). May import: src/errors.ts only.
 */
export interface Clock {
  /** Milliseconds on a monotonic timeline, sub-millisecond resolution. */
  now(): number;
  /** Resolves at (or just after) `deadlineMs`. A deadline in the past resolves at once. */
  sleepUntil(deadlineMs: number, signal?: AbortSignal): Promise<void>;
}
