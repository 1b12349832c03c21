/**
 * Starting a submission's processes: launch() is the one place every process of a submission (and
 * the grader's own helpers around it) is started, with a scrubbed environment and a marker that
 * finds whatever escaped its process group. Also: which kind a repo is, and the python3 (with
 * cv2, pyaudio, numpy) that runs tutorial scripts. What each kind runs lives in kinds.ts.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChildStartError, startChild, type ChildHandle } from '../../src/process/children.ts';
import { runProgram } from '../../src/process/exec.ts';
import { CappedOutput } from '../../src/process/capped-output.ts';
import { sleep, waitWithin } from '../../src/timing/wait.ts';
import { hasDisplay } from '../../src/platform/tools.ts';
import { processesWithEnv } from '../../src/platform/processes.ts';
import { findVirtualDisplayTool } from '../../src/platform/virtual-display.ts';
import { linuxHasNoSound } from '../../src/audio/sinks.ts';
import type { CommandWrap } from './sandbox.ts';

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
  const keep = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'DISPLAY', 'XAUTHORITY', 'WAYLAND_DISPLAY', 'PUPPETEER_EXECUTABLE_PATH', 'FFMPEG_PATH', 'FFPROBE_PATH', 'ALSA_CONFIG_PATH', 'PYTHONPATH', 'CI', 'npm_config_cache', 'PUPPETEER_CACHE_DIR'];
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

export function launch(name: string, command: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; maxOutputBytes?: number; wrap?: CommandWrap; binaryStdout?: boolean }): Launched {
  const out = new CappedOutput(opts.maxOutputBytes ?? 64 * 1024);
  // The sandbox (grader/run/sandbox.ts) or its network namespace, when the caller runs it in one.
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

export async function detectKind(repo: string): Promise<{ kind: SubmissionKind; python?: { server: string; client?: string } }> {
  try {
    const pkg = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
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
export async function runBounded(name: string, command: string, args: string[], opts: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv; wrap?: CommandWrap }): Promise<{ code: number; output: string }> {
  const l = launch(name, command, args, { cwd: opts.cwd, ...(opts.env ? { env: opts.env } : {}), ...(opts.wrap ? { wrap: opts.wrap } : {}) });
  try {
    const result = await waitWithin(l.handle.exited.catch(() => ({ code: -1, signal: null })), opts.timeoutMs);
    if (!result.ok) return { code: -1, output: `${l.out.tail(5)}\n(${name} timed out after ${opts.timeoutMs / 1000} s)` };
    return { code: result.value.code ?? -1, output: l.out.tail(10) };
  } finally {
    await l.handle.stop();
  }
}

/**
 * Points the tutorial's hard-coded settings at loopback, our port and our clip, in the temp copy:
 * `host_ip = '192.168.1.21'`, `port = 9688`, `filename = 'count.mp4'` (tutorial server.py/client.py).
 */
export function rewriteTutorialPython(source: string, opts: { port: number; clip?: string }): string {
  let s = source.replace(/^(\s*host_ip\s*=\s*)[^\n#]*/m, `$1'127.0.0.1'`);
  s = s.replace(/^(\s*port\s*=\s*)\d+/m, `$1${opts.port}`);
  if (opts.clip) s = s.replace(/^(\s*filename\s*=\s*)[^\n#]*/m, `$1${JSON.stringify(opts.clip)}`);
  return s;
}

/** rewriteTutorialPython() in place (tests pointing a fixture server at a port). */
export async function preparePythonScript(path: string, opts: { port: number; clip?: string }): Promise<void> {
  await writeFile(path, rewriteTutorialPython(await readFile(path, 'utf8'), opts));
}

export interface PythonChoice {
  /** The interpreter to run the tutorial's scripts with. */
  command: string;
  /** Whether it imports cv2, pyaudio and numpy (the tutorial's modules besides imutils). */
  hasModules: boolean;
  /** Whether it imports imutils; if not, the grader's stand-in (grader/run/python/) is put on PYTHONPATH. */
  hasImutils: boolean;
  /** What was tried, in order, with the outcome (for the report). */
  tried: string[];
}

const PYTHON_CANDIDATES = ['python3', '/usr/bin/python3'];
/** The interpreter chosen from PYTHON_CANDIDATES, once per grader process. */
const chosenPython: { choice?: PythonChoice } = {};

/**
 * The first python3 that imports cv2, pyaudio and numpy: `python3` on PATH, then /usr/bin/python3
 * (a pyenv/venv shim on PATH often lacks the apt-installed python3-opencv / python3-pyaudio that
 * the system interpreter has). None has them: `python3`, so the run fails with its own
 * ModuleNotFoundError and pythonMissingModule() names the fix. Checked once per grader process.
 */
export function resolvePython(candidates: readonly string[] = PYTHON_CANDIDATES): PythonChoice {
  if (candidates === PYTHON_CANDIDATES && chosenPython.choice) return chosenPython.choice;
  const tried: string[] = [];
  let choice: PythonChoice | undefined;
  for (const command of candidates) {
    const r = spawnSync(command, ['-c', 'import cv2, pyaudio, numpy'], { encoding: 'utf8', timeout: 20_000, env: submissionEnv() });
    if (r.status === 0) {
      tried.push(`${command}: ok`);
      const imutils = spawnSync(command, ['-c', 'import imutils'], { timeout: 20_000, env: submissionEnv() });
      choice = { command, hasModules: true, hasImutils: imutils.status === 0, tried };
      break;
    }
    const missing = /No module named '([^']+)'/.exec(r.stderr ?? '')?.[1];
    tried.push(`${command}: ${r.error ? (r.error as NodeJS.ErrnoException).code ?? r.error.message : missing ? `no ${missing}` : `exit ${r.status}`}`);
  }
  choice ??= { command: candidates[0] ?? 'python3', hasModules: false, hasImutils: false, tried };
  if (candidates === PYTHON_CANDIDATES) chosenPython.choice = choice;
  return choice;
}

async function canImport(command: string, modules: string): Promise<{ ok: boolean; detail: string }> {
  try {
    const r = await runProgram(command, ['-c', `import ${modules}`], { timeoutMs: 20_000, env: submissionEnv(), allowFailure: true });
    if (r.code === 0) return { ok: true, detail: 'ok' };
    const missing = /No module named '([^']+)'/.exec(r.stderr)?.[1];
    return { ok: false, detail: missing ? `no ${missing}` : `exit ${r.code}` };
  } catch (error) {
    return { ok: false, detail: error instanceof ChildStartError ? (error.syscallCode ?? error.message) : (error as Error).message };
  }
}

