/**
 * A bounded async queue between a producer that can be paused (ffmpeg's stdout) and one consumer
 * (for await). When `size` items wait, onFull() pauses the producer; when the consumer takes one and
 * the queue is below the limit again, onSpace() resumes it. So decoding never runs more than `size`
 * items ahead: the tutorial's queue.Queue(maxsize=10), without its blocked thread.
 */
export interface BoundedQueueOptions {
  readonly size: number;
  readonly onFull: () => void;
  readonly onSpace: () => void;
  /** Called once when the consumer stops early (break / return()). */
  readonly onCancel?: () => void;
}

export class BoundedQueue<T> implements AsyncIterable<T> {
  readonly #opts: BoundedQueueOptions;
  #items: T[] = [];
  #ended = false;
  #error: unknown;
  #failed = false;
  #paused = false;
  #waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;

  constructor(opts: BoundedQueueOptions) {
    if (!(opts.size >= 1)) throw new RangeError(`queue size must be ≥ 1, got ${opts.size}`);
    this.#opts = opts;
  }

  get length(): number {
    return this.#items.length;
  }

  get ended(): boolean {
    return this.#ended;
  }

  push(item: T): void {
    if (this.#ended) return;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w.resolve({ value: item, done: false });
      return;
    }
    this.#items.push(item);
    if (this.#items.length >= this.#opts.size && !this.#paused) {
      this.#paused = true;
      this.#opts.onFull();
    }
  }

  /** No more items; the consumer drains what is queued, then iteration ends. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#settleWaiter();
  }

  /** Ends with an error: the consumer gets the queued items first, then the error. */
  fail(error: unknown): void {
    if (this.#ended) return;
    this.#failed = true;
    this.#error = error;
    this.end();
  }

  /** Drops queued items and ends at once (close()). */
  clear(): void {
    this.#items = [];
    this.#failed = false;
    this.end();
  }

  #settleWaiter(): void {
    if (!this.#waiter || this.#items.length) return;
    const w = this.#waiter;
    this.#waiter = undefined;
    if (this.#failed) {
      this.#failed = false;
      w.reject(this.#error);
    } else w.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#items.length) {
      const value = this.#items.shift()!;
      if (this.#paused && this.#items.length < this.#opts.size && !this.#ended) {
        this.#paused = false;
        this.#opts.onSpace();
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) {
      if (this.#failed) {
        this.#failed = false;
        return Promise.reject(this.#error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.#waiter) return Promise.reject(new Error('BoundedQueue: one consumer at a time'));
    if (this.#paused) {
      this.#paused = false;
      this.#opts.onSpace();
    }
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: async () => {
        this.clear();
        this.#opts.onCancel?.();
        return { value: undefined, done: true };
      },
    };
  }
}
