/**
 * The one registry of the child processes avsock starts (ffmpeg, test servers, browsers).
 *
 * - stop() is idempotent and escalates SIGINT → SIGTERM → SIGKILL, waiting `stopTimeoutsMs` between
 *   steps: SIGINT lets ffmpeg finish its file, SIGKILL is the last resort.
 * - `detached: true` puts the child in its own process group and stop() signals the whole group
 *   (process.kill(-pid)), so grandchildren (a shell's children, Chromium's helpers) die with it.
 * - "Failed to start" (ChildStartError: spawn error such as ENOENT) and "died later" (ChildExitError:
 *   non-zero exit or a signal we did not send) are different errors, each with pid, exit code, signal
 *   and the last lines of stderr (bounded, see StderrTail).
 * - On process exit every child still running gets SIGKILL synchronously, so none outlives us even
 *   when the caller forgot stopAllChildren().
 *
 * Folder src/process/: the child registry (this file), runProgram() (exec.ts), the one capped output
 * buffer (capped-output.ts), stopping a tree per OS (process-tree.ts). May import: src/timing/,
 * src/errors.ts.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { AvsockError } from '../errors.ts';
import { settlesWithin, sleep } from '../timing/wait.ts';
import { killTree, spawnsOwnGroup, treeAlive, type StopSignal } from './process-tree.ts';
import { StderrTail } from './stderr-tail.ts';

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface ChildErrorDetails {
  readonly name: string;
  readonly pid: number | undefined;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderrTail: string;
}

/** The program could not be started at all (not found, not executable, bad cwd). */
export class ChildStartError extends AvsockError {
  readonly childName: string;
  readonly pid: number | undefined;
  readonly exitCode: number | null = null;
  readonly signal: NodeJS.Signals | null = null;
  readonly stderrTail: string = '';
  readonly syscallCode: string | undefined;
  constructor(name: string, command: string, cause: NodeJS.ErrnoException) {
    const hint = cause.code === 'ENOENT' ? `; is ${command} installed and on PATH?` : '';
    super('E_CHILD_START', `${name} failed to start: ${cause.message}${hint}`, { cause });
    this.childName = name;
    this.pid = undefined;
    this.syscallCode = cause.code;
  }
}

/** The program started, then exited with a non-zero code or was killed by a signal we did not send. */
export class ChildExitError extends AvsockError {
  readonly childName: string;
  readonly pid: number | undefined;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderrTail: string;
  constructor(d: ChildErrorDetails) {
    const how = d.signal ? `was killed by ${d.signal}` : `exited with code ${d.code}`;
    const last = d.stderrTail.split('\n').filter(Boolean).pop();
    super('E_CHILD_EXIT', `${d.name} (pid ${d.pid}) ${how}${last ? `: ${last}` : ''}`);
    this.childName = d.name;
    this.pid = d.pid;
    this.exitCode = d.code;
    this.signal = d.signal;
    this.stderrTail = d.stderrTail;
  }
}

export interface ChildOptions {
  /** Shown in errors and logs, e.g. 'ffmpeg (frames)'. */
  readonly name: string;
  /** Stop the whole tree: own process group on POSIX (stop() signals the group), taskkill /T on Windows. */
  readonly detached?: boolean;
  /** Waits after SIGINT and after SIGTERM before escalating (ms). Default [1000, 1000]. */
  readonly stopTimeoutsMs?: readonly [number, number];
  /** Lines of stderr kept for errors. Default 50 (and at most 16 KiB). */
  readonly stderrLines?: number;
  /**
   * The last step of stop(), once the process (and its group) is gone: for what a process group
   * cannot reach, such as descendants that left it with setsid.
   */
  readonly afterStop?: () => Promise<void>;
}

export interface StartChildOptions extends ChildOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Default ['ignore', 'pipe', 'pipe']. stderr should stay 'pipe' so errors can quote it. */
  readonly stdio?: StdioOptions;
}

export interface ChildHandle {
  readonly name: string;
  readonly pid: number | undefined;
  readonly process: ChildProcess;
  /** Resolves once the process has been spawned; rejects with ChildStartError if it could not be. */
  readonly started: Promise<void>;
  /** Resolves with the exit code/signal; rejects with ChildStartError if it never started. */
  readonly exited: Promise<ChildExit>;
  /**
   * Resolves when the child exits with code 0 or because stop() ended it; rejects with
   * ChildExitError (non-zero exit, foreign signal) or ChildStartError.
   */
  readonly done: Promise<void>;
  /** True once stop() has been called. */
  readonly stopping: boolean;
  /** The last `lines` lines of stderr (default all kept). */
  stderrTail(lines?: number): string;
  /** Idempotent: SIGINT → SIGTERM → SIGKILL with timeouts; the whole group when detached. */
  stop(): Promise<void>;
}

const registry = new Set<ChildHandle>();
const groupLeaders = new Map<ChildHandle, boolean>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is the only thing that certainly works here.
  process.on('exit', () => {
    for (const handle of registry) killNow(handle.process, groupLeaders.get(handle) ?? false, 'SIGKILL');
  });
}

function killNow(proc: ChildProcess, tree: boolean, signal: StopSignal): void {
  const pid = proc.pid;
  if (pid === undefined) return;
  // The whole tree: a POSIX process group, or taskkill /T on Windows (src/process/process-tree.ts).
  if (tree) return killTree(pid, signal, true);
  try {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
  } catch {
    // ESRCH: already gone.
  }
}

