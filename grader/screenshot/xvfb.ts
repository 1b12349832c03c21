/**
 * One virtual X display for a tutorial Python submission: server.py's TRANSMITTING VIDEO window and
 * client.py's RECEIVING VIDEO window (cv2.moveWindow to (10,30) and (10,360)) are drawn on the same
 * screen, which ffmpeg's x11grab device reads — the only way to see OpenCV windows from outside.
 * No window manager runs, so each window's picture sits exactly where the program moved it.
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveFfmpeg } from '../../src/platform/tools.ts';
import { findVirtualDisplayTool } from '../../src/platform/virtual-display.ts';
import { launch, runBounded, submissionEnv, type Launched } from '../run/launch/launch.ts';
import { sleep } from '../../src/timing/wait.ts';

export const SCREEN = { width: 1280, height: 800 } as const;

export interface VirtualDisplay {
  /** ":N" */
  display: string;
  xvfb: Launched;
}

function displayTaken(n: number): boolean {
  return existsSync(`/tmp/.X${n}-lock`) || existsSync(`/tmp/.X11-unix/X${n}`);
}

/**
 * Starts `Xvfb :N -screen 0 1280x800x24` on a free display number (its own process group; stop it
 * with `.xvfb.handle.stop()`). Undefined when Xvfb is not installed or none started in time.
 */
export async function startXvfb(opts: { timeoutMs?: number } = {}): Promise<VirtualDisplay | undefined> {
  const xvfbPath = findVirtualDisplayTool('Xvfb').path; // through PATH (src/platform/virtual-display.ts)
  if (!xvfbPath) return undefined;
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  for (let attempt = 0; attempt < 5 && Date.now() < deadline; attempt++) {
    let n = 200 + Math.floor(Math.random() * 700);
    while (displayTaken(n)) n++;
    // -br: a black root window, so anything not covered by a window is plain black (no weave);
    // -nolisten tcp: local socket only (loopback policy).
    const xvfb = launch('Xvfb', xvfbPath, [`:${n}`, '-screen', '0', `${SCREEN.width}x${SCREEN.height}x24`, '-br', '-nolisten', 'tcp'], {
      cwd: tmpdir(),
      env: submissionEnv(),
    });
    while (Date.now() < deadline && !xvfb.exit) {
      if (existsSync(`/tmp/.X11-unix/X${n}`)) return { display: `:${n}`, xvfb };
      await sleep(100);
    }
    await xvfb.handle.stop();
  }
  return undefined;
}

/** One PNG of the whole virtual screen (ffmpeg -f x11grab, one frame, bounded). */
export async function grabScreen(display: string, opts: { timeoutMs?: number } = {}): Promise<Buffer> {
  const file = join(tmpdir(), `avsock-grab-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.png`);
  try {
    const r = await runBounded(
      'ffmpeg x11grab',
      resolveFfmpeg().path,
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        'x11grab',
        '-draw_mouse',
        '0',
        '-video_size',
        `${SCREEN.width}x${SCREEN.height}`,
        '-i',
        display,
        '-frames:v',
        '1',
        '-y',
        file,
      ],
      { cwd: tmpdir(), timeoutMs: opts.timeoutMs ?? 10_000, env: submissionEnv({ DISPLAY: display }) },
    );
    if (r.code !== 0) throw new Error(`ffmpeg -f x11grab ${display} failed (exit ${r.code}): ${r.output.split('\n').pop()}`);
    return await readFile(file);
  } finally {
    await rm(file, { force: true });
  }
}
