/**
 * Work due at given times, run in time order (ties in the order added), on one timer armed for the
 * earliest: thousands of delayed datagrams a second cost one pending setTimeout, not thousands.
 * A binary heap, since jitter with overtaking makes the order of due times differ from the order added.
 */
/** Half a millisecond early is on time: setTimeout fires on whole milliseconds. */
const EARLY_MS = 0.5;

interface Job {
  readonly atMs: number;
  readonly seq: number;
  readonly run: () => void;
}

function before(a: Job, b: Job): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}

export class Departures {
  readonly #now: () => number;
  readonly #heap: Job[] = [];
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAtMs = Infinity;
  #closed = false;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Jobs not yet run. */
  get pending(): number {
    return this.#heap.length;
  }

  /**
   * Runs `run` at `atMs`; at once (in order behind anything already due) when that is less than
   * EARLY_MS away — a timer could not wait less — so a path without delay costs no timer at all.
   */
  at(atMs: number, run: () => void): void {
    if (this.#closed) return;
    if (this.#heap.length === 0 && atMs <= this.#now() + EARLY_MS) {
      run(); // nothing waits ahead of it: no job, heap or timer
      return;
    }
    this.#push({ atMs, seq: this.#seq++, run });
    if (atMs <= this.#now() + EARLY_MS && this.#heap[0]!.atMs <= atMs) {
      this.#runDue();
      return;
    }
    this.#arm();
  }

  /** Drops everything pending; later at() calls do nothing. */
  close(): void {
    this.#closed = true;
    this.#heap.length = 0;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #runDue(): void {
    const now = this.#now() + EARLY_MS;
    while (this.#heap.length > 0 && this.#heap[0]!.atMs <= now) {
      const job = this.#pop();
      job.run();
      if (this.#closed) return;
    }
    this.#arm();
  }

  #arm(): void {
    const head = this.#heap[0];
    if (!head) {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#timerAtMs = Infinity;
      return;
    }
    if (this.#timer && this.#timerAtMs <= head.atMs) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAtMs = head.atMs;
    this.#timer = setTimeout(this.#onTimer, Math.max(0, head.atMs - this.#now()));
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAtMs = Infinity;
    this.#runDue();
  };

  #push(job: Job): void {
    const h = this.#heap;
    h.push(job);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  #pop(): Job {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
