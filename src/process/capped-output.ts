/**
 * The one capped buffer for what a child process prints: a program that logs for two hours (ffmpeg
 * prints a progress line per second) or prints forever costs at most `maxBytes` (the tail is kept,
 * what was dropped is counted), and a stream attached here is always read, so the child never blocks
 * on a full pipe. Lines end at \n, \r\n or \r (ffmpeg ends its progress lines with \r).
 *
 * Read it as raw text (`text`), as its last lines (`lines()`, `tail()`, `lastLine()`), or wait for a
 * line (`waitForLine()`). StderrTail (stderr-tail.ts) is the registry's view of it.
 *
 * May import: src/timing/ only.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { waitWithin } from '../timing/wait.ts';

const LINE_END = /\r\n|\r|\n/;
/** Line matching sees only the first 10k lines, each at most 4 KiB: enough for 'ui: http://…'. */
const MATCHED_LINES = 10_000;
const MATCHED_LINE_BYTES = 4096;

export class CappedOutput {
  readonly #maxBytes: number;
  readonly #maxLines: number;
  #text = '';
  #dropped = 0;
  #partial = '';
  #lineWaiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  #linesSeen = 0;

  /** `maxBytes` of text kept (its tail); `maxLines`: what lines() gives by default. */
  constructor(maxBytes = 64 * 1024, maxLines = Number.POSITIVE_INFINITY) {
    this.#maxBytes = maxBytes;
    this.#maxLines = maxLines;
  }

  /** Reads `stream` to its end into this buffer (UTF-8, characters split across chunks kept whole). */
  attach(stream: Readable | null | undefined): void {
    if (!stream) return;
    const decoder = new StringDecoder('utf8');
    stream.on('data', (chunk: Buffer | string) => this.push(typeof chunk === 'string' ? chunk : decoder.write(chunk)));
    stream.on('end', () => this.push(decoder.end()));
    stream.on('error', () => {});
  }

  push(chunk: string | Buffer): void {
    const s = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (s.length === 0) return;
    this.#text += s;
    if (this.#text.length > this.#maxBytes) {
      this.#dropped += this.#text.length - this.#maxBytes;
      this.#text = this.#text.slice(-this.#maxBytes);
    }
    if (this.#lineWaiters.length === 0 && this.#linesSeen > MATCHED_LINES) return;
    const parts = (this.#partial + s).split(LINE_END);
    this.#partial = (parts.pop() ?? '').slice(-MATCHED_LINE_BYTES);
    for (const line of parts) {
      if (++this.#linesSeen > MATCHED_LINES) break;
      for (const w of [...this.#lineWaiters]) {
        const m = line.match(w.re);
        if (m) {
          this.#lineWaiters = this.#lineWaiters.filter((x) => x !== w);
          w.resolve(m);
        }
      }
    }
  }

  /**
   * The first line (seen from now on, or kept from before) matching `re`; undefined after
   * `timeoutMs` or once `options.signal` aborts.
   */
  async waitForLine(re: RegExp, timeoutMs: number, options: { signal?: AbortSignal } = {}): Promise<RegExpMatchArray | undefined> {
    for (const line of this.#text.split(LINE_END)) {
      const m = line.match(re);
      if (m) return m;
    }
    let waiter: { re: RegExp; resolve: (m: RegExpMatchArray) => void } | undefined;
    const seen = new Promise<RegExpMatchArray>((resolve) => {
      waiter = { re, resolve };
      this.#lineWaiters.push(waiter);
    });
    const result = await waitWithin(seen, timeoutMs, options);
    this.#lineWaiters = this.#lineWaiters.filter((x) => x !== waiter);
    return result.ok ? result.value : undefined;
  }

  /** The text kept, after a note of how much was dropped before it. */
  get text(): string {
    return (this.#dropped ? `[… ${this.#dropped} bytes dropped …]\n` : '') + this.#text;
  }

  get droppedBytes(): number {
    return this.#dropped;
  }

  /** The last `n` non-empty lines (default: maxLines), joined with \n; an unterminated last line included. */
  lines(n = this.#maxLines): string {
    if (n <= 0) return '';
    const all = this.#text.split(LINE_END).filter((l) => l.length > 0);
    return all.slice(-Math.min(n, all.length)).join('\n');
  }

  /** The last non-empty line, for one-line error messages. */
  lastLine(): string {
    return this.lines(1);
  }

  /** The last `n` non-empty lines, trailing blanks trimmed and each cut to 300 characters (for reports). */
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
