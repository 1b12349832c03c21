/**
 * One submission at a time in a timing phase or a screenshot (--jobs N): the others may prepare,
 * install, clone or check meanwhile, but two streams measured at once, or a measured stream beside
 * Chromium and a screen grabber, would load the same cores and each would read the other's
 * scheduling delays as its own jitter. A FIFO lock; the grader process has one (`timingSlot`).
 */
export class TimingSlot {
  #tail: Promise<void> = Promise.resolve();

  /** Runs `work` when no other work holds this slot; FIFO order. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((r) => (release = r));
    try {
      await previous;
      return await work();
    } finally {
      release();
    }
  }
}

/** The grader process's one timing slot. */
export const timingSlot = new TimingSlot();

/** Runs `work` when no other timing work runs in this process; FIFO order. */
export function withTimingSlot<T>(work: () => Promise<T>): Promise<T> {
  return timingSlot.run(work);
}