function silence<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {}); // the caller may not look at every promise; never an unhandled rejection
  return p;
}

/** Resolves once `proc` has been spawned; rejects with ChildStartError if it could not be. */
function watchStart(proc: ChildProcess, name: string, command: string): Promise<void> {
  return silence(
    new Promise<void>((resolve, reject) => {
      if (proc.pid !== undefined) resolve();
      proc.once('spawn', () => resolve());
      proc.once('error', (error: NodeJS.ErrnoException) => {
        if (proc.pid === undefined) reject(new ChildStartError(name, command, error));
      });
    }),
  );
}

/** Resolves with `proc`'s exit code/signal (`record` hears it at 'exit' already); rejects as `started` does. */
function watchExit(proc: ChildProcess, started: Promise<void>, record: (exit: ChildExit) => void): Promise<ChildExit> {
  return silence(
    new Promise<ChildExit>((resolve, reject) => {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        const exit = { code: proc.exitCode, signal: proc.signalCode };
        record(exit);
        resolve(exit);
        return;
      }
      started.catch(reject);
      // 'close' comes after stdio has ended, so the stderr tail is complete; but a grandchild that
      // inherited the pipes can hold them open, so don't wait for it more than 500 ms after 'exit'.
      let first: ChildExit | undefined;
      proc.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
        first = { code, signal };
        record(first);
        setTimeout(() => resolve({ code, signal }), 500).unref();
      });
      proc.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        if (!first) record({ code, signal });
        resolve(first ?? { code, signal });
      });
    }),
  );
}

/**
 * Keeps `handle` in the registry until it is gone: at its exit, or for a detached group being
 * stopped (it may still have members) once its stop() has finished.
 */
function register(handle: ChildHandle, group: boolean): void {
  registry.add(handle);
  groupLeaders.set(handle, group);
  const forget = (): void => {
    registry.delete(handle);
    groupLeaders.delete(handle);
  };
  void handle.exited.then(() => {
    if (!group || !handle.stopping) forget();
    else void handle.stop().finally(forget);
  }, forget);
}

/**
 * Takes charge of a process someone else spawned (fluent-ffmpeg spawns its own): it joins the
 * registry, its stderr is tailed, and stop() works on it.
 */
export function adoptChild(proc: ChildProcess, opts: ChildOptions, command = opts.name): ChildHandle {
  installExitHook();
  const group = Boolean(opts.detached);
  const [sigintWait, sigtermWait] = opts.stopTimeoutsMs ?? [1000, 1000];
  const tail = new StderrTail(opts.stderrLines ?? 50);
  proc.stderr?.on('data', (chunk: Buffer | string) => tail.push(chunk));

  let stopRequested = false;
  let stopPromise: Promise<void> | undefined;
  let exitInfo: ChildExit | undefined;
  const started = watchStart(proc, opts.name, command);
  const exited = watchExit(proc, started, (exit) => (exitInfo = exit));

  const handle: ChildHandle = {
    name: opts.name,
    get pid() {
      return proc.pid;
    },
    process: proc,
    started,
    exited,
    done: silence(
      exited.then(({ code, signal }) => {
        if (code === 0) return;
        if (stopRequested) return;
        throw new ChildExitError({ name: opts.name, pid: proc.pid, code, signal, stderrTail: tail.text() });
      }),
    ),
    get stopping() {
      return stopRequested;
    },
    stderrTail: (lines?: number) => tail.text(lines),
    stop(): Promise<void> {
      stopRequested = true;
      stopPromise ??= escalate();
      return stopPromise;
    },
  };

  const finished = (): boolean => exitInfo !== undefined && (!group || proc.pid === undefined || !treeAlive(proc.pid));

  const waitFinished = async (ms: number): Promise<boolean> => {
    const until = performance.now() + ms;
    // Poll: the group has no exit event, and the leader's 'close' may precede its children's death.
    while (!finished()) {
      if (performance.now() >= until) return false;
      await sleep(exitInfo === undefined ? 10 : 20);
    }
    return true;
  };

  async function escalate(): Promise<void> {
    try {
      await started;
    } catch {
      return; // never ran: nothing to stop
    }
    for (const [signal, wait] of [
      ['SIGINT', sigintWait],
      ['SIGTERM', sigtermWait],
      ['SIGKILL', 2000],
    ] as const) {
      if (finished()) break;
      killNow(proc, group, signal);
      if (await waitFinished(wait)) break;
    }
    // A process in uninterruptible sleep can outlive SIGKILL for a moment; don't hang on it.
    await settlesWithin(exited, 2000);
    await opts.afterStop?.();
  }

  register(handle, group);
  return handle;
}

/** Spawns `command args` (no shell) and registers it. Spawn errors reject `started`/`exited`/`done`. */
export function startChild(command: string, args: readonly string[], opts: StartChildOptions): ChildHandle {
  const proc = spawn(command, [...args], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'],
    detached: spawnsOwnGroup(process.platform, Boolean(opts.detached)),
    windowsHide: true,
  });
  return adoptChild(proc, opts, command);
}

/** The children still registered (running, or a stopping group). */
export function listChildren(): ChildHandle[] {
  return [...registry];
}

/** Stops every registered child (in parallel). Called by the CLI on exit, SIGINT and SIGTERM. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...registry].map((h) => h.stop()));
}
