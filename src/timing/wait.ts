/**
 * Waiting for wall-clock time where precision does not matter (clean-up, polling, grace periods).
 * Deadlines that matter go through a Clock (src/timing/clock.ts), which a test can step.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface WaitOptions {
  /** Ends the wait early with an AbortError. */
  readonly signal?: AbortSignal;
  /**
   * Whether the timer keeps the process alive (default true). False for grace periods on the way
   * out, which must never be why a command is slow to exit.
   */
  readonly keepAlive?: boolean;
}

function timerOptions(options: WaitOptions): { ref: boolean; signal?: AbortSignal } {
  return { ref: options.keepAlive ?? true, ...(options.signal ? { signal: options.signal } : {}) };
}

/** Resolves after `ms`. */
export function sleep(ms: number, options: WaitOptions = {}): Promise<void> {
  return delay(ms, undefined, timerOptions(options));
}

/**
 * Waits for `work` for at most `ms`: true when it settled (resolved or rejected) in time, false when
 * the time ran out first. Never rejects (an abort of `options.signal` counts as time out).
 */
export async function settlesWithin(work: Promise<unknown>, ms: number, options: Omit<WaitOptions, 'signal'> = {}): Promise<boolean> {
  const timer = new AbortController();
  const settled = work.then(() => true, () => true);
  const timedOut = delay(ms, false, timerOptions({ ...options, signal: timer.signal })).catch(() => false);
  try {
    return await Promise.race([settled, timedOut]);
  } finally {
    timer.abort();
  }
}
