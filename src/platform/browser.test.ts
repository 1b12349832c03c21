import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BrowserUnavailableError,
  downloadBrowser,
  findBrowser,
  findInstalledBrowser,
  incompleteMarker,
  installHint,
  progressBar,
  puppeteerCacheDir,
  systemBrowserPaths,
  type BrowserHost,
  type BrowserInstaller,
} from './browser.ts';

function host(platform: NodeJS.Platform, present: string[] = [], env: NodeJS.ProcessEnv = {}): BrowserHost {
  return { platform, env, home: platform === 'win32' ? 'C:\\Users\\ana' : '/home/ana', exists: (p) => present.includes(p) };
}

describe('systemBrowserPaths()', () => {
  it('Linux: Debian/Ubuntu Chromium, Google Chrome, Edge and the snap', () => {
    const paths = systemBrowserPaths(host('linux'));
    expect(paths[0]).toBe('/usr/bin/chromium');
    expect(paths).toEqual(
      expect.arrayContaining(['/usr/bin/google-chrome-stable', '/opt/google/chrome/chrome', '/usr/bin/microsoft-edge', '/snap/bin/chromium']),
    );
  });

  it('macOS: the app bundles in /Applications and ~/Applications', () => {
    const paths = systemBrowserPaths(host('darwin'));
    expect(paths).toContain('/Applications/Google Chrome.app/Contents/MacOS/Google Chrome');
    expect(paths).toContain('/home/ana/Applications/Chromium.app/Contents/MacOS/Chromium');
    expect(paths).toContain('/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge');
  });

  it('Windows: Chrome, Chromium and Edge under Program Files, Program Files (x86) and LOCALAPPDATA', () => {
    const paths = systemBrowserPaths(host('win32', [], { PROGRAMFILES: 'D:\\Apps', LOCALAPPDATA: 'C:\\Users\\ana\\AppData\\Local' }));
    expect(paths).toContain('D:\\Apps\\Google\\Chrome\\Application\\chrome.exe');
    expect(paths).toContain('C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe');
    expect(paths).toContain('C:\\Users\\ana\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe');
  });
});

describe('findInstalledBrowser()', () => {
  it('prefers PUPPETEER_EXECUTABLE_PATH over an installed browser', () => {
    const h = host('linux', ['/opt/my/chrome', '/usr/bin/chromium'], { PUPPETEER_EXECUTABLE_PATH: '/opt/my/chrome' });
    expect(findInstalledBrowser(h)).toEqual({ path: '/opt/my/chrome', source: 'env' });
  });

  it('refuses a PUPPETEER_EXECUTABLE_PATH that does not exist, saying how to fix it', () => {
    const h = host('linux', ['/usr/bin/chromium'], { PUPPETEER_EXECUTABLE_PATH: '/nope' });
    expect(() => findInstalledBrowser(h)).toThrow(/PUPPETEER_EXECUTABLE_PATH=\/nope does not exist.*unset PUPPETEER_EXECUTABLE_PATH/);
  });

  it('finds Edge on Windows when Chrome is absent', () => {
    const edge = 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe';
    expect(findInstalledBrowser(host('win32', [edge]))).toEqual({ path: edge, source: 'system' });
  });

  it('is undefined when nothing is installed', () => {
    expect(findInstalledBrowser(host('darwin'))).toBeUndefined();
  });
});

describe('installHint() and puppeteerCacheDir()', () => {
  it('names the install command of each OS', () => {
    expect(installHint('linux')).toMatch(/apt install chromium/);
    expect(installHint('darwin')).toMatch(/brew install --cask google-chrome/);
    expect(installHint('win32')).toMatch(/winget install Google\.Chrome/);
  });

  it('uses PUPPETEER_CACHE_DIR, else ~/.cache/puppeteer like puppeteer itself', () => {
    expect(puppeteerCacheDir({ env: { PUPPETEER_CACHE_DIR: '/c' }, home: '/h' })).toBe('/c');
    expect(puppeteerCacheDir({ env: {}, home: '/h' })).toBe(join('/h', '.cache', 'puppeteer'));
  });
});

