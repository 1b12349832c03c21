/**
 * The tutorial's own server.py (test/fixtures/tutorial, verbatim) started on loopback for the
 * probe's tests and the fidelity benchmark: a copy with only its three settings pointed at
 * 127.0.0.1, our port and our clip, run by the python3 that has cv2 and pyaudio, its OpenCV window on
 * a virtual screen (xvfb-run) and its PyAudio input on ALSA's null device.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasDisplay } from '../../src/platform/tools.ts';
import { findVirtualDisplayTool } from '../../src/platform/virtual-display.ts';
import { launch, submissionEnv, type Launched } from '../run/launch/launch.ts';
import { IMUTILS_STAND_IN_DIR, NULL_ALSA_CONF, resolvePython } from '../run/python/python.ts';

export const TUTORIAL_SERVER_PY = fileURLToPath(new URL('../../test/fixtures/tutorial/server.py', import.meta.url));

/** Why the tutorial server cannot run here (a one-line fix), or undefined when it can. */
export function tutorialServerUnavailable(): string | undefined {
  if (!resolvePython().hasModules) return 'no python3 with cv2, pyaudio and numpy: apt-get install python3-opencv python3-pyaudio python3-numpy';
  const xvfbRun = findVirtualDisplayTool('xvfb-run');
  if (!hasDisplay() && xvfbRun.missing) return `no display for the OpenCV window: ${xvfbRun.missing}`;
  return undefined;
}

/** The three lines of the tutorial's server.py that name its address, port and file. */
export function pointTutorialServer(source: string, opts: { port: number; clip: string }): string {
  const edits: Array<[RegExp, string]> = [
    [/^host_ip = .*$/m, `host_ip = '127.0.0.1'`],
    [/^port = \d+$/m, `port = ${opts.port}`],
    [/^filename = .*$/m, `filename = ${JSON.stringify(opts.clip)}`],
  ];
  let s = source;
  for (const [re, line] of edits) {
    if (!re.test(s)) throw new Error(`server.py has no line matching ${re}: is it the tutorial's?`);
    s = s.replace(re, line);
  }
  return s;
}

export interface TutorialServer {
  launched: Launched;
  dir: string;
  stop(): Promise<void>;
}

/** Starts the verbatim tutorial server.py on udp `videoPort`, tcp `videoPort − 1` (its own rule). */
export async function startTutorialServer(opts: { videoPort: number; clip: string }): Promise<TutorialServer> {
  const dir = await mkdtemp(join(tmpdir(), 'avsock-tutorial-server-'));
  const script = join(dir, 'server.py');
  await copyFile(TUTORIAL_SERVER_PY, script);
  await writeFile(script, pointTutorialServer(await readFile(script, 'utf8'), { port: opts.videoPort, clip: opts.clip }));
  const python = resolvePython().command;
  const env = submissionEnv({ PYTHONPATH: IMUTILS_STAND_IN_DIR, ALSA_CONFIG_PATH: NULL_ALSA_CONF });
  const [command, args] = hasDisplay() ? [python, ['-u', script]] : ['xvfb-run', ['-a', '-s', '-screen 0 1280x800x24', python, '-u', script]];
  const launched = launch('tutorial server.py', command, args, { cwd: dir, env });
  return {
    launched,
    dir,
    async stop() {
      try {
        await launched.handle.stop();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
