/**
 * The one way avsock runs a program to completion and reads what it printed (git, ffmpeg -version,
 * python3 -c, a helper script): `runProgram()` resolves with its output, or rejects with a typed
 * error that carries the last lines of stderr — ChildStartError (could not start), ChildExitError
 * (non-zero exit or a foreign signal), ProgramTimeoutError, ProgramOutputError (printed too much).
 *
 * Built on the process registry (children.ts), not on execFile: the program is stopped by the same
 * SIGINT → SIGTERM → SIGKILL ladder, killed if avsock exits first, and its stderr is tailed by the
 * same bounded StderrTail. Not execa: its errors would be a second error family beside ours (no
 * stable `code`), and what we need is these ~100 lines, not a dependency tree.
 *
 * May import: src/errors.ts, src/timing/, src/process/.
 */
import { basename } from 'node:path';
import { AvsockError } from '../errors.ts';
import { waitWithin } from '../timing/wait.ts';
import { ChildExitError, startChild } from './children.ts';

export interface RunOptions {
  /** Shown in errors; default the command's base name. */
  readonly name?: string;
  readonly cwd?: string;
  /** The whole environment (default: ours). */
  readonly env?: NodeJS.ProcessEnv;
  /** Give up (and stop the program) after this long. Default 30 s. */
  readonly timeoutMs?: number;
  /** Stop the program early; rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Written to the program's stdin, which is then closed (otherwise stdin is /dev/null). */
  readonly input?: string | Buffer;
  /** Stdout beyond this is an error (ProgramOutputError). Default 64 MiB. */
  readonly maxOutputBytes?: number;
  /** Resolve with a non-zero exit code instead of rejecting with ChildExitError. */
  readonly allowFailure?: boolean;
}

export interface ProgramOutput<T extends string | Buffer = string> {
  /** The exit code; -1 when a signal we did not send ended the program (only with allowFailure). */
  readonly code: number;
  readonly stdout: T;
  /** The last lines of stderr (bounded: 50 lines, 16 KiB). */
  readonly stderr: string;
}

/** The program did not finish in its time; it has been stopped. */
export class ProgramTimeoutError extends AvsockError {
  readonly stderrTail: string;
  constructor(name: string, timeoutMs: number, stderrTail: string) {
    const last = stderrTail.split('\n').filter(Boolean).pop();
    super('E_CHILD_TIMEOUT', `${name} did not finish within ${Math.round(timeoutMs / 100) / 10} s${last ? `: ${last}` : ''}`);
    this.stderrTail = stderrTail;
  }
}

/** The program printed more than its cap; it has been stopped. */
export class ProgramOutputError extends AvsockError {
  constructor(name: string, maxBytes: number) {
    super('E_CHILD_OUTPUT', `${name} printed more than ${maxBytes} bytes; stopped`);
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;

async function run(command: string, args: readonly string[], options: RunOptions): Promise<ProgramOutput<Buffer>> {
  const name = options.name ?? basename(command);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const handle = startChild(command, args, {
    name,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.env !== undefined ? { env: options.env } : {}),
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    stopTimeoutsMs: [500, 500],
  });
  const chunks: Buffer[] = [];
  let bytes = 0;
  let overflow: (() => void) | undefined;
  const overflowed = new Promise<void>((resolve) => (overflow = resolve));
  handle.process.stdout?.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > maxBytes) overflow?.();
    else chunks.push(chunk);
  });
  handle.process.stdin?.on('error', () => {}); // a program that exits without reading its input
  handle.process.stdin?.end(options.input);

  const stopOnOverflow = new AbortController();
  void overflowed.then(() => stopOnOverflow.abort());
  const signal = options.signal ? AbortSignal.any([options.signal, stopOnOverflow.signal]) : stopOnOverflow.signal;
  try {
    const waited = await waitWithin(handle.exited, timeoutMs, { signal });
    if (!waited.ok) {
      await handle.stop();
      if (stopOnOverflow.signal.aborted) throw new ProgramOutputError(name, maxBytes);
      if (waited.reason === 'aborted') throw options.signal?.reason instanceof Error ? options.signal.reason : new Error(`${name} was stopped`);
      throw new ProgramTimeoutError(name, timeoutMs, handle.stderrTail());
    }
    const { code, signal: killedBy } = waited.value;
    if (code !== 0 && !options.allowFailure) {
      throw new ChildExitError({ name, pid: handle.pid, code, signal: killedBy, stderrTail: handle.stderrTail() });
    }
    return { code: code ?? -1, stdout: Buffer.concat(chunks), stderr: handle.stderrTail() };
  } finally {
    overflow = undefined;
  }
}

/** Runs `command args` (no shell) to completion; its stdout as UTF-8 text. */
export async function runProgram(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProgramOutput<string>> {
  const out = await run(command, args, options);
  return { ...out, stdout: out.stdout.toString('utf8') };
}

/** runProgram() with stdout as raw bytes (git blobs, pictures). */
export function runProgramBytes(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProgramOutput<Buffer>> {
  return run(command, args, options);
}
