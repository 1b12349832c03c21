/**
 * The last lines a child wrote to stderr, for errors: the registry's view of the one capped buffer
 * (capped-output.ts), bounded in lines and bytes.
 */
import { CappedOutput } from './capped-output.ts';

export class StderrTail {
  readonly #out: CappedOutput;

  constructor(maxLines = 50, maxBytes = 16 * 1024) {
    this.#out = new CappedOutput(maxBytes, maxLines);
  }

  push(chunk: string | Buffer): void {
    this.#out.push(chunk);
  }

  /** The last `n` lines (default: all kept), joined with \n; includes an unterminated last line. */
  text(n?: number): string {
    return this.#out.lines(n);
  }

  /** The last non-empty line, for one-line error messages. */
  lastLine(): string {
    return this.#out.lastLine();
  }
}
