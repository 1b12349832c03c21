/**
 * Asking the OS about other processes: which ones exist, whose child each is, which carry an
 * environment variable (how the grader finds what a submission started after it left its process
 * group with setsid or a double fork), and how much memory and how many open files each holds (the
 * soak run checks they stay flat).
 *
 * - Linux: /proc/<pid>/stat (`pid (comm) state ppid …`; comm may hold spaces and parentheses, so
 *   it ends at the LAST ')') and /proc/<pid>/environ (NUL-separated NAME=value). Read directly:
 *   no `ps`/`pgrep`, which minimal containers lack.
 *   Usage: VmRSS in /proc/<pid>/status, the entries of /proc/<pid>/fd. CPU times (utime … cstime)
 *   and VmHWM for the bench's samplers, and the Uid line for the sandbox's process limit, read
 *   synchronously (linux*Sync below): a sampler must not yield between its reads.
 * - macOS: `ps -A -o pid=,ppid=,stat=,comm=`, and `ps -A -ww -E -o pid=,command=` for environments
 *   (BSD ps appends the environment after the arguments; it shows only our own user's processes,
 *   which is all the grader starts). Usage: `ps -o rss=` and the numbered fds of `lsof -p … -F f`.
 * - Windows: `Get-CimInstance Win32_Process` through PowerShell for pid, parent and name, and
 *   `Get-Process` for the working set and the handle count (Windows' open-file count). Windows
 *   offers no supported way to read another process's environment (it lives in that process's own
 *   memory), so processesWithEnv() finds nothing there; `taskkill /T` (process-tree.ts) ends the
 *   tree by parent pid instead.
 *
 * Every branch is a parser of text the OS gives, tested with captured samples on any OS.
 */
import { runProgram } from '../process/exec.ts';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

export interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  /** Executable name without directory (Windows: with .exe). */
  readonly name: string;
  /** Exited but not yet reaped by its parent: dead for every purpose but its pid. */
  readonly zombie: boolean;
}

/** The fields of a /proc/<pid>/stat line avsock reads (proc(5)); the CPU times are clock ticks. */
export interface ProcStatFields {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  /** Field 14, 15, 16, 17: own user and system time, and those of reaped children (NaN when absent). */
  readonly utime: number;
  readonly stime: number;
  readonly cutime: number;
  readonly cstime: number;
}

/**
 * The one parser of /proc/<pid>/stat. `comm` is in parentheses and may hold spaces and ')', so the
 * fields after it are counted from the LAST ')' (proc(5)). Undefined when it is not such a line.
 */
export function parseProcStatFields(text: string): ProcStatFields | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const pid = Number(text.slice(0, open).trim());
  const [state, ppid] = rest;
  if (!Number.isInteger(pid) || !state || !Number.isInteger(Number(ppid))) return undefined;
  // rest[0] is field 3 (state), so field k is rest[k - 3].
  const field = (k: number): number => (rest[k - 3] === undefined ? Number.NaN : Number(rest[k - 3]));
  return { pid, comm: text.slice(open + 1, close), state, ppid: Number(ppid), utime: field(14), stime: field(15), cutime: field(16), cstime: field(17) };
}

/** One /proc/<pid>/stat line, or undefined when it is not one. */
export function parseProcStat(text: string): ProcessEntry | undefined {
  const f = parseProcStatFields(text);
  return f && { pid: f.pid, ppid: f.ppid, name: f.comm, zombie: f.state === 'Z' || f.state === 'X' };
}

/** A `Name:   N kB` (or `Uid:  N …`) line of /proc/<pid>/status, as its first number. */
export function parseProcStatusNumber(text: string, key: 'VmRSS' | 'VmHWM' | 'Uid'): number | undefined {
  const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * Clock ticks per second of /proc's CPU times: USER_HZ, which the kernel's user ABI fixes at 100 on
 * every architecture Node runs on (`getconf CLK_TCK`).
 */
export const LINUX_CLOCK_TICKS_PER_SECOND = 100;

function linuxPidsSync(): number[] {
  try {
    return readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .map(Number);
  } catch {
    return [];
  }
}

/** Linux: /proc/<pid>/<file> as text, or undefined once the process is gone. */
function readProcSync(pid: number, file: 'stat' | 'status'): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined; // exited between readdir and read
  }
}

/** Linux, synchronously: the stat of every process this user may see (a snapshot). */
export function linuxProcStatsSync(): ProcStatFields[] {
  const out: ProcStatFields[] = [];
  for (const pid of linuxPidsSync()) {
    const text = readProcSync(pid, 'stat');
    const f = text === undefined ? undefined : parseProcStatFields(text);
    if (f) out.push(f);
  }
  return out;
}

