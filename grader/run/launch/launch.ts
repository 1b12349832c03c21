/**
 * Starting a submission's processes: launch() is the one place every process of a submission (and
 * the grader's own helpers around it) is started, with a scrubbed environment and a marker that
 * finds whatever escaped its process group, bounded runs, and which kind a repo is. What each kind
 * runs lives in ../kinds.ts; the tutorial's Python in ../python/.
 *
 * May import: src/, grader/run/sandbox/ (types only).
 */
import * as v from 'valibot';
import { parseJson, type Schema } from '../../../src/json.ts';
import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startChild, type ChildHandle } from '../../../src/process/children.ts';
import { CappedOutput } from '../../../src/process/capped-output.ts';
import { sleep, waitWithin } from '../../../src/timing/wait.ts';
import { processesWithEnv } from '../../../src/platform/processes.ts';
import type { CommandWrap } from '../sandbox/sandbox.ts';

/** The line avsock's commands print when their window is served: `ui: http://127.0.0.1:PORT/…`. */
export const UI_LINE = /\bui:\s*(https?:\/\/127\.0\.0\.1:\d+\/\S*)/;

export type SubmissionKind = 'node' | 'python' | 'unknown';

export interface Launched {
  name: string;
  handle: ChildHandle;
  out: CappedOutput;
  /** Set once the process has exited. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

/** Only what a program needs: no tokens or secrets from the grader's environment reach student code. */
export function submissionEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = [
    'PATH',
    'HOME',
    'LANG',
    'LC_ALL',
    'TMPDIR',
    'DISPLAY',
    'XAUTHORITY',
    'WAYLAND_DISPLAY',
    'PUPPETEER_EXECUTABLE_PATH',
    'FFMPEG_PATH',
    'FFPROBE_PATH',
    'ALSA_CONFIG_PATH',
    'PYTHONPATH',
    'CI',
    'npm_config_cache',
    'PUPPETEER_CACHE_DIR',
  ];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith('AVSOCK_') && v !== undefined) env[k] = v;
  return { ...env, NO_COLOR: '1', HUSKY: '0', npm_config_update_notifier: 'false', npm_config_fund: 'false', ...extra };
}

/** Environment variable that tags every process of one launch (inherited by all its descendants). */
export const RUN_MARKER_VAR = 'AVSOCK_GRADER_RUN';

/**
 * Processes whose environment carries this launch's marker: what a submission started, even after
 * it left the process group (setsid, a daemon's double fork). Linux and macOS; [] on Windows, where
 * taskkill /T ends the tree instead (src/platform/processes.ts). Asynchronous: other submissions
 * may be timed on this event loop meanwhile.
 */
export function markedProcesses(marker: string, opts: { prefix?: boolean } = {}): Promise<number[]> {
  return processesWithEnv(RUN_MARKER_VAR, marker, opts).catch(() => []);
}

/** SIGKILLs every process carrying `marker`, a few rounds (a dying parent may fork once more). */
async function killMarked(marker: string): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const left = await markedProcesses(marker);
    if (left.length === 0) return;
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(100);
  }
}

export function launch(
  name: string,
  command: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; maxOutputBytes?: number; wrap?: CommandWrap; binaryStdout?: boolean },
): Launched {
  const out = new CappedOutput(opts.maxOutputBytes ?? 64 * 1024);
  // The sandbox (grader/run/sandbox/) or its network namespace, when the caller runs it in one.
  if (opts.wrap) ({ command, args } = opts.wrap(command, args));
  // Starts with our pid, so a test can find every process any launch of this grader left; the
  // random rest (96 bits) tells launches apart without a counter.
  const marker = `${process.pid}-${randomBytes(12).toString('hex')}`;
  const handle = startChild(command, args, {
    name,
    cwd: opts.cwd,
    env: { ...(opts.env ?? submissionEnv()), [RUN_MARKER_VAR]: marker },
    detached: true,
    stopTimeoutsMs: [1500, 1000],
    // Stopping the process group misses what escaped it (setsid, double fork): after the group is
    // gone, everything still carrying this launch's marker is killed too, so nothing outlives grading.
    afterStop: () => killMarked(marker),
  });
  const launched: Launched = { name, handle, out };
  // A binary stdout (pictures) is the caller's to read; only the text is kept.
  if (!opts.binaryStdout) out.attach(handle.process.stdout);
  out.attach(handle.process.stderr);
  handle.exited.then(
    (e) => (launched.exit = e),
    (error: unknown) => {
      launched.exit = { code: -1, signal: null };
      out.push(`\n${name} failed to start: ${(error as Error).message}\n`);
    },
  );
  return launched;
}

async function findFile(dir: string, name: string, depth = 2): Promise<string | undefined> {
  if (existsSync(join(dir, name))) return join(dir, name);
  if (depth === 0) return undefined;
  let entries: string[] = [];
  try {
    entries = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules' && e.name !== '__pycache__')
      .map((e) => e.name)
      .sort();
  } catch {
    return undefined;
  }
  for (const e of entries) {
    const found = await findFile(join(dir, e), name, depth - 1);
    if (found) return found;
  }
  return undefined;
}

/** Of a submission's package.json, only its scripts matter here. */
const PackageScriptsSchema: Schema<{ scripts?: Record<string, string> | undefined }> = v.object({ scripts: v.optional(v.record(v.string(), v.string())) });

export async function detectKind(repo: string): Promise<{ kind: SubmissionKind; python?: { server: string; client?: string } }> {
  try {
    const pkg = parseJson(await readFile(join(repo, 'package.json'), 'utf8'), PackageScriptsSchema, 'package.json');
    if (pkg.scripts?.server && pkg.scripts?.client) return { kind: 'node' };
  } catch {
    // not a Node submission
  }
  const server = await findFile(repo, 'server.py');
  if (server) {
    const client = await findFile(resolve(server, '..'), 'client.py', 0);
    return { kind: 'python', python: { server, ...(client ? { client } : {}) } };
  }
  return { kind: 'unknown' };
}

/** Runs a bounded command to completion; resolves with its exit code (-1 on timeout or spawn error). */
export async function runBounded(
  name: string,
  command: string,
  args: string[],
  opts: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv; wrap?: CommandWrap },
): Promise<{ code: number; output: string }> {
  const l = launch(name, command, args, { cwd: opts.cwd, ...(opts.env ? { env: opts.env } : {}), ...(opts.wrap ? { wrap: opts.wrap } : {}) });
  try {
    const result = await waitWithin(
      l.handle.exited.catch(() => ({ code: -1, signal: null })),
      opts.timeoutMs,
    );
    if (!result.ok) return { code: -1, output: `${l.out.tail(5)}\n(${name} timed out after ${opts.timeoutMs / 1000} s)` };
    return { code: result.value.code ?? -1, output: l.out.tail(10) };
  } finally {
    await l.handle.stop();
  }
}
