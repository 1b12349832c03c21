/**
 * The two windows, opened as Chromium "app" windows (no tabs, no address bar) through puppeteer,
 * placed like the tutorial's cv2.moveWindow('TRANSMITTING VIDEO', 10, 30) and
 * cv2.moveWindow('RECEIVING VIDEO', 10, 360).
 *
 * One browser process per window: `--app=URL` opens exactly one app window per launch, and
 * `--window-position` applies to the first window only. Each browser gets its own throw-away
 * --user-data-dir, deleted on close (and on process exit if close() never ran).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer';
import { EnvironmentError } from '../errors.ts';
import { CHROMIUM_ARGS, hasDisplay, resolveChromium } from '../platform/tools.ts';

export interface WindowSpec {
  url: string;
  title: string;
  /** Screen position of the window's top-left corner (px). */
  x: number;
  y: number;
  /** Outer window size (px); defaults fit a 400-wide picture plus the stats lines. */
  width?: number;
  height?: number;
}

export interface OpenWindows {
  /** Closes every window and removes the temporary profiles. Idempotent. */
  close(): Promise<void>;
  /** Resolves once every window is gone (closed by the user, or by close()). */
  readonly closed: Promise<void>;
  /** Process ids of the browsers (one per window), for diagnostics and leak checks. */
  readonly pids: readonly number[];
}

/** Outer size of a window showing a 400x226 picture and the stats (the tutorial's windows sit 330 px apart). */
export const DEFAULT_WINDOW_WIDTH = 440;
export const DEFAULT_WINDOW_HEIGHT = 330;

const LAUNCH_TIMEOUT_MS = 20_000;

export async function openWindows(windows: WindowSpec[]): Promise<OpenWindows> {
  if (!hasDisplay()) {
    throw new EnvironmentError(
      'E_NO_DISPLAY',
      'No display to open windows on (DISPLAY/WAYLAND_DISPLAY unset): open the ui: URLs in a browser, ' + 'run under xvfb-run, or pass --no-window',
    );
  }
  const chromium = await resolveChromium();
  const puppeteer = (await import('puppeteer')).default;

  const browsers: Browser[] = [];
  const profiles: string[] = [];
  const removeProfiles = (): void => {
    for (const dir of profiles.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  // If the program exits without close(), puppeteer kills its browsers on 'exit'; remove the profiles too.
  process.once('exit', removeProfiles);

  const gone: Promise<void>[] = [];
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      try {
        await Promise.allSettled(
          browsers.map(async (b) => {
            try {
              await b.close();
            } catch {
              b.process()?.kill('SIGKILL');
            }
          }),
        );
      } finally {
        removeProfiles();
        process.off('exit', removeProfiles);
      }
    })();
    return closing;
  };

  try {
    for (const w of windows) {
      const profile = mkdtempSync(join(tmpdir(), 'avsock-window-'));
      profiles.push(profile);
      const width = w.width ?? DEFAULT_WINDOW_WIDTH;
      const height = w.height ?? DEFAULT_WINDOW_HEIGHT;
      const browser = await puppeteer.launch({
        executablePath: chromium.path,
        headless: false,
        userDataDir: profile,
        defaultViewport: null, // the page takes the window's size
        timeout: LAUNCH_TIMEOUT_MS,
        // The CLI owns Ctrl+C: it calls close(); puppeteer must not exit the process on its own.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
        // No "controlled by automated test software" bar eating the small window.
        ignoreDefaultArgs: ['--enable-automation'],
        args: [
          ...CHROMIUM_ARGS,
          `--app=${w.url}`,
          `--window-position=${Math.round(w.x)},${Math.round(w.y)}`,
          `--window-size=${Math.round(width)},${Math.round(height)}`,
          '--disable-features=Translate,MediaRouter',
          '--password-store=basic',
          '--disable-session-crashed-bubble',
          // Hides the "unsupported command-line flag" bar that --no-sandbox (needed as root) brings up.
          '--test-type',
        ],
      });
      browsers.push(browser);
      gone.push(new Promise<void>((resolve) => browser.once('disconnected', () => resolve())));
      // puppeteer adds about:blank when every argument is a flag: close any page that is not the app.
      const pages = await browser.pages();
      const appOrigin = new URL(w.url).origin;
      await Promise.all(
        pages.filter((p) => p.url() === 'about:blank' && pages.some((q) => q.url().startsWith(appOrigin))).map((p) => p.close().catch(() => {})),
      );
    }
  } catch (err) {
    await close();
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new EnvironmentError('E_WINDOW_FAILED', `Could not open the windows with ${chromium.path}: ${msg}`, {
      cause: err,
    });
  }

  const closed = Promise.all(gone).then(async () => {
    // The user closed every window: the profiles are no longer in use.
    await close();
  });
  const pids = browsers.map((b) => b.process()?.pid).filter((p): p is number => p !== undefined);
  return { close, closed, pids };
}
