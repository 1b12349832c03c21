/**
 * Which Chrome/Chromium/Edge to launch, decided at run time (never at `npm install`, which must not
 * need any host but the npm registry: .puppeteerrc.cjs always skips puppeteer's download).
 *
 * In order: PUPPETEER_EXECUTABLE_PATH → a browser installed in the usual place for this OS →
 * a Chrome in puppeteer's cache (`npx puppeteer browsers install chrome`, or our own earlier
 * download) → download puppeteer's Chrome for Testing once, with a progress bar → else a
 * BrowserUnavailableError whose message is one line saying what to install. Callers that can do
 * without a browser (npm start without windows, the grader's screenshot) carry on without one.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, posix, win32 } from 'node:path';
import { EnvironmentError } from '../errors.ts';

export type BrowserSource = 'env' | 'system' | 'cache' | 'download';

export interface ResolvedBrowser {
  readonly path: string;
  readonly source: BrowserSource;
}

/** What the machine looks like; injected so every OS's branch is tested on any OS. */
export interface BrowserHost {
  readonly platform: NodeJS.Platform;
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  exists(path: string): boolean;
}

export const realHost: BrowserHost = { platform: process.platform, env: process.env, home: homedir(), exists: existsSync };

/** The command that installs a browser on this OS (one line, pasteable). */
export function installHint(platform: NodeJS.Platform): string {
  switch (platform) {
    case 'darwin':
      return 'brew install --cask google-chrome (or install Chrome from https://www.google.com/chrome)';
    case 'win32':
      return 'winget install Google.Chrome (Edge, preinstalled on Windows 10/11, is also found)';
    default:
      return 'sudo apt install chromium (Fedora: sudo dnf install chromium)';
  }
}

/** No browser could be found or fetched: one line with the fix. */
export class BrowserUnavailableError extends EnvironmentError {
  /** What to run to get one, e.g. 'sudo apt install chromium'. */
  readonly fix: string;
  constructor(tried: string, fix: string) {
    super('E_NO_BROWSER', `no browser (${tried}): ${fix}`);
    this.fix = fix;
  }
}

/** Where Chrome, Chromium and Edge install themselves on each OS, most specific first. */
export function systemBrowserPaths(host: Pick<BrowserHost, 'platform' | 'env' | 'home'>): string[] {
  if (host.platform === 'win32') {
    const roots = [host.env.PROGRAMFILES ?? 'C:\\Program Files', host.env['PROGRAMFILES(X86)'] ?? 'C:\\Program Files (x86)', host.env.LOCALAPPDATA].filter(
      (r): r is string => Boolean(r),
    );
    const apps = [
      ['Google', 'Chrome', 'Application', 'chrome.exe'],
      ['Chromium', 'Application', 'chrome.exe'],
      ['Microsoft', 'Edge', 'Application', 'msedge.exe'],
    ];
    return apps.flatMap((app) => roots.map((root) => win32.join(root, ...app)));
  }
  if (host.platform === 'darwin') {
    const bundles = [
      'Google Chrome.app/Contents/MacOS/Google Chrome',
      'Chromium.app/Contents/MacOS/Chromium',
      'Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
    ];
    return bundles.flatMap((b) => [posix.join('/Applications', b), posix.join(host.home, 'Applications', b)]);
  }
  return [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/opt/google/chrome/chrome',
    '/usr/bin/microsoft-edge',
    '/usr/bin/microsoft-edge-stable',
    '/snap/bin/chromium',
  ];
}

/** PUPPETEER_EXECUTABLE_PATH, then the system paths: the part of the search that needs no puppeteer. */
export function findInstalledBrowser(host: BrowserHost): ResolvedBrowser | undefined {
  const fromEnv = host.env.PUPPETEER_EXECUTABLE_PATH;
  if (fromEnv) {
    if (!host.exists(fromEnv)) {
      throw new BrowserUnavailableError(`PUPPETEER_EXECUTABLE_PATH=${fromEnv} does not exist`, 'fix the path or unset PUPPETEER_EXECUTABLE_PATH');
    }
    return { path: fromEnv, source: 'env' };
  }
  const system = systemBrowserPaths(host).find((p) => host.exists(p));
  return system ? { path: system, source: 'system' } : undefined;
}

