/**
 * The only module that imports fluent-ffmpeg. Upstream archived it in 2025 and looks for maintainers, so
 * everything else goes through these three functions and it can be replaced by plain
 * child_process.spawn here without touching any other file.
 *
 * Every ffmpeg process it spawns is adopted by the process registry (src/process/children.ts) the
 * moment it starts: close()/stopAllChildren() stop it, and process exit SIGKILLs it, so none outlives
 * us. A kill requested before fluent-ffmpeg has spawned (it first checks ffmpeg's capabilities) is
 * applied as soon as the process exists.
 */
import { PassThrough, type Readable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';
import { resolveFfmpeg, resolveFfprobe } from '../platform/tools.ts';
import { adoptChild, type ChildHandle } from '../process/children.ts';

let pathsSet = false;

function configure(): void {
  if (pathsSet) return;
  ffmpeg.setFfmpegPath(resolveFfmpeg().path);
  ffmpeg.setFfprobePath(resolveFfprobe().path);
  pathsSet = true;
}

/** ffprobe's -show_streams -show_format, as fluent-ffmpeg parses it. */
export type ProbeData = ffmpeg.FfprobeData;

/** Runs ffprobe on a file. Rejects with fluent-ffmpeg's error (its message ends with ffprobe's stderr). */
export function ffprobe(file: string): Promise<ProbeData> {
  configure();
  return new Promise((resolve, reject) => {
    ffmpeg.ffprobe(file, (err: Error | null, data: ProbeData) => (err ? reject(err) : resolve(data)));
  });
}

export interface FfmpegInput {
  /** A file path, or a lavfi graph when options include '-f', 'lavfi'. */
  readonly source: string;
  readonly options?: readonly string[];
}

export interface FfmpegJob {
  /** Shown in errors, e.g. 'ffmpeg (frames)'. */
  readonly name: string;
  readonly inputs: readonly FfmpegInput[];
  /** Output options, e.g. ['-map', '0:v:0', '-c:v', 'mjpeg']. */
  readonly outputOptions: readonly string[];
}

/** A running ffmpeg whose output is a stream. */
export interface FfmpegPipe {
  /** ffmpeg's stdout. Not reading it pauses ffmpeg (pipe backpressure). */
  readonly output: Readable;
  /** The registered process, once spawned. */
  readonly child: Promise<ChildHandle>;
  /** Resolves when ffmpeg exits with code 0 (or was stopped by us); rejects with ChildExitError/ChildStartError. */
  readonly done: Promise<void>;
  /** Stops ffmpeg (SIGINT → SIGTERM → SIGKILL, short timeouts); idempotent. */
  stop(): Promise<void>;
}

function build(job: FfmpegJob): ffmpeg.FfmpegCommand {
  configure();
  const command = ffmpeg({ stdoutLines: 50 });
  for (const input of job.inputs) {
    command.input(input.source);
    if (input.options?.length) command.inputOptions([...input.options]);
  }
  command.outputOptions(['-hide_banner', '-nostdin', '-loglevel', 'error', ...job.outputOptions]);
  return command;
}

function supervise(
  command: ffmpeg.FfmpegCommand,
  job: FfmpegJob,
): {
  child: Promise<ChildHandle>;
  done: Promise<void>;
  stop: () => Promise<void>;
} {
  let stopRequested = false;
  let handle: ChildHandle | undefined;
  let resolveChild!: (h: ChildHandle) => void;
  let rejectChild!: (e: unknown) => void;
  const child = new Promise<ChildHandle>((res, rej) => {
    resolveChild = res;
    rejectChild = rej;
  });
  child.catch(() => {});
  command.on('start', () => {
    // fluent-ffmpeg sets command.ffmpegProc just before emitting 'start'.
    const proc = (command as unknown as { ffmpegProc?: import('node:child_process').ChildProcess }).ffmpegProc;
    if (!proc) return;
    handle = adoptChild(proc, { name: job.name, stopTimeoutsMs: [300, 300] }, 'ffmpeg');
    resolveChild(handle);
    if (stopRequested) void handle.stop();
  });
  // fluent-ffmpeg reports failures as 'error' events; without a listener they would be thrown.
  // The registry's errors (exit code, signal, stderr tail) are the ones we pass on.
  let failEarly!: (e: unknown) => void;
  const early = new Promise<never>((_, rej) => (failEarly = rej));
  early.catch(() => {});
  command.on('error', (err: Error) => {
    if (!handle) {
      rejectChild(err);
      failEarly(err); // never spawned (e.g. capability check failed)
    }
  });
  // The child's own outcome, or the early failure when it never spawned, whichever comes first.
  const done = new Promise<void>((resolve, reject) => {
    child.then((h) => h.done).then(resolve, reject);
    early.catch(reject);
  });
  done.catch(() => {});
  const stop = async (): Promise<void> => {
    stopRequested = true;
    if (handle) await handle.stop();
  };
  return { child, done, stop };
}

/** Starts ffmpeg writing its single output to a pipe (the job's options must set -f … and not name a file). */
export function startFfmpegPipe(job: FfmpegJob): FfmpegPipe {
  const command = build(job);
  // autoDestroy off: fluent-ffmpeg SIGTERMs ffmpeg 20 ms after the output emits 'close', which at a
  // natural end could hit an ffmpeg still flushing under load; 'close' now only comes from stop().
  const output = new PassThrough({ highWaterMark: 64 * 1024, autoDestroy: false });
  const { child, done, stop } = supervise(command, job);
  command.output(output, { end: true });
  command.run();
  return {
    output,
    child,
    done,
    stop: async () => {
      // Let ffmpeg's writes succeed (into the void) so a process blocked on a full pipe sees SIGINT
      // at once instead of waiting for the SIGTERM/SIGKILL steps.
      const proc = (command as unknown as { ffmpegProc?: import('node:child_process').ChildProcess }).ffmpegProc;
      proc?.stdout?.unpipe();
      proc?.stdout?.resume();
      output.destroy();
      await stop();
    },
  };
}

/**
 * Resolves once ffmpeg has exited successfully and its output has been read to the end (or
 * destroyed by stop()), so a source ends only after its last bytes were handed out; rejects as
 * `pipe.done` does. Errors of the output stream itself are swallowed: stop() destroys it on
 * purpose, and real failures come from `done`.
 */
export function pipeFinished(pipe: FfmpegPipe): Promise<void> {
  pipe.output.on('error', () => {});
  const outputEnded = new Promise<void>((resolve) => {
    pipe.output.once('end', resolve);
    pipe.output.once('close', resolve);
  });
  return Promise.all([pipe.done, outputEnded]).then(() => undefined);
}

/** Runs ffmpeg to a file and resolves when it has finished successfully. */
export function runFfmpeg(job: FfmpegJob & { readonly output: string; readonly signal?: AbortSignal }): Promise<void> {
  const command = build(job);
  const { done, stop } = supervise(command, job);
  command.output(job.output);
  command.run();
  job.signal?.addEventListener('abort', () => void stop(), { once: true });
  return done;
}
