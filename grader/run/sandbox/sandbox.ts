/**
 * A sandbox per submission, made with bubblewrap (bwrap) and util-linux (nsenter, setpriv, prlimit).
 *
 * What a submission's process sees:
 * - the system (/usr, /etc, /opt, /lib*, /bin, /sbin) read-only, plus the few grader files it must
 *   read (the clip, the ALSA configs, the imutils stand-in) read-only at their own paths;
 * - its own temporary copy writable (a repo graded in place is read-only), and one scratch folder
 *   for the files the grader reads back (client stats, the PCM the client played);
 * - an empty private HOME and /tmp (size-capped tmpfs); nothing else of the instructor's files;
 * - a private network namespace with only loopback, made once per submission by a holder process
 *   and shared by all of that submission's processes, the grader's probe and the reference server
 *   (these trusted ones join only the network namespace) — the host's 127.0.0.1 is not in it;
 * - limits (setrlimit through prlimit): data memory, processes, CPU time, file size, open files;
 * - its own pid namespace: when the launch is stopped, bwrap's pid 1 dies and the kernel kills
 *   everything else in it, daemons included.
 *
 * Two ways to drop rights, chosen by who runs the grader:
 * - root (a container, CI): bwrap runs privileged (no user namespace needed), then setpriv drops to a
 *   uid of its own per submission, so RLIMIT_NPROC counts only that submission (the kernel never
 *   enforces it for uid 0) and the temp copy is chowned to that uid.
 * - an unprivileged instructor: bwrap --unshare-user (needs unprivileged user namespaces); the
 *   holder's user namespace is joined with nsenter -U before bwrap nests its own.
 */
