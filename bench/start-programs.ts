/**
 * Starting the things a benchmark measures: cached clips, `src/cli/server.ts` and `src/cli/client.ts`
 * as child processes (registered in src/process/children.ts, so the caller's finally stops them),
 * loopback only, ports chosen by the OS (--port 0; the server prints the ports it bound).
 *
 * Processes run as `node --import tsx FILE` — what `tsx FILE` ends up running, without the extra
 * tsx wrapper process (it would add ~40 MB and a few ms of CPU to every tree we measure).
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild, type ChildHandle } from '../src/process/children.ts';
import { CappedOutput } from '../src/process/capped-output.ts';
import { makeTestClip } from '../src/media/index.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CACHE_DIR = join(REPO_ROOT, '.cache', 'bench');

export interface ClipSpec {
  /** Exact rate as makeTestClip takes it: '30', '24000/1001'. */
  fps: string;
  seconds: number;
  width: number;
  height: number;
  flashes?: boolean;
}

/** The clip's numeric fps. */
export function fpsOf(spec: { fps: string }): number {
  const [n, d] = spec.fps.split('/').map(Number);
  return n! / (d ?? 1);
}

/** Path of a cached synthetic clip (made once; atomic rename so a half-written file is never used). */
export async function benchClip(spec: ClipSpec, log: (msg: string) => void = () => {}): Promise<string> {
  const name = `v1-${spec.fps.replace('/', '_')}fps-${spec.width}x${spec.height}-${spec.seconds}s${spec.flashes ? '-flash' : ''}.mp4`;
  const path = join(CACHE_DIR, name);
  if (existsSync(path) && statSync(path).size > 0) return path;
  await mkdir(CACHE_DIR, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp.mp4`;
  log(`making ${name} (once)`);
  try {
    await makeTestClip(tmp, { fps: spec.fps, seconds: spec.seconds, width: spec.width, height: spec.height, audio: true, flashes: spec.flashes ?? false });
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  return path;
}

/**
 * Reads a child's stdout (from now on, drained to its end) and resolves the first line matching
 * `re`; rejects when the child exits first or `timeoutMs` passes.
 */
export async function waitForLine(child: ChildHandle, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const out = new CappedOutput();
  out.attach(child.process.stdout);
  const exited = new AbortController();
  void child.exited.then(
    () => exited.abort(),
    () => exited.abort(),
  );
  const m = await out.waitForLine(re, timeoutMs, { signal: exited.signal });
  if (m) return m;
  if (exited.signal.aborted) throw new Error(`${child.name} exited before printing ${re}: ${child.stderrTail(5)}`);
  throw new Error(`${child.name} printed no line matching ${re} within ${timeoutMs / 1000} s; stderr: ${child.stderrTail(5)}`);
}

export interface RunningServer {
  child: ChildHandle;
  pid: number;
  host: string;
  videoPort: number;
  audioPort: number;
  /** performance.now() when spawn was called. */
  spawnedMs: number;
  /** performance.now() when the `listening:` line arrived. */
  listeningMs: number;
}

export interface ServerLaunch {
  file: string;
  wire: 'framed' | 'tutorial';
  pacing: 'deadline' | 'tutorial';
  loop?: boolean;
  extraArgs?: string[];
  /** Node flags before the script, e.g. ['--cpu-prof', '--cpu-prof-dir=DIR'] to profile the server. */
  nodeArgs?: string[];
  /** Environment (default: this process's), e.g. with AVSOCK_SEND_TRACE. */
  env?: NodeJS.ProcessEnv;
  /** UDP video / TCP audio ports (default 0: the OS picks), e.g. for a client started before the server. */
  port?: number;
  audioPort?: number;
}

export const LISTENING = /^listening: video udp:\/\/([\d.]+):(\d+) audio tcp:\/\/([\d.]+):(\d+)/;

export async function startServer(opts: ServerLaunch): Promise<RunningServer> {
  const spawnedMs = performance.now();
  const args = [
    ...(opts.nodeArgs ?? []),
    '--import',
    'tsx',
    'src/cli/server.ts',
    '--file',
    opts.file,
    '--wire',
    opts.wire,
    '--pacing',
    opts.pacing,
    '--host',
    '127.0.0.1',
    '--port',
    String(opts.port ?? 0),
    ...(opts.audioPort !== undefined ? ['--audio-port', String(opts.audioPort)] : []),
    '--no-window',
    ...(opts.loop ? ['--loop'] : []),
    ...(opts.extraArgs ?? []),
  ];
  const child = startChild(process.execPath, args, {
    name: `server (${opts.wire}, ${opts.pacing})`,
    cwd: REPO_ROOT,
    detached: true,
    stopTimeoutsMs: [1500, 1000],
    ...(opts.env ? { env: opts.env } : {}),
  });
  await child.started;
  const m = await waitForLine(child, LISTENING, 30_000);
  return { child, pid: child.pid!, host: m[1]!, videoPort: Number(m[2]), audioPort: Number(m[4]), spawnedMs, listeningMs: performance.now() };
}

export interface ClientLaunch {
  server: RunningServer;
  wire: 'framed' | 'tutorial';
  durationS: number;
  statsFile: string;
}

export async function startClient(opts: ClientLaunch): Promise<ChildHandle> {
  const args = [
    '--import',
    'tsx',
    'src/cli/client.ts',
    '--host',
    opts.server.host,
    '--port',
    String(opts.server.videoPort),
    '--audio-port',
    String(opts.server.audioPort),
    '--wire',
    opts.wire,
    '--no-window',
    '--audio',
    'null',
    '--duration',
    String(opts.durationS),
    '--stats',
    opts.statsFile,
  ];
  const child = startChild(process.execPath, args, { name: 'client', cwd: REPO_ROOT, detached: true, stopTimeoutsMs: [1500, 1000] });
  child.process.stdout?.resume();
  await child.started;
  return child;
}

/** Epoch ms of a performance.now() reading (to compare times across processes). */
export function epochMs(perfMs: number): number {
  return performance.timeOrigin + perfMs;
}
