/**
 * The senders the benchmark puts in front of the same probe, each as a child process listening on
 * loopback: avsock's server (deadline pacing, or its emulation of the tutorial's loop), the bare
 * "perfect sender" floor (bench/floor-sender.ts) and the tutorial's real server.py
 * (test/fixtures/tutorial/server.py under python3 + OpenCV, when installed).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { allocateStreamPorts, releasePorts } from '../grader/run/launch/ports.ts';
import { launch } from '../grader/run/launch/launch.ts';
import { pythonCommand, resolvePython, rewriteTutorialPython } from '../grader/run/python/python.ts';
import { hasDisplay } from '../src/platform/tools.ts';
import { startChild } from '../src/process/children.ts';
import { REPO_ROOT, startServer, waitForLine, LISTENING } from './start-programs.ts';

export type Method = 'floor' | 'deadline' | 'tutorial' | 'server.py';

export const METHOD_LABEL: Record<Method, string> = {
  floor: 'floor (bare sender)',
  deadline: 'avsock (deadline)',
  tutorial: 'avsock --pacing tutorial',
  'server.py': "tutorial's server.py",
};

export interface RunningSender {
  /** Root of the process tree whose CPU is the sender's. */
  pid: number;
  host: string;
  videoPort: number;
  audioPort: number;
  /** Trace file written by avsock's server on stop (AVSOCK_SEND_TRACE), if asked for. */
  traceFile?: string;
  stop(): Promise<void>;
}

export interface SenderSpec {
  method: Method;
  file: string;
  /** Exact rate, '30' or '24000/1001'. */
  fps: string;
  wire: 'tutorial' | 'framed';
  loop?: boolean;
  /** avsock only: write the sender trace to this file. */
  traceFile?: string;
  /** floor only: how long it sends, s. */
  seconds?: number;
}

/** Why the tutorial's server.py cannot run here, or undefined when it can. */
export function serverPyUnavailable(): string | undefined {
  if (!resolvePython().hasModules) return 'no python3 with cv2, pyaudio and numpy (apt-get install python3-opencv python3-pyaudio python3-numpy)';
  if (!hasDisplay() && !existsSync('/usr/bin/xvfb-run')) return 'no display and no xvfb-run for its OpenCV window (apt-get install xvfb xauth)';
  return undefined;
}

export const TUTORIAL_SERVER_PY = join(REPO_ROOT, 'test', 'fixtures', 'tutorial', 'server.py');

export async function startSender(spec: SenderSpec): Promise<RunningSender> {
  if (spec.method === 'deadline' || spec.method === 'tutorial') {
    const server = await startServer({
      file: spec.file,
      wire: spec.wire,
      pacing: spec.method,
      loop: spec.loop ?? false,
      ...(spec.traceFile ? { env: { ...process.env, AVSOCK_SEND_TRACE: spec.traceFile } } : {}),
    });
    return {
      pid: server.pid,
      host: server.host,
      videoPort: server.videoPort,
      audioPort: server.audioPort,
      ...(spec.traceFile ? { traceFile: spec.traceFile } : {}),
      stop: () => server.child.stop(),
    };
  }
  if (spec.method === 'floor') {
    const child = startChild(
      process.execPath,
      ['--import', 'tsx', 'bench/floor-sender.ts', '--file', spec.file, '--fps', spec.fps, '--wire', spec.wire, '--seconds', String(spec.seconds ?? 30)],
      {
        name: 'floor sender',
        cwd: REPO_ROOT,
        detached: true,
        stopTimeoutsMs: [1000, 1000],
      },
    );
    await child.started;
    const m = await waitForLine(child, LISTENING, 60_000);
    return { pid: child.pid!, host: m[1]!, videoPort: Number(m[2]), audioPort: Number(m[4]), stop: () => child.stop() };
  }
  // The tutorial's server.py: a temp copy pointed at loopback, a free port pair (audio = video − 1,
  // as it hard-codes) and the clip; its OpenCV window on a virtual screen; temp.wav in the temp dir.
  const dir = await mkdtemp(join(os.tmpdir(), 'avsock-bench-serverpy-'));
  const ports = await allocateStreamPorts();
  const script = join(dir, 'server.py');
  await writeFile(script, rewriteTutorialPython(await readFile(TUTORIAL_SERVER_PY, 'utf8'), { port: ports.videoPort, clip: spec.file }));
  const { command, args } = pythonCommand(script);
  const l = launch('server.py', command, args, { cwd: dir, maxOutputBytes: 64 * 1024 });
  const cleanup = async (): Promise<void> => {
    await l.handle.stop();
    releasePorts(ports);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // audio_stream() prints this once its TCP socket listens (after ffmpeg wrote temp.wav).
    const ready = await l.out.waitForLine(/server listening at/, 60_000);
    if (!ready) throw new Error(`server.py did not start: ${l.out.tail(10)}`);
  } catch (error) {
    await cleanup();
    throw error;
  }
  return { pid: l.handle.pid!, host: '127.0.0.1', videoPort: ports.videoPort, audioPort: ports.audioPort, stop: cleanup };
}
