/**
 * Finding the external tools, and saying which one was used.
 *
 * ffmpeg/ffprobe: FFMPEG_PATH/FFPROBE_PATH (a path, or `npm` for the shipped build) → PATH (if `-version` works) → the npm-shipped binaries
 * (@ffmpeg-installer/ffmpeg, @ffprobe-installer/ffprobe). The browser: browser.ts.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EnvironmentError } from '../errors.ts';
import { findBrowser, type FindBrowserOptions, type ResolvedBrowser } from './browser.ts';

const require = createRequire(import.meta.url);

export type ToolSource = 'env' | 'path' | 'npm';

export interface ResolvedTool {
  /** Absolute path or bare command name that runs the tool. */
  readonly path: string;
  /** Where it was found: environment variable, PATH, the npm package, ... */
  readonly source: ToolSource;
  /** First line of `-version` output, when the tool was run to check it. */
  readonly version?: string;
}

function firstVersionLine(command: string): string | undefined {
  try {
    const result = spawnSync(command, ['-version'], { encoding: 'utf8', timeout: 10_000, windowsHide: true });
    if (result.status !== 0) return undefined;
    return result.stdout.split('\n')[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

function npmShippedBinary(pkg: string): string | undefined {
  try {
    const { path } = require(pkg) as { path: string };
    if (!existsSync(path)) return undefined;
    // Some npm clients drop the executable bit when scripts are not allowed to chmod it.
    if (process.platform !== 'win32' && (statSync(path).mode & 0o100) === 0) chmodSync(path, 0o755);
    return path;
  } catch {
    return undefined;
  }
}

function resolveFfTool(name: 'ffmpeg' | 'ffprobe', envVar: string, npmPackage: string): ResolvedTool {
  const fromEnv = process.env[envVar];
  // FFMPEG_PATH=npm / FFPROBE_PATH=npm: the npm-shipped build even when a system one is on PATH
  // (CI runs the media tests against both generations this way).
  if (fromEnv === 'npm') {
    const shipped = npmShippedBinary(npmPackage);
    const version = shipped ? firstVersionLine(shipped) : undefined;
    if (!shipped || !version) {
      throw new EnvironmentError(
        'E_TOOL_MISSING',
        `${envVar}=npm but ${npmPackage} has no working ${name} for ${process.platform}-${process.arch}; run npm install, or unset ${envVar}`,
      );
    }
    return { path: shipped, source: 'npm', version };
  }
  if (fromEnv) {
    const version = firstVersionLine(fromEnv);
    if (!version) {
      throw new EnvironmentError('E_TOOL_MISSING', `${envVar}=${fromEnv} does not run ("${fromEnv} -version" failed); fix the path or unset ${envVar}`);
    }
    return { path: fromEnv, source: 'env', version };
  }
  const onPath = firstVersionLine(name);
  if (onPath) return { path: name, source: 'path', version: onPath };
  const shipped = npmShippedBinary(npmPackage);
  if (shipped) {
    const version = firstVersionLine(shipped);
    if (version) return { path: shipped, source: 'npm', version };
  }
  throw new EnvironmentError(
    'E_TOOL_MISSING',
    `${name} not found: install it (apt install ffmpeg / brew install ffmpeg / winget install ffmpeg), ` +
      `set ${envVar}, or run npm install so ${npmPackage} provides it`,
  );
}

const cache = new Map<string, ResolvedTool>();

function cached(key: string, resolve: () => ResolvedTool): ResolvedTool {
  let tool = cache.get(key);
  if (!tool) {
    tool = resolve();
    cache.set(key, tool);
  }
  return tool;
}

export function resolveFfmpeg(): ResolvedTool {
  return cached('ffmpeg', () => resolveFfTool('ffmpeg', 'FFMPEG_PATH', '@ffmpeg-installer/ffmpeg'));
}

export function resolveFfprobe(): ResolvedTool {
  return cached('ffprobe', () => resolveFfTool('ffprobe', 'FFPROBE_PATH', '@ffprobe-installer/ffprobe'));
}

/**
 * The Chrome/Chromium/Edge that puppeteer should launch (see browser.ts for the order); downloads one
 * once when none is installed. Throws BrowserUnavailableError (one line with the fix) when there is none.
 */
export function resolveChromium(opts: FindBrowserOptions = {}): Promise<ResolvedBrowser> {
  return findBrowser(opts);
}

/** Whether a window can be shown: always on macOS/Windows; on Linux, when DISPLAY or WAYLAND_DISPLAY is set. */
export function hasDisplay(): boolean {
  if (process.platform === 'darwin' || process.platform === 'win32') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

/** Chromium flags that work as root, offline and in containers. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-dev-shm-usage',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];
