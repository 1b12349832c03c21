/**
 * The real commands as child processes for the end-to-end and reliability tests and `npm run soak`:
 * `node --import tsx src/cli/*.ts` (no npm in between, so signals reach them), on loopback with
 * ports from the OS.
 *
 * Output is kept capped (a process that logs per packet must not make the test itself grow); the
 * line count is kept exactly, so "rejections are not logged per packet" can be asserted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientStatsJson } from '../../src/client/client-stats.ts';
import { sleep } from '../../src/timing/wait.ts';

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
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (proc.stdout = capped(proc.stdout, d)));
  child.stderr.on('data', (d: string) => {
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
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** The one sleep (src/timing/wait.ts), for the tests that import it from here. */
export { sleep };

export interface RunningServer {
  readonly proc: Proc;
  readonly port: number;
  readonly audioPort: number;
  /** The server's own page (its `ui:` line). */
  readonly uiUrl: string;
}

/** Starts the server (ports from the OS unless given) and waits for its `listening:` and `ui:` lines. */
export async function startServer(
  args: string[],
  opts: { port?: number; audioPort?: number; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {},
): Promise<RunningServer> {
  const ports = opts.port !== undefined ? ['--port', String(opts.port), '--audio-port', String(opts.audioPort)] : ['--port', '0'];
  const proc = run('server', 'src/cli/server.ts', [...ports, '--no-window', ...args], opts.env, opts.nodeArgs);
  const bound = await waitFor(
    'the server to listen',
    () => {
      if (proc.exit) throw new Error(`server exited ${proc.exit.code}: ${proc.stderr}`);
      const m = /listening: video udp:\/\/[^:]+:(\d+) audio tcp:\/\/[^:]+:(\d+)/.exec(proc.stdout);
      const ui = /^ui: (\S+)/m.exec(proc.stdout);
      return m && ui ? { port: Number(m[1]), audioPort: Number(m[2]), uiUrl: ui[1]! } : undefined;
    },
    40_000,
  );
  return { proc, ...bound };
}

export function startClient(server: { port: number; audioPort: number }, args: string[]): Proc {
  return run('client', 'src/cli/client.ts', [
    '--port',
    String(server.port),
    '--audio-port',
    String(server.audioPort),
    '--no-window',
    '--audio',
    'null',
    ...args,
  ]);
}

export function readStats(file: string): ClientStatsJson {
  return JSON.parse(readFileSync(file, 'utf8')) as ClientStatsJson;
}

// ---- temp files ----

export interface TempDir {
  readonly path: string;
  remove(): void;
}

export function tempDir(prefix = 'avsock-test-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
