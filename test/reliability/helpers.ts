/**
 * Shared by the reliability tests and `npm run soak`: the real commands as child processes
 * (`node --import tsx src/cli/*.ts`, no npm in between so signals reach them), on loopback with ports
 * from the OS, plus what /proc says about them (RSS, open fds, descendants, UDP ports).
 *
 * Output is kept capped (a process that logs per packet must not make the test itself grow); the
 * line count is kept exactly, so "rejections are not logged per packet" can be asserted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientStatsJson } from '../../src/client/client-stats.ts';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const OUTPUT_CAP = 256 * 1024;

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Captured output (the first and last OUTPUT_CAP/2 characters when longer). */
  stdout: string;
  stderr: string;
  stderrLines: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** undefined while running. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

const running = new Set<Proc>();

function capped(prev: string, add: string): string {
  const s = prev + add;
  if (s.length <= OUTPUT_CAP) return s;
  return `${s.slice(0, OUTPUT_CAP / 2)}\n[…]\n${s.slice(-OUTPUT_CAP / 2)}`;
}

/** Runs `node --import tsx <script> args` from the repo root. */
export function run(name: string, script: string, args: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', ...nodeArgs, script, ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', ...env },
  });
  const proc: Proc = {
    name,
    child,
    pid: child.pid!,
    stdout: '',
    stderr: '',
    stderrLines: 0,
    exit: undefined,
    exited: new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        proc.exit = { code, signal };
        running.delete(proc);
        resolve({ code, signal });
      });
    }),
  };
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => (proc.stdout = capped(proc.stdout, d)));
  child.stderr!.on('data', (d: string) => {
    proc.stderr = capped(proc.stderr, d);
    for (let i = d.indexOf('\n'); i >= 0; i = d.indexOf('\n', i + 1)) proc.stderrLines += 1;
  });
  running.add(proc);
  return proc;
}

/** Signal, then SIGKILL after `graceMs`: every process a test started is gone when it ends. */
export async function stop(proc: Proc | undefined, signal: NodeJS.Signals = 'SIGINT', graceMs = 6000): Promise<void> {
  if (!proc || proc.exit) return;
  proc.child.kill(signal);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => stop(p)));
}

/** Polls `check` every 50 ms until it returns a value (not undefined); bounded. */
export async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface RunningServer {
  readonly proc: Proc;
  readonly port: number;
  readonly audioPort: number;
}

export async function startServer(args: string[], opts: { port?: number; audioPort?: number; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): Promise<RunningServer> {
  const ports = opts.port !== undefined
    ? ['--port', String(opts.port), '--audio-port', String(opts.audioPort)]
    : ['--port', '0'];
  const proc = run('server', 'src/cli/server.ts', [...ports, '--no-window', ...args], opts.env, opts.nodeArgs);
  const bound = await waitFor('the server to listen', () => {
    if (proc.exit) throw new Error(`server exited ${proc.exit.code}: ${proc.stderr}`);
    const m = /listening: video udp:\/\/[^:]+:(\d+) audio tcp:\/\/[^:]+:(\d+)/.exec(proc.stdout);
    return m && /^ui: /m.test(proc.stdout) ? { port: Number(m[1]), audioPort: Number(m[2]) } : undefined;
  }, 40_000);
  return { proc, ...bound };
}

export function startClient(server: { port: number; audioPort: number }, args: string[]): Proc {
  return run('client', 'src/cli/client.ts', ['--port', String(server.port), '--audio-port', String(server.audioPort), '--no-window', '--audio', 'null', ...args]);
}

export function readStats(file: string): ClientStatsJson {
  return JSON.parse(readFileSync(file, 'utf8')) as ClientStatsJson;
}

/** Lines of a JavaScript stack trace ("    at f (file:1:2)"): none may reach a user's terminal. */
export function stackLines(text: string): string[] {
  return text.split('\n').filter((l) => /^\s{4}at /.test(l));
}

// ---- /proc ----

/** Resident set size in KiB, or undefined once the process is gone. */
export function rssKb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function fdCount(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

export interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** Exited but not yet reaped by its parent (wait()). */
  readonly zombie: boolean;
}

function allProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may contain spaces and parentheses; it ends at the last ')'.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      out.push({ pid: Number(entry), ppid: Number(fields[1]), comm, zombie: fields[0] === 'Z' });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** Every descendant of `pid` (children, grandchildren …), zombies included (a zombie is a child not reaped). */
export function descendants(pid: number): ProcInfo[] {
  const procs = allProcs();
  const found: ProcInfo[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const next = procs.filter((p) => frontier.includes(p.ppid));
    found.push(...next);
    frontier = next.map((p) => p.pid);
  }
  return found;
}

/** Is this pid alive (and not a zombie)? */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Local UDP ports of the sockets `pid` has open (from /proc/<pid>/fd and /proc/net/udp). */
export function udpPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9]!)) ports.push(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

// ---- temp files ----

export interface TempDir {
  readonly path: string;
  remove(): void;
}

export function tempDir(prefix = 'avsock-rel-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Seeded PRNG (mulberry32): a failing run can be replayed with the same seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