// ---- puppeteer's cache and the download -------------------------------------------------------

/** puppeteer's cache folder: PUPPETEER_CACHE_DIR, else ~/.cache/puppeteer (puppeteer's own default). */
export function puppeteerCacheDir(host: Pick<BrowserHost, 'env' | 'home'>): string {
  return host.env.PUPPETEER_CACHE_DIR ?? join(host.home, '.cache', 'puppeteer');
}

/** Marker left beside a browser folder while it downloads/extracts; found later, it means "half-extracted". */
export function incompleteMarker(installDir: string): string {
  return `${installDir}.avsock-incomplete`;
}

/**
 * What the download needs from @puppeteer/browsers; injected so the repair logic is tested
 * without a network.
 */
export interface BrowserInstaller {
  /** The folder a build unpacks into, and its executable. */
  locate(): { installDir: string; executable: string };
  /** Downloads and unpacks; progress in bytes. Rejects on any failure. */
  install(onProgress: (done: number, total: number) => void): Promise<string>;
}

/**
 * Downloads the browser unless it is already complete. A folder left by an interrupted run (our
 * marker still there, or the executable missing — @puppeteer/browsers then refuses to touch it)
 * is deleted first, and a failed attempt is deleted and retried once.
 */
export async function downloadBrowser(installer: BrowserInstaller, onProgress: (done: number, total: number) => void, stallMs = 30_000): Promise<string> {
  const { installDir, executable } = installer.locate();
  const marker = incompleteMarker(installDir);
  const complete = (): boolean => existsSync(executable) && !existsSync(marker);
  if (complete()) return executable;
  let lastError: unknown;
  for (let attempt = 0; attempt < 2; attempt++) {
    rmSync(installDir, { recursive: true, force: true, maxRetries: 3 });
    await mkdir(dirname(marker), { recursive: true });
    writeFileSync(marker, `download started by pid ${process.pid}\n`);
    try {
      const path = await withStallTimeout(installer, onProgress, stallMs);
      if (!existsSync(path)) throw new Error(`the download finished but ${path} is missing`);
      rmSync(marker, { force: true });
      return path;
    } catch (error) {
      lastError = error;
      rmSync(installDir, { recursive: true, force: true, maxRetries: 3 });
      // Network failures will not heal on a retry; a broken archive or extraction might.
      if (isNetworkError(error)) break;
    }
  }
  rmSync(marker, { force: true });
  throw lastError;
}

/**
 * A host that drops packets instead of refusing them would leave the download waiting forever: give
 * up when no byte has arrived for `stallMs` (until the last byte; unpacking reports no progress).
 */
function withStallTimeout(installer: BrowserInstaller, onProgress: (done: number, total: number) => void, stallMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => reject(Object.assign(new Error(`no data for ${stallMs / 1000} s`), { code: 'ETIMEDOUT' })), stallMs);
      timer.unref();
    };
    arm();
    installer
      .install((done, total) => {
        onProgress(done, total);
        if (total > 0 && done >= total) clearTimeout(timer);
        else arm();
      })
      .then(resolve, reject)
      .finally(() => clearTimeout(timer));
  });
}

function isNetworkError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  return (
    /^(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH)$/.test(code) || /getaddrinfo|status code 40[34]/i.test(String(error))
  );
}