describe('findBrowser() without download', () => {
  it('throws one BrowserUnavailableError line naming the fix when nothing is found', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'avsock-pcache-'));
    try {
      const h = { ...host('linux', [], { PUPPETEER_CACHE_DIR: cache }) };
      const error = await findBrowser({ host: h, download: false }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BrowserUnavailableError);
      expect((error as BrowserUnavailableError).code).toBe('E_NO_BROWSER');
      expect((error as Error).message).not.toContain('\n');
      expect((error as BrowserUnavailableError).fix).toMatch(/apt install chromium.*PUPPETEER_EXECUTABLE_PATH.*npx puppeteer browsers install chrome/);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

describe('downloadBrowser()', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A fake @puppeteer/browsers: "downloads" by writing files, or fails as told. */
  function fake(outcomes: Array<'ok' | 'corrupt' | 'offline'>): BrowserInstaller & { calls: number; sawFolderAtStart: boolean[] } {
    root = mkdtempSync(join(tmpdir(), 'avsock-dl-'));
    const installDir = join(root, 'chrome', 'linux-1.2.3');
    const executable = join(installDir, 'chrome-linux64', 'chrome');
    const f = {
      calls: 0,
      sawFolderAtStart: [] as boolean[],
      locate: () => ({ installDir, executable }),
      install: async (onProgress: (d: number, t: number) => void) => {
        f.sawFolderAtStart.push(existsSync(installDir));
        const outcome = outcomes[f.calls++] ?? 'ok';
        if (outcome === 'offline') throw Object.assign(new Error('getaddrinfo ENOTFOUND storage.googleapis.com'), { code: 'ENOTFOUND' });
        mkdirSync(join(installDir, 'chrome-linux64'), { recursive: true });
        onProgress(50, 100);
        if (outcome === 'corrupt') throw new Error('end of central directory record signature not found');
        writeFileSync(executable, '#!/bin/sh\n');
        onProgress(100, 100);
        return executable;
      },
    };
    return f;
  }

  it('downloads once, removes its marker, and the next call finds it complete without downloading', async () => {
    const f = fake(['ok']);
    const path = await downloadBrowser(f, () => {});
    expect(path).toBe(f.locate().executable);
    expect(existsSync(incompleteMarker(f.locate().installDir))).toBe(false);
    await downloadBrowser(f, () => {});
    expect(f.calls).toBe(1);
  });

  it('repairs a half-extracted folder (executable missing): deletes it before downloading', async () => {
    const f = fake(['ok']);
    mkdirSync(join(f.locate().installDir, 'chrome-linux64', 'locales'), { recursive: true });
    await downloadBrowser(f, () => {});
    expect(f.sawFolderAtStart).toEqual([false]);
    expect(existsSync(f.locate().executable)).toBe(true);
  });

  it('repairs a folder whose extraction was interrupted (marker left behind), even if the executable exists', async () => {
    const f = fake(['ok']);
    const { installDir, executable } = f.locate();
    mkdirSync(join(installDir, 'chrome-linux64'), { recursive: true });
    writeFileSync(executable, 'half');
    writeFileSync(incompleteMarker(installDir), 'pid 1');
    await downloadBrowser(f, () => {});
    expect(f.calls).toBe(1);
    expect(f.sawFolderAtStart).toEqual([false]);
  });

  it('retries a broken archive once, after deleting what it left', async () => {
    const f = fake(['corrupt', 'ok']);
    await downloadBrowser(f, () => {});
    expect(f.calls).toBe(2);
    expect(f.sawFolderAtStart).toEqual([false, false]);
  });

  it('does not retry when the host cannot be reached, and leaves nothing behind', async () => {
    const f = fake(['offline', 'ok']);
    await expect(downloadBrowser(f, () => {})).rejects.toThrow(/ENOTFOUND/);
    expect(f.calls).toBe(1);
    expect(readdirSync(join(root, 'chrome'))).toEqual([]);
  });

  it('gives up on a download that stalls (no byte for stallMs)', async () => {
    root = mkdtempSync(join(tmpdir(), 'avsock-dl-'));
    const stalled: BrowserInstaller = {
      locate: () => ({ installDir: join(root, 'chrome', 'x'), executable: join(root, 'chrome', 'x', 'chrome') }),
      install: () => new Promise<string>(() => {}),
    };
    await expect(downloadBrowser(stalled, () => {}, 50)).rejects.toThrow(/no data for 0\.05 s/);
  });
});

describe('progressBar()', () => {
  it('redraws one line in place on a terminal and ends it at 100 %', () => {
    const out: string[] = [];
    const bar = progressBar('dl', (s) => out.push(s), true);
    bar(0, 200 * 1048576);
    bar(100 * 1048576, 200 * 1048576);
    bar(200 * 1048576, 200 * 1048576);
    expect(out[1]).toBe(`\rdl [${'#'.repeat(15)}${'.'.repeat(15)}]  50% 100/200 MB`);
    expect(out[2]?.endsWith('100% 200/200 MB\n')).toBe(true);
  });

  it('prints a line per 10 % into a log', () => {
    const out: string[] = [];
    const bar = progressBar('dl', (s) => out.push(s), false);
    for (let done = 0; done <= 1000; done += 1) bar(done, 1000);
    expect(out).toHaveLength(11);
    expect(out.every((l) => l.endsWith('\n'))).toBe(true);
  });
});
