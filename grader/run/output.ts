/**
 * Output of a submission's process, capped: a program that prints forever costs us at most
 * `maxBytes` (the tail is kept), and never blocks on a full pipe (we always read).
 */
import type { Readable } from 'node:stream';

export class CappedOutput {
  readonly #maxBytes: number;
  #text = '';
  #dropped = 0;
  #partial = '';
  #lineWaiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  #lines = 0;

  constructor(maxBytes = 64 * 1024) {
    this.#maxBytes = maxBytes;
  }

  attach(stream: Readable | null | undefined): void {
    stream?.setEncoding('utf8');
    stream?.on('data', (s: string) => this.push(s));
    stream?.on('error', () => {});
  }

  push(s: string): void {
    this.#text += s;
    if (this.#text.length > this.#maxBytes) {
      this.#dropped += this.#text.length - this.#maxBytes;
      this.#text = this.#text.slice(-this.#maxBytes);
    }
    // Line matching sees only the first 10k lines, each at most 4 KiB: enough for 'ui: http://…'.
    const parts = (this.#partial + s).split('\n');
    this.#partial = (parts.pop() ?? '').slice(-4096);
    for (const line of parts) {
      if (++this.#lines > 10_000) break;
      for (const w of [...this.#lineWaiters]) {
        const m = line.match(w.re);
        if (m) {
          this.#lineWaiters = this.#lineWaiters.filter((x) => x !== w);
          w.resolve(m);
        }
      }
    }
  }

  /** Resolves with the first line (seen from now on or before) matching `re`, or undefined after timeoutMs. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray | undefined> {
    for (const line of this.#text.split('\n')) {
      const m = line.match(re);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolve) => {
      const waiter = { re, resolve: (m: RegExpMatchArray) => (clearTimeout(timer), resolve(m)) };
      const timer = setTimeout(() => {
        this.#lineWaiters = this.#lineWaiters.filter((x) => x !== waiter);
        resolve(undefined);
      }, timeoutMs);
      this.#lineWaiters.push(waiter);
    });
  }

  get text(): string {
    return (this.#dropped ? `[… ${this.#dropped} bytes dropped …]\n` : '') + this.#text;
  }

  get droppedBytes(): number {
    return this.#dropped;
  }

  /** The last `n` non-empty lines, each cut to 300 characters. */
  tail(n = 5): string {
    return this.#text
      .split('\n')
      .map((l) => l.trimEnd())
      .filter(Boolean)
      .slice(-n)
      .map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l))
      .join('\n');
  }
}

export const UI_LINE = /\bui:\s*(https?:\/\/127\.0\.0\.1:\d+\/\S*)/;
