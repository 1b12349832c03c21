/**
 * Progress per phase: a bar redrawn in place on a TTY, plain lines otherwise (CI logs).
 */
export interface Progress {
  phase(name: string, detail?: string): void;
  note(msg: string): void;
  done(name: string, status: 'ok' | 'failed' | 'skipped', detail?: string): void;
  finish(): void;
}

export function createProgress(opts: { total: number; stream?: NodeJS.WriteStream; quiet?: boolean; prefix?: string }): Progress {
  const stream = opts.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY) && !process.env.CI;
  const prefix = opts.prefix ? `[${opts.prefix}] ` : '';
  let finished = 0;
  let current = '';
  const bar = (): string => {
    const width = 20;
    const filled = Math.round((finished / opts.total) * width);
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${finished}/${opts.total}`;
  };
  const redraw = (text: string): void => {
    if (opts.quiet) return;
    if (tty) stream.write(`\r\x1b[2K${bar()} ${text}`.slice(0, (stream.columns || 100) + 12));
    else stream.write(`${prefix}${text}\n`);
  };
  return {
    phase(name, detail) {
      current = name;
      redraw(`${name}${detail ? `: ${detail}` : ''}…`);
    },
    note(msg) {
      if (opts.quiet) return;
      if (tty) redraw(`${current}: ${msg}`);
      else stream.write(`${prefix}  ${msg}\n`);
    },
    done(name, status, detail) {
      finished += 1;
      if (opts.quiet) return;
      const mark = status === 'ok' ? 'ok' : status === 'skipped' ? 'skipped' : 'FAILED';
      if (tty) stream.write(`\r\x1b[2K${prefix}${name}: ${mark}${detail ? ` — ${detail}` : ''}\n`);
      else stream.write(`${prefix}${name}: ${mark}${detail ? ` — ${detail}` : ''}\n`);
    },
    finish() {
      if (tty && !opts.quiet) stream.write('\r\x1b[2K');
    },
  };
}
