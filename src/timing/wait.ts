/**
 * The one way to wait for wall-clock time where precision does not matter (clean-up, polling, grace
 * periods, "give up after N s"): every time-out in src/, grader/ and bench/ goes through here, built
 * on AbortSignal, so a wait can be ended early by the caller's signal as well as by its time.
 * Deadlines that matter go through a Clock (src/timing/clock.ts), which a test can step.
 *
 * May import: src/errors.ts only.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { AvsockError } from '../errors.ts';

export interface WaitOptions {
  /** Ends the wait early (sleep() rejects with an AbortError; waitWithin() answers 'aborted'). */
  readonly signal?: AbortSignal;
  /**
   * Whether the timer keeps the process alive (default true). False for grace periods on the way
   * out, which must never be why a command is slow to exit.
   */
  readonly keepAlive?: boolean;
}

/** Some work did not finish in the time it was given. */
export class TimeoutError extends AvsockError {
  readonly timeoutMs: number;
  constructor(what: string, timeoutMs: number) {
    super('E_TIMEOUT', `${what} did not finish within ${Math.round(timeoutMs / 1000)} s`);
    this.timeoutMs = timeoutMs;
  }
}

function timerOptions(options: WaitOptions): { ref: boolean; signal?: AbortSignal } {
  return { ref: options.keepAlive ?? true, ...(options.signal ? { signal: options.signal } : {}) };
}

/** Resolves after `ms`. */
export function sleep(ms: number, options: WaitOptions = {}): Promise<void> {
  return delay(ms, undefined, timerOptions(options));
}

/** How a bounded wait ended: the work's value, or why it was given up on. */
export type Waited<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: 'timeout' | 'aborted' };

/**
 * An AbortSignal that aborts after `ms`. AbortSignal.timeout() when the timer must not keep the
 * process alive; otherwise a ref'd timer (AbortSignal.timeout's is always unref'd), which `clear()`
 * releases once the wait is over.
 */
function deadline(ms: number, keepAlive: boolean): { signal: AbortSignal; clear(): void } {
  // AbortSignal.timeout() takes whole non-negative milliseconds only (a computed 999.85 throws
  // ERR_OUT_OF_RANGE); rounding up never ends a wait early.
  if (!keepAlive) return { signal: AbortSignal.timeout(Math.max(0, Math.ceil(ms))), clear: () => {} };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The operation timed out.', 'TimeoutError')), ms);
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/**
 * Waits for `work` for at most `ms` (undefined: no time limit) or until `options.signal` aborts.
 * Resolves with `{ ok: true, value }`, or `{ ok: false, reason }` when the time ran out or the signal
 * aborted first; a rejection of `work` within the time is passed on.
 */
export function waitWithin<T>(work: PromiseLike<T>, ms: number | undefined, options: WaitOptions = {}): Promise<Waited<T>> {
  const timer = ms === undefined ? undefined : deadline(Math.max(0, ms), options.keepAlive ?? true);
  const signals = [timer?.signal, options.signal].filter((s): s is AbortSignal => s !== undefined);
  return new Promise<Waited<T>>((resolve, reject) => {
    const finish = (): void => {
      timer?.clear();
      for (const s of signals) s.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      finish();
      resolve({ ok: false, reason: options.signal?.aborted ? 'aborted' : 'timeout' });
    };
    if (signals.some((s) => s.aborted)) return onAbort();
    for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => (finish(), resolve({ ok: true, value })),
      (error: unknown) => (finish(), reject(error instanceof Error ? error : new Error(String(error)))),
    );
  });
}

/** `work`'s value, or a TimeoutError naming `what` after `ms` (or once `options.signal` aborts). */
export async function withTimeout<T>(work: PromiseLike<T>, ms: number, what: string, options: WaitOptions = {}): Promise<T> {
  const result = await waitWithin(work, ms, options);
  if (!result.ok) throw new TimeoutError(what, ms);
  return result.value;
}

/**
 * Waits for `work` for at most `ms`: true when it settled (resolved or rejected) in time, false when
 * the time ran out first. Never rejects.
 */
export async function settlesWithin(work: Promise<unknown>, ms: number, options: Omit<WaitOptions, 'signal'> = {}): Promise<boolean> {
  const result = await waitWithin(
    work.then(
      () => true,
      () => true,
    ),
    ms,
    options,
  );
  return result.ok;
}
