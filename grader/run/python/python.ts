/**
 * Running the tutorial's Python scripts: the python3 that imports cv2, pyaudio and numpy, the
 * command line that runs a script (under xvfb-run without a display, a null ALSA device without a
 * sound card, the imutils stand-in when missing), the rewrite of its hard-coded host, port and clip,
 * and the one-line reason when a module is missing. The grader's Python files live beside it.
 *
 * May import: src/, grader/run/launch/.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { ChildStartError } from '../../../src/process/children.ts';
import { runProgram } from '../../../src/process/exec.ts';
import { hasDisplay } from '../../../src/platform/tools.ts';
import { findVirtualDisplayTool } from '../../../src/platform/virtual-display.ts';
import { linuxHasNoSound } from '../../../src/audio/sinks.ts';
import { submissionEnv } from '../launch/launch.ts';

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
  /** Whether it imports imutils; if not, the grader's stand-in (grader/run/python/imutils.py) is put on PYTHONPATH. */
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
    tried.push(`${command}: ${r.error ? ((r.error as NodeJS.ErrnoException).code ?? r.error.message) : missing ? `no ${missing}` : `exit ${r.status}`}`);
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
export const IMUTILS_STAND_IN_DIR = fileURLToPath(new URL('./', import.meta.url));

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
  return ['cv2', 'pyaudio', 'imutils', 'numpy'].includes(m[1]!)
    ? `${PYTHON_MODULES_HINT} (missing ${m[1]})`
    : `python3 has no module ${m[1]}: pip install ${m[1]}`;
}