/** Linux, synchronously: one number of /proc/<pid>/status, or undefined (gone, kernel thread). */
export function linuxProcStatusSync(pid: number, key: 'VmRSS' | 'VmHWM' | 'Uid'): number | undefined {
  const text = readProcSync(pid, 'status');
  return text === undefined ? undefined : parseProcStatusNumber(text, key);
}

/** Linux: the file naming `pid`'s network namespace, for `nsenter --net=FILE`. */
export function linuxNetNamespaceFile(pid: number): string {
  return `/proc/${pid}/ns/net`;
}

/** Linux, synchronously: how many processes run as `uid` now. */
export function linuxProcessCountOfUidSync(uid: number): number {
  return linuxPidsSync().filter((pid) => linuxProcStatusSync(pid, 'Uid') === uid).length;
}

/** `ps -A -o pid=,ppid=,stat=,comm=` (macOS: comm is the full path, and may hold spaces). */
export function parsePsList(text: string): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (!m) continue;
    out.push({ pid: Number(m[1]), ppid: Number(m[2]), name: m[4]!.split('/').pop()!, zombie: m[3]!.startsWith('Z') });
  }
  return out;
}

/** Lines of `pid ppid name` printed by the PowerShell command below. */
export function parseWindowsList(text: string): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.+?)\s*$/.exec(line);
    if (m) out.push({ pid: Number(m[1]), ppid: Number(m[2]), name: m[3]!, zombie: false });
  }
  return out;
}

const WINDOWS_LIST = "Get-CimInstance Win32_Process | ForEach-Object { '{0} {1} {2}' -f $_.ProcessId, $_.ParentProcessId, $_.Name }";

/** Whether a NUL-separated environment block holds `NAME=value` exactly, or `NAME=value…` with `prefix`. */
export function environHas(environ: string, variable: string, value: string, prefix = false): boolean {
  const needle = `\0${variable}=${value}${prefix ? '' : '\0'}`;
  return `\0${environ}\0`.includes(needle);
}

/**
 * Pids from `ps -A -ww -E -o pid=,command=` whose environment holds `NAME=value` (or a value
 * starting with `value`). The environment follows the arguments, space-separated.
 */
