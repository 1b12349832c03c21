import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openWindows } from './windows.ts';
import { need } from '../../test/support/requirements.ts';

const noXvfbOrBrowser = await need('xvfb', 'browser');
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const child = fileURLToPath(new URL('./testing/open-windows-child.ts', import.meta.url));

describe('openWindows()', () => {
  it('throws E_NO_DISPLAY when there is no display', async () => {
    if (process.platform === 'darwin' || process.platform === 'win32') return; // always a display there
    const saved = { DISPLAY: process.env.DISPLAY, WAYLAND_DISPLAY: process.env.WAYLAND_DISPLAY };
    delete process.env.DISPLAY;
    delete process.env.WAYLAND_DISPLAY;
    try {
      await expect(openWindows([{ url: 'http://127.0.0.1:9/', title: 'x', x: 10, y: 30 }])).rejects.toMatchObject({
        code: 'E_NO_DISPLAY',
      });
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
    }
  });

  it.skipIf(noXvfbOrBrowser)(
    'opens a headful app window at (10,30) under Xvfb showing the frames; closed resolves when it goes; profiles removed',
    async () => {
      // The child grabs the X screen with ffmpeg and looks for the pushed picture at the window's place.
      const proc = spawn('xvfb-run', ['-a', '-s', '-screen 0 1280x800x24', process.execPath, '--import', tsxLoader, child], {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let out = '';
      let err = '';
      proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const killer = setTimeout(() => {
        try {
          process.kill(-proc.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, 50_000);
      try {
        const code = await new Promise<number | null>((r) => proc.on('exit', r));
        const line = out.trim().split('\n').pop() ?? '';
        expect(line, `child stderr:\n${err.slice(-2000)}`).toMatch(/^\{/);
        const result = JSON.parse(line) as {
          ok: boolean;
          pixel: number[];
          closedResolved: boolean;
          userClosed: boolean;
          profilesLeft: number;
        };
        expect(result.ok, `pixel at the picture was ${JSON.stringify(result.pixel)}`).toBe(true);
        expect(result.closedResolved).toBe(true);
        expect(result.userClosed, 'closed resolves when the browser goes away by itself').toBe(true);
        expect(result.profilesLeft).toBe(0);
        expect(code).toBe(0);
      } finally {
        clearTimeout(killer);
        try {
          process.kill(-proc.pid!, 'SIGKILL');
        } catch {
          /* exited */
        }
      }
    },
  );
});