/** A text progress bar on stderr: redrawn in place on a terminal, a line per 10 % otherwise. */
export function progressBar(label: string, write: (s: string) => void, tty: boolean): (done: number, total: number) => void {
  let lastTenth = -1;
  return (done, total) => {
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const mb = (n: number): string => (n / 1048576).toFixed(0);
    const width = 30;
    const filled = Math.round(fraction * width);
    const text = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${mb(done)}/${mb(total)} MB`;
    if (tty) {
      write(`\r${text}${fraction >= 1 ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor(fraction * 10);
    if (tenth !== lastTenth) {
      lastTenth = tenth;
      write(`${text}\n`);
    }
  };
}

async function puppeteerInstaller(cacheDir: string): Promise<{ installer: BrowserInstaller; buildId: string; installed: () => Promise<string | undefined> }> {
  const browsers = await import('@puppeteer/browsers');
  // The Chrome build this puppeteer version is tested with (PUPPETEER_REVISIONS.chrome).
  // puppeteer's getter browserVersion (= PUPPETEER_REVISIONS.chrome) is public at run time, absent from its rolled-up types.
  const puppeteer = (await import('puppeteer')).default as unknown as { browserVersion?: unknown };
  const buildId = puppeteer.browserVersion;
  if (typeof buildId !== 'string') throw new Error('this puppeteer does not name its Chrome build');
  const platform = browsers.detectBrowserPlatform();
  if (!platform) throw new Error(`Chrome for Testing has no build for ${process.platform}-${process.arch}`);
  const cache = new browsers.Cache(cacheDir);
  const installer: BrowserInstaller = {
    locate: () => ({
      installDir: cache.installationDir(browsers.Browser.CHROME, platform, buildId),
      executable: browsers.computeExecutablePath({ cacheDir, browser: browsers.Browser.CHROME, buildId, platform }),
    }),
    install: async (onProgress) =>
      (await browsers.install({ cacheDir, browser: browsers.Browser.CHROME, buildId, platform, downloadProgressCallback: onProgress })).executablePath,
  };
  // Any complete Chrome already in the cache (e.g. another build installed by `npx puppeteer browsers install chrome`).
  const installed = async (): Promise<string | undefined> => {
    const all = await browsers.getInstalledBrowsers({ cacheDir }).catch(() => []);
    const chromes = all.filter((b) => b.browser === browsers.Browser.CHROME && b.platform === platform);
    const ok =
      chromes.find((b) => b.buildId === buildId && existsSync(b.executablePath) && !existsSync(incompleteMarker(b.path))) ??
      chromes.find((b) => existsSync(b.executablePath) && !existsSync(incompleteMarker(b.path)));
    return ok?.executablePath;
  };
  return { installer, buildId, installed };
}

export interface FindBrowserOptions {
  /** Download Chrome for Testing when nothing is installed (default true). Tests pass false. */
  readonly download?: boolean;
  /** Progress and notes (default: stderr). */
  readonly write?: (s: string) => void;
  readonly tty?: boolean;
  readonly host?: BrowserHost;
}

let downloading: Promise<string> | undefined;

/** The browser to launch, by the order above; throws BrowserUnavailableError when there is none. */
export async function findBrowser(opts: FindBrowserOptions = {}): Promise<ResolvedBrowser> {
  const host = opts.host ?? realHost;
  const installed = findInstalledBrowser(host);
  if (installed) return installed;
  const fix = `${installHint(host.platform)}, or set PUPPETEER_EXECUTABLE_PATH to a Chrome/Chromium/Edge, or run: npx puppeteer browsers install chrome`;
  const cacheDir = puppeteerCacheDir(host);
  let pup: Awaited<ReturnType<typeof puppeteerInstaller>>;
  try {
    pup = await puppeteerInstaller(cacheDir);
  } catch (error) {
    throw new BrowserUnavailableError(`none installed; ${(error as Error).message.split('\n')[0]}`, fix);
  }
  const cached = await pup.installed();
  if (cached) return { path: cached, source: 'cache' };
  if (opts.download === false) throw new BrowserUnavailableError(`none installed, none in ${cacheDir}`, fix);
  const write = opts.write ?? ((s: string) => void process.stderr.write(s));
  write(`browser: none installed; downloading Chrome for Testing ${pup.buildId} into ${cacheDir} (once)\n`);
  downloading ??= downloadBrowser(pup.installer, progressBar('browser: downloading', write, opts.tty ?? Boolean(process.stderr.isTTY)));
  try {
    return { path: await downloading, source: 'download' };
  } catch (error) {
    downloading = undefined;
    // @puppeteer/browsers lists each provider's failure on its own line: keep them on one.
    const why = (error as Error).message.replace(/\s*\n\s*-?\s*/g, ' ').replace(/:\s*$/, '');
    throw new BrowserUnavailableError(`none installed, and the download failed: ${why}`, fix);
  }
}