/**
 * resolvePython() without blocking the event loop (the grader times other submissions on it):
 * called while preparing, so pythonCommand() later finds the choice made.
 */
export async function resolvePythonAsync(): Promise<PythonChoice> {
  if (chosenPython.choice) return chosenPython.choice;
  const tried: string[] = [];
  for (const command of PYTHON_CANDIDATES) {
    const r = await canImport(command, 'cv2, pyaudio, numpy');
    tried.push(`${command}: ${r.detail}`);
    if (r.ok) {
      chosenPython.choice = { command, hasModules: true, hasImutils: (await canImport(command, 'imutils')).ok, tried };
      return chosenPython.choice;
    }
  }
  chosenPython.choice = { command: PYTHON_CANDIDATES[0] ?? 'python3', hasModules: false, hasImutils: false, tried };
  return chosenPython.choice;
}

/**
 * ALSA config for a machine without sound: the tutorial's server.py opens a PyAudio input and
 * client.py an output on the default device; without one, PyAudio raises inside a worker thread
 * and the audio half silently never starts. Playback and capture both go to ALSA's null plugin.
 */
export const NULL_ALSA_CONF = fileURLToPath(new URL('./alsa-null.conf', import.meta.url));

/** The stand-in for imutils.resize, the one imutils function the tutorial uses (not packaged by Debian). */
export const IMUTILS_STAND_IN_DIR = fileURLToPath(new URL('./python/', import.meta.url));

/** ALSA config whose default playback goes into the raw file named by $AVSOCK_AUDIO_OUT (client grading). */
export const FILE_ALSA_CONF = fileURLToPath(new URL('./alsa-file.conf', import.meta.url));

/** linuxHasNoSound(), asked once per grader process (it reads /proc synchronously). */
const machineSound: { none?: boolean } = {};
function noSound(): boolean {
  machineSound.none ??= Boolean(linuxHasNoSound(submissionEnv()));
  return machineSound.none;
}

/**
 * python3 [under xvfb-run when there is no display and none is given] — the tutorial opens OpenCV
 * windows — with ALSA_CONFIG_PATH pointing at a null device when the machine has no sound and none
 * was given, and the imutils stand-in on PYTHONPATH when the interpreter has no imutils.
 * `display`: run on that X display (the grader's own Xvfb, shared by server.py and client.py so
 * both windows can be grabbed); `env`: more variables (e.g. ALSA_CONFIG_PATH, AVSOCK_AUDIO_OUT).
 */
export function pythonCommand(script: string, opts: { display?: string; env?: Record<string, string> } = {}): { command: string; args: string[] } {
  const { command: python, hasModules, hasImutils } = resolvePython();
  const env: string[] = [];
  if (opts.display) env.push(`DISPLAY=${opts.display}`);
  if (!opts.env?.ALSA_CONFIG_PATH && noSound() && existsSync(NULL_ALSA_CONF)) env.push(`ALSA_CONFIG_PATH=${NULL_ALSA_CONF}`);
  for (const [k, v] of Object.entries(opts.env ?? {})) env.push(`${k}=${v}`);
  if (hasModules && !hasImutils) {
    const inherited = submissionEnv().PYTHONPATH;
    env.push(`PYTHONPATH=${inherited ? `${inherited}${delimiter}` : ''}${IMUTILS_STAND_IN_DIR}`);
  }
  if (env.length) env.unshift('env');
  const xvfbRun = findVirtualDisplayTool('xvfb-run').path;
  if (!opts.display && !hasDisplay() && xvfbRun) {
    return { command: xvfbRun, args: ['-a', '-s', '-screen 0 1280x800x24', ...env, python, '-u', script] };
  }
  if (env.length) return { command: 'env', args: [...env.slice(1), python, '-u', script] };
  return { command: python, args: ['-u', script] };
}

export const PYTHON_MODULES_HINT = 'python3 has no cv2/pyaudio: pip install opencv-python pyaudio imutils';

/** A one-line reason when the output shows a missing Python module, else undefined. */
export function pythonMissingModule(output: string): string | undefined {
  const m = output.match(/ModuleNotFoundError: No module named '([^']+)'/);
  if (!m) return undefined;
  return ['cv2', 'pyaudio', 'imutils', 'numpy'].includes(m[1]!) ? `${PYTHON_MODULES_HINT} (missing ${m[1]})` : `python3 has no module ${m[1]}: pip install ${m[1]}`;
}