import { spawnSync } from 'node:child_process';
import { chown, lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { startChild, type ChildHandle } from '../../../src/process/children.ts';
import { linuxNetNamespaceFile, linuxProcessCountOfUidSync } from '../../../src/platform/processes.ts';
import { detectSandbox, sandboxHolderArgs, SANDBOX_FIX, type SandboxSupport } from '../../../src/platform/sandbox-support.ts';
import { which } from '../../../src/platform/which.ts';
import { until } from '../launch/watch.ts';

export { detectSandbox, SANDBOX_FIX, type SandboxSupport };

/** A command rewritten to run somewhere else (inside the sandbox, or in its network namespace). */
export type CommandWrap = (command: string, args: string[]) => { command: string; args: string[] };

export interface SandboxLimits {
  /** RLIMIT_DATA, bytes: heap and private writable mappings (V8's and Go's PROT_NONE reservations don't count). */
  dataBytes: number;
  /** RLIMIT_NPROC: processes and threads of the sandbox's uid. */
  processes: number;
  /** RLIMIT_CPU per process, s. */
  cpuSeconds: number;
  /** RLIMIT_FSIZE, bytes: the largest file it may write. */
  fileBytes: number;
  /** RLIMIT_NOFILE. */
  openFiles: number;
  /** Size of each private tmpfs (HOME, /tmp), bytes. */
  tmpBytes: number;
}

/**
 * Generous for the tutorial (python3 + OpenCV + PyAudio ≈ 150 MB, 20 threads) and this template
 * (tsx + Node ≈ 250 MB), small enough that a hog, a fork bomb or a disk filler stops at once.
 */
export const DEFAULT_LIMITS: SandboxLimits = Object.freeze({
  dataBytes: 1536 * 1024 * 1024,
  processes: 256,
  cpuSeconds: 300,
  fileBytes: 256 * 1024 * 1024,
  openFiles: 1024,
  tmpBytes: 128 * 1024 * 1024,
});

/** Where the sandbox's HOME is (an empty tmpfs); the real HOME is not mounted at all. */
export const SANDBOX_HOME = '/home/student';

const SYSTEM_DIRS = ['/usr', '/etc', '/opt', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

async function chownTree(path: string, uid: number): Promise<void> {
  const st = await lstat(path);
  await chown(path, uid, uid).catch(() => {});
  if (!st.isDirectory()) return;
  for (const e of await readdir(path)) await chownTree(join(path, e), uid);
}

export interface SandboxOptions {
  /** Folders the submission may write (its temp copy). */
  writable: string[];
  /** Files or folders it may read (a repo graded in place, the clip, grader configs). */
  readable: string[];
  limits?: Partial<SandboxLimits>;
  /** The submission gets the host's network (npm install from the registry) instead of the private one. */
  hostNetwork?: boolean;
}

/** Interpreter installs outside the system dirs (pyenv, nvm under HOME) that must stay readable. */
export function interpreterDirs(): string[] {
  const dirs = new Set<string>();
  const outside = (p: string): boolean => !SYSTEM_DIRS.some((d) => p === d || p.startsWith(d + sep));
  const node = realpathSync(process.execPath);
  if (outside(node)) dirs.add(dirname(dirname(node)));
  const py = which('python3');
  if (py) {
    // A pyenv shim is a script that needs the whole pyenv root; a venv needs its base install too.
    if (/\/\.pyenv\/shims\/python3$/.test(py)) dirs.add(dirname(dirname(py)));
    const r = spawnSync(py, ['-c', 'import sys; print(sys.prefix); print(sys.base_prefix)'], { encoding: 'utf8', timeout: 20_000 });
    for (const p of (r.stdout ?? '')
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean))
      if (outside(p) && existsSync(p)) dirs.add(p);
  }
  return [...dirs];
}

/**
 * One submission's sandbox: holds its network namespace and wraps commands into it. `close()`
 * stops the holder (the namespace goes with it) and removes the scratch folder.
 */
export class SubmissionSandbox {
  readonly mode: 'root' | 'user';
  readonly uid: number | undefined;
  /** Writable by the submission, read back by the grader (client stats, played PCM). */
  readonly scratch: string;
  /** Wall time to make the sandbox (holder up, namespace ready), ms. */
  readonly startupMs: number;
  readonly #holder: ChildHandle;
  readonly #holderPid: number;
  readonly #opts: SandboxOptions;
  readonly #limits: SandboxLimits;
  readonly #displays: string[] = [];

  private constructor(init: {
    mode: 'root' | 'user';
    uid: number | undefined;
    scratch: string;
    holder: ChildHandle;
    holderPid: number;
    opts: SandboxOptions;
    startupMs: number;
  }) {
    this.mode = init.mode;
    this.uid = init.uid;
    this.scratch = init.scratch;
    this.#holder = init.holder;
    this.#holderPid = init.holderPid;
    this.#opts = init.opts;
    this.#limits = { ...DEFAULT_LIMITS, ...init.opts.limits };
    this.startupMs = init.startupMs;
  }

  /** Sandboxes opened by this grader process: each gets a uid of its own (root mode). */
  static #opened = 0;

  /** A uid of its own per sandbox (root mode), unused by any account: 0x30000 + pid-derived block. */
  static #nextUid(): number {
    return 0x30000 + ((process.pid % 4096) * 16 + (SubmissionSandbox.#opened++ % 16));
  }

  static async open(opts: SandboxOptions): Promise<SubmissionSandbox> {
    const t0 = performance.now();
    const s = detectSandbox();
    if (!s.ok) throw new Error(`${s.reason}: ${s.fix}`);
    const uid = s.mode === 'root' ? SubmissionSandbox.#nextUid() : undefined;
    const scratch = await mkdtemp(join(tmpdir(), 'avsock-sandbox-out-'));
    if (uid !== undefined) for (const dir of [scratch, ...opts.writable]) await chownTree(dir, uid);
    const holder = startChild('bwrap', [...sandboxHolderArgs(s.mode), '--info-fd', '3', '--', 'sleep', 'infinity'], {
      name: 'sandbox network holder',
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      detached: true,
      stopTimeoutsMs: [500, 500],
    });
    try {
      const info = await readInfo(holder);
      if (s.mode === 'user') await uidMapWritten(holder, info);
      return new SubmissionSandbox({ mode: s.mode, uid, scratch, holder, holderPid: info, opts, startupMs: performance.now() - t0 });
    } catch (error) {
      await holder.stop();
      await rm(scratch, { recursive: true, force: true });
      throw error;
    }
  }

  /** Enter the sandbox's network namespace (and, unprivileged, the user namespace that owns it). */
  #nsenter(): string[] {
    const t = String(this.#holderPid);
    return this.mode === 'root'
      ? ['nsenter', `--net=${linuxNetNamespaceFile(this.#holderPid)}`, '--']
      : ['nsenter', '-t', t, '-U', '-n', '--preserve-credentials', '--'];
  }

  /** Lets the submission draw on this X display (the grader's Xvfb, made after the sandbox). */
  allowDisplay(display: string): void {
    this.#displays.push(display);
  }

  /** For the grader's own processes (probe, reference server): only the network namespace. */
  readonly joinNetwork: CommandWrap = (command, args) => {
    const [nsenter, ...rest] = this.#nsenter();
    return { command: nsenter!, args: [...rest, command, ...args] };
  };

  /** For the submission's processes: everything in the header. `extra` adds paths for one launch. */
  untrusted(extra: { writable?: string[]; readable?: string[]; hostNetwork?: boolean } = {}): CommandWrap {
    return (command, args) => {
      const inner = bwrapArgs({
        mode: this.mode,
        uid: this.uid,
        limits: this.#limits,
        writable: [...this.#opts.writable, this.scratch, ...(extra.writable ?? [])],
        readable: [...this.#opts.readable, ...(extra.readable ?? [])],
        command,
        args,
        netns: !(extra.hostNetwork ?? this.#opts.hostNetwork),
        displays: this.#displays,
      });
      const pre = (extra.hostNetwork ?? this.#opts.hostNetwork) ? [] : this.#nsenter();
      const all = [...pre, ...inner];
      return { command: all[0]!, args: all.slice(1) };
    };
  }

  async close(): Promise<void> {
    // The holder's sleep has nothing to finish: SIGKILL it and bwrap reaps it and exits by itself
    // (killing bwrap first would orphan the sleep, and the registry's SIGINT → SIGTERM ladder waits
    // a second per step for that orphan's group).
    try {
      process.kill(this.#holderPid, 'SIGKILL');
    } catch {
      // already gone
    }
    await this.#holder.exited.catch(() => {});
    await this.#holder.stop();
    await rm(this.scratch, { recursive: true, force: true });
  }
}

/** How long the holder may take to map its uid after reporting its pid, ms (a hang guard). */
const UID_MAP_TIMEOUT_MS = 10_000;

/**
 * Waits until the holder's user namespace maps a uid. An unprivileged bwrap reports the child's pid
 * as soon as it lets the child run, and the child writes its own uid_map after that: a process that
 * joins the namespace before then has no uid in it, and a bwrap it starts there is refused new
 * namespaces ("No permissions to create new namespace") — which a busy machine made happen.
 */
async function uidMapWritten(holder: ChildHandle, pid: number): Promise<void> {
  const mapped = (): true | undefined => {
    try {
      return readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim() ? true : undefined;
    } catch {
      return undefined;
    }
  };
  const waited = await until(UID_MAP_TIMEOUT_MS, mapped, () => (holder.process.exitCode !== null ? 'the holder exited' : undefined));
  if (waited !== true) throw new Error(`the sandbox holder (pid ${pid}) did not map its user namespace's uid: ${waited}`);
}

/** The holder writes `{"child-pid": N, …}` on fd 3 once its namespaces exist. */
function readInfo(holder: ChildHandle): Promise<number> {
  return new Promise((resolvePid, reject) => {
    const fd3 = holder.process.stdio[3] as NodeJS.ReadableStream | null;
    let text = '';
    let stderr = '';
    holder.process.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    fd3?.on('data', (c: Buffer) => {
      text += c.toString();
      const m = /"child-pid"\s*:\s*(\d+)/.exec(text);
      if (m) resolvePid(Number(m[1]));
    });
    holder.exited.then(
      (e) => reject(new Error(`the sandbox holder exited (${e.signal ?? e.code}) before its namespace was ready: ${stderr.trim().split('\n').pop() ?? ''}`)),
      (error: unknown) => reject(error as Error),
    );
  });
}

interface BwrapSpec {
  mode: 'root' | 'user';
  uid: number | undefined;
  limits: SandboxLimits;
  writable: string[];
  readable: string[];
  command: string;
  args: string[];
  /** Stay in the caller's (already private) network namespace; false = the host's. */
  netns: boolean;
  /** X displays (":99") whose socket it may use. */
  displays?: string[];
}

/** The bwrap … setpriv … prlimit … command line (pure: the tests read it). */
export function bwrapArgs(spec: BwrapSpec): string[] {
  const a: string[] = ['bwrap'];
  const made = new Set<string>(['/']);
  // bwrap creates missing mount points 0700 (root's): make every parent 0755 so the dropped uid can walk to its binds.
  const parents = (p: string): void => {
    const chain: string[] = [];
    for (let d = dirname(p); !made.has(d); d = dirname(d)) chain.unshift(d);
    for (const d of chain) {
      if (SYSTEM_DIRS.includes(d)) continue;
      a.push('--perms', '0755', '--dir', d);
      made.add(d);
    }
  };
  for (const d of SYSTEM_DIRS) {
    if (!existsSync(d)) continue;
    // /bin → usr/bin on merged-/usr systems: keep the symlink.
    if (lstatSync(d).isSymbolicLink()) a.push('--symlink', readlinkSync(d), d);
    else a.push('--ro-bind', d, d);
    made.add(d);
  }
  a.push('--dev', '/dev', '--proc', '/proc');
  a.push('--perms', '1777', '--size', String(spec.limits.tmpBytes), '--tmpfs', '/tmp');
  made.add('/tmp');
  a.push('--perms', '0755', '--dir', '/home');
  made.add('/home');
  a.push('--perms', '0777', '--size', String(spec.limits.tmpBytes), '--tmpfs', SANDBOX_HOME);
  made.add(SANDBOX_HOME);
  const seen = new Set<string>();
  const bind = (flag: string, p: string): void => {
    const abs = resolve(p);
    if (seen.has(abs) || !existsSync(abs)) return;
    seen.add(abs);
    parents(abs);
    a.push(flag, abs, abs);
    made.add(abs);
  };
  // Only the X displays the grader made for it (its abstract socket lives in the host's network
  // namespace, so the socket file is the way in); never the instructor's own desktop.
  for (const d of spec.displays ?? []) {
    const m = /^:(\d+)(\.\d+)?$/.exec(d);
    if (m) bind('--bind', `/tmp/.X11-unix/X${m[1]}`);
  }
  for (const p of interpreterDirsCached()) bind('--ro-bind', p);
  for (const p of spec.readable) bind('--ro-bind', p);
  for (const p of spec.writable) bind('--bind', p);
  a.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try');
  if (spec.mode === 'user') a.push('--unshare-user');
  if (!spec.netns) a.push('--share-net');
  // --new-session: no TIOCSTI into the grader's terminal; --die-with-parent: stopping the launch kills it all.
  a.push(
    '--die-with-parent',
    '--new-session',
    '--hostname',
    'sandbox',
    '--setenv',
    'HOME',
    SANDBOX_HOME,
    '--setenv',
    'TMPDIR',
    '/tmp',
    '--setenv',
    'USER',
    'student',
  );
  a.push('--');
  const l = spec.limits;
  if (spec.uid !== undefined) a.push('setpriv', `--reuid=${spec.uid}`, `--regid=${spec.uid}`, '--clear-groups', '--');
  const nproc =
    spec.uid !== undefined
      ? l.processes
      : linuxProcessCountOfUidSync(process.getuid?.() ?? 0) /* RLIMIT_NPROC counts them all: the limit goes on top */ + l.processes;
  a.push(
    'prlimit',
    `--data=${l.dataBytes}`,
    `--nproc=${nproc}`,
    `--cpu=${l.cpuSeconds}`,
    `--fsize=${l.fileBytes}`,
    `--nofile=${l.openFiles}`,
    '--core=0',
    '--',
  );
  a.push(spec.command, ...spec.args);
  return a;
}

/** interpreterDirs(), asked once per grader process (it runs python3). */
const interpreters: { dirs?: string[] } = {};
function interpreterDirsCached(): string[] {
  interpreters.dirs ??= interpreterDirs().filter((d) => d !== homedir());
  return interpreters.dirs;
}

/** Grader files a submission's processes read: the ALSA null/file configs and the imutils stand-in beside this module. */
const GRADER_READABLE = ['../python/alsa-null.conf', '../python/alsa-file.conf', '../python/imutils.py'].map((p) => new URL(p, import.meta.url).pathname);

/**
 * The sandbox for one submission as the grader runs it: its temp copy writable (a repo graded in
 * place read-only), the clip and the grader files it needs readable, a scratch folder for what the
 * grader reads back. Undefined when `enabled` is false.
 */
export async function openSubmissionSandbox(opts: {
  enabled: boolean;
  repo: string;
  workDir: string;
  clip?: string;
  limits?: Partial<SandboxLimits>;
}): Promise<SubmissionSandbox | undefined> {
  if (!opts.enabled) return undefined;
  const inPlace = resolve(opts.workDir) === resolve(opts.repo);
  return SubmissionSandbox.open({
    writable: inPlace ? [] : [opts.workDir],
    readable: [...(inPlace ? [opts.repo] : []), ...(opts.clip ? [opts.clip] : []), ...GRADER_READABLE],
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
}
