/**
 * The last lines a child wrote to stderr, bounded in lines and bytes: a child that logs for two hours
 * (ffmpeg prints a progress line per second) must not grow our memory.
 */
export class StderrTail {
  readonly #maxLines: number;
  readonly #maxBytes: number;
  #lines: string[] = [];
  #bytes = 0;
  #partial = '';

  constructor(maxLines = 50, maxBytes = 16 * 1024) {
    this.#maxLines = maxLines;
    this.#maxBytes = maxBytes;
  }

  push(chunk: string | Buffer): void {
    const text = this.#partial + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    // ffmpeg ends its progress lines with \r: treat \r, \n and \r\n all as line ends.
    const parts = text.split(/\r\n|\r|\n/);
    this.#partial = parts.pop() ?? '';
    if (this.#partial.length > this.#maxBytes) this.#partial = this.#partial.slice(-this.#maxBytes);
    for (const line of parts) if (line.length > 0) this.#add(line);
  }

  #add(line: string): void {
    const clipped = line.length > this.#maxBytes ? line.slice(-this.#maxBytes) : line;
    this.#lines.push(clipped);
    this.#bytes += clipped.length;
    while (this.#lines.length > this.#maxLines || (this.#bytes > this.#maxBytes && this.#lines.length > 1)) {
      this.#bytes -= this.#lines.shift()!.length;
    }
  }

  /** The last `n` lines (default: all kept), joined with \n; includes an unterminated last line. */
  text(n = this.#maxLines): string {
    const all = this.#partial ? [...this.#lines, this.#partial] : this.#lines;
    return all.slice(-Math.max(0, n)).join('\n');
  }

  /** The last non-empty line, for one-line error messages. */
  lastLine(): string {
    return this.#partial || this.#lines[this.#lines.length - 1] || '';
  }
}
