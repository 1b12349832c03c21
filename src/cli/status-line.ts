/**
 * One status line on stderr: on a terminal it is redrawn in place (\r, erase line) a few times a
 * second; when stderr is a pipe or file (CI, the grader) it is printed as a plain line every few
 * seconds instead, so logs stay readable. Notices printed through log() appear above it.
 */
export class StatusLine {
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  #timer: NodeJS.Timeout | undefined;
  #render: (() => string) | undefined;
  #shown = false;
  #lastPiped: { text: string; atMs: number } | undefined;

  constructor(out: NodeJS.WriteStream = process.stderr) {
    this.#out = out;
    this.#tty = Boolean(out.isTTY);
  }

  /** Starts refreshing: every 250 ms on a terminal, every `pipeIntervalMs` (default 5 s) otherwise. */
  start(render: () => string, pipeIntervalMs = 5000): void {
    this.#render = render;
    this.stop();
    this.#timer = setInterval(() => this.#draw(), this.#tty ? 250 : pipeIntervalMs);
    this.#timer.unref();
  }

  /** A notice on its own line (the status line is redrawn below it). */
  log(line: string): void {
    if (this.#tty && this.#shown) this.#out.write('\r\x1b[K');
    this.#out.write(`${line}\n`);
    if (this.#tty && this.#shown) this.#draw();
  }

  /** Stops refreshing and leaves the last status on its own line. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#tty && this.#shown) this.#out.write('\n');
    this.#shown = false;
  }

  #draw(): void {
    if (!this.#render) return;
    let text: string;
    try {
      text = this.#render();
    } catch (error) {
      text = `status unavailable: ${(error as Error).message}`;
    }
    if (this.#tty) {
      const width = this.#out.columns ? this.#out.columns - 1 : 200;
      this.#out.write(`\r\x1b[K${text.slice(0, width)}`);
      this.#shown = true;
    } else {
      // A log, not a display: an unchanged status is repeated at most once a minute.
      const now = Date.now();
      if (this.#lastPiped && this.#lastPiped.text === text && now - this.#lastPiped.atMs < 60_000) return;
      this.#lastPiped = { text, atMs: now };
      this.#out.write(`${text}\n`);
    }
  }
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  return `${ms >= 0 ? '+' : '−'}${Math.abs(ms).toFixed(1)} ms`;
}
