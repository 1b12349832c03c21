/**
 * Running the real commands for end-to-end tests: `node --import tsx src/cli/*.ts` as child
 * processes (no npm in between, so signals reach them), on loopback with ports from the OS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTestClip, type TestClipOptions } from '../../src/media/index.ts';
import type { ClientStatsJson } from '../../src/client/client-stats.ts';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface Proc {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitCode: number | null | undefined;
}

const running = new Set<Proc>();

export function run(script: string, args: string[]): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  const proc: Proc = {
    child,
    stdout: '',
    stderr: '',
    exitCode: undefined,
    exited: new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        proc.exitCode = code;
        running.delete(proc);
        resolve({ code, signal });
      });
    }),
  };
  child.stdout!.on('data', (d: Buffer) => (proc.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (proc.stderr += d.toString()));
  running.add(proc);
  return proc;
}

/** SIGINT, then SIGKILL after 5 s: every process a test started is gone when it ends. */
export async function stop(proc: Proc | undefined): Promise<void> {
  if (!proc || proc.exitCode !== undefined) return;
  proc.child.kill('SIGINT');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 5000);
  await proc.exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => stop(p)));
}

export async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface RunningServer {
  readonly proc: Proc;
  readonly port: number;
  readonly audioPort: number;
  readonly uiUrl: string;
}

/** Starts `npm run server` on ports from the OS and waits for its `listening:` and `ui:` lines. */
export async function startServer(args: string[]): Promise<RunningServer> {
  const proc = run('src/cli/server.ts', ['--port', '0', '--no-window', ...args]);
  const ports = await waitFor('the server to listen', () => {
    if (proc.exitCode !== undefined) throw new Error(`server exited ${proc.exitCode}: ${proc.stderr}`);
    const m = /listening: video udp:\/\/[^:]+:(\d+) audio tcp:\/\/[^:]+:(\d+)/.exec(proc.stdout);
    const ui = /^ui: (\S+)/m.exec(proc.stdout);
    return m && ui ? { port: Number(m[1]), audioPort: Number(m[2]), uiUrl: ui[1]! } : undefined;
  });
  return { proc, ...ports };
}

export function startClient(server: { port: number; audioPort: number }, args: string[]): Proc {
  return run('src/cli/client.ts', ['--port', String(server.port), '--audio-port', String(server.audioPort), '--no-window', '--audio', 'null', ...args]);
}

export function readStats(file: string): ClientStatsJson {
  return JSON.parse(readFileSync(file, 'utf8')) as ClientStatsJson;
}

export interface TempDir {
  readonly path: string;
  remove(): void;
}

export function tempDir(): TempDir {
  const path = mkdtempSync(join(tmpdir(), 'avsock-e2e-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function clip(dir: TempDir, name: string, opts: TestClipOptions): Promise<string> {
  return makeTestClip(join(dir.path, name), opts);
}