export function parsePsEnv(text: string, variable: string, value: string, prefix = false): number[] {
  const escaped = `${variable}=${value}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`\\s${escaped}${prefix ? '' : '(\\s|$)'}`);
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s(.*)$/.exec(line);
    if (m && re.test(` ${m[2]}`)) out.push(Number(m[1]));
  }
  return out;
}

async function run(command: string, args: string[]): Promise<string> {
  return (await runProgram(command, args, { timeoutMs: 20_000 })).stdout;
}

async function procPids(): Promise<number[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  return entries.filter((e) => /^\d+$/.test(e)).map(Number);
}

/** Every process this user may see, with its parent (a snapshot; entries may be gone already). */
export async function listProcesses(platform: NodeJS.Platform = process.platform): Promise<ProcessEntry[]> {
  if (platform === 'linux') {
    const stats = await Promise.all((await procPids()).map((pid) => readFile(`/proc/${pid}/stat`, 'utf8').then(parseProcStat, () => undefined)));
    return stats.filter((e): e is ProcessEntry => e !== undefined);
  }
  if (platform === 'win32') return parseWindowsList(await run('powershell', ['-NoProfile', '-NonInteractive', '-Command', WINDOWS_LIST]));
  return parsePsList(await run('ps', ['-A', '-o', 'pid=,ppid=,stat=,comm=']));
}

/** Live (not zombie) children of `pid`, optionally only those whose executable is `name` (`name.exe` on Windows). */
export async function childProcesses(pid: number, name?: string, platform: NodeJS.Platform = process.platform): Promise<ProcessEntry[]> {
  const wanted = name?.toLowerCase();
  return (await listProcesses(platform)).filter(
    (p) => p.ppid === pid && !p.zombie && (wanted === undefined || p.name.toLowerCase() === wanted || p.name.toLowerCase() === `${wanted}.exe`),
  );
}

/** Whether `pid` is running: gone and zombies (exited, unreaped) are not. */
export async function isRunning(pid: number, platform: NodeJS.Platform = process.platform): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (platform === 'win32') return true; // Windows keeps no zombies: an exited process has no pid to signal
  if (platform === 'linux')
    return readFile(`/proc/${pid}/stat`, 'utf8').then(
      (t) => parseProcStat(t)?.zombie === false,
      () => false,
    );
  return (await listProcesses(platform)).some((p) => p.pid === pid && !p.zombie);
}

/**
 * Pids (not ours) whose environment holds `NAME=value` (with `prefix`, a value starting with it).
 * Windows: always [] (see the top of this file).
 */
export async function processesWithEnv(variable: string, value: string, opts: { prefix?: boolean; platform?: NodeJS.Platform } = {}): Promise<number[]> {
  const platform = opts.platform ?? process.platform;
  const prefix = opts.prefix ?? false;
  let found: number[];
  if (platform === 'linux') {
    const pids = await procPids();
    const hits = await Promise.all(
      pids.map((pid) =>
        readFile(`/proc/${pid}/environ`, 'latin1').then(
          (env) => environHas(env, variable, value, prefix),
          () => false,
        ),
      ),
    );
    found = pids.filter((_, i) => hits[i]);
  } else if (platform === 'win32') {
    found = [];
  } else {
    found = parsePsEnv(await run('ps', ['-A', '-ww', '-E', '-o', 'pid=,command=']), variable, value, prefix);
  }
  return found.filter((pid) => pid !== process.pid);
}

/** Every descendant of `pid` in a snapshot (children, grandchildren …), zombies included. */
export function descendantsIn(list: readonly ProcessEntry[], pid: number): ProcessEntry[] {
  const found: ProcessEntry[] = [];
  let frontier = new Set([pid]);
  while (frontier.size > 0) {
    const next = list.filter((p) => frontier.has(p.ppid) && !found.includes(p));
    found.push(...next);
    frontier = new Set(next.map((p) => p.pid));
  }
  return found;
}

/** What a process holds: resident memory, and open files (Windows: handles, which include them). */
export interface ProcessUsage {
  readonly rssKb: number;
  readonly openFiles: number;
}

/** VmRSS from /proc/<pid>/status, in KiB. */
export function parseProcStatusRssKb(text: string): number | undefined {
  return parseProcStatusNumber(text, 'VmRSS');
}

/** Open file descriptors in `lsof -p PID -F f` output: the numbered `f` lines (cwd, txt, mem … are not descriptors). */
export function parseLsofFds(text: string): number {
  return text.split('\n').filter((l) => /^f\d+$/.test(l.trim())).length;
}

/** `<working set bytes> <handle count>` printed by the PowerShell command below. */
export function parseWindowsUsage(text: string): ProcessUsage | undefined {
  const m = /^\s*(\d+)\s+(\d+)\s*$/m.exec(text);
  return m ? { rssKb: Math.round(Number(m[1]) / 1024), openFiles: Number(m[2]) } : undefined;
}

/** The process's memory and open files, or undefined once it is gone. */
export async function processUsage(pid: number, platform: NodeJS.Platform = process.platform): Promise<ProcessUsage | undefined> {
  try {
    if (platform === 'linux') {
      const rssKb = parseProcStatusRssKb(await readFile(`/proc/${pid}/status`, 'utf8'));
      const fds = await readdir(`/proc/${pid}/fd`);
      return rssKb === undefined ? undefined : { rssKb, openFiles: fds.length };
    }
    if (platform === 'win32') {
      return parseWindowsUsage(
        await run('powershell', [
          '-NoProfile',
          '-NonInteractive',
          '-Command',
          `Get-Process -Id ${pid} | ForEach-Object { '{0} {1}' -f $_.WorkingSet64, $_.HandleCount }`,
        ]),
      );
    }
    const rss = Number((await run('ps', ['-o', 'rss=', '-p', String(pid)])).trim());
    const fds = parseLsofFds(await run('lsof', ['-n', '-P', '-p', String(pid), '-F', 'f']));
    return Number.isFinite(rss) && rss > 0 ? { rssKb: rss, openFiles: fds } : undefined;
  } catch {
    return undefined; // gone (ps and lsof exit 1 for an unknown pid)
  }
}

/**
 * This process's hard limit for one resource (/proc/self/limits); undefined where there is none.
 * A container asking for more than its host allows fails with `setrlimit … Operation not
 * permitted`, which podman's defaults (nofile 1048576, nproc 4194304) do on a VM with lower limits.
 */
export function linuxHardLimit(name: 'Max open files' | 'Max processes'): number | undefined {
  if (!existsSync('/proc/self/limits')) return undefined;
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(name));
  const hard = line?.slice(name.length).trim().split(/\s+/)[1];
  const n = Number(hard);
  return Number.isFinite(n) ? n : undefined;
}

/** The kernel's highest process id (/proc/sys/kernel/pid_max); Linux's default 32768 where unreadable. */
export function linuxPidMax(): number {
  try {
    return Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim()) || 32768;
  } catch {
    return 32768;
  }
}
