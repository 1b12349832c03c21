/**
 * A clock that only moves when the test says so: pacing and statistics can be tested exactly,
 * without sleeping. Sleepers whose deadline is reached by advance()/set() resolve in deadline order.
 */
import type { Clock } from './clock.ts';

interface Sleeper {
  deadlineMs: number;
  resolve: () => void;
}

export class ManualClock implements Clock {
  #now: number;
  #sleepers: Sleeper[] = [];

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /** Number of sleepUntil() calls still waiting. */
  get pending(): number {
    return this.#sleepers.length;
  }

  sleepUntil(deadlineMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!(deadlineMs > this.#now)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        deadlineMs,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#sleepers.push(sleeper);
    });
  }

  /** Moves time forward by `ms` (≥ 0) and wakes every sleeper whose deadline is reached. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance(${ms}): time only moves forward`);
    this.set(this.#now + ms);
  }

  /** Sets the time (never backwards) and wakes every sleeper whose deadline is reached. */
  set(ms: number): void {
    if (!(ms >= this.#now)) throw new RangeError(`ManualClock.set(${ms}): time is ${this.#now} and only moves forward`);
    this.#now = ms;
    const due = this.#sleepers.filter((s) => s.deadlineMs <= ms).sort((a, b) => a.deadlineMs - b.deadlineMs);
    this.#sleepers = this.#sleepers.filter((s) => s.deadlineMs > ms);
    for (const s of due) s.resolve();
  }
}
