import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realWhichHost, which, type WhichHost } from './which.ts';

const realIsRunnable = (p: string): boolean => realWhichHost.isRunnable(p);

function host(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, files: string[]): WhichHost & { asked: string[] } {
  const asked: string[] = [];
  return {
    platform,
    env,
    asked,
    isRunnable: (p) => {
      asked.push(p);
      return files.includes(p);
    },
  };
}

describe('which()', () => {
  it('POSIX: the first PATH entry holding the program wins; empty entries (the current directory) are never searched', () => {
    const h = host('linux', { PATH: ':/opt/homebrew/bin:/usr/bin' }, ['/usr/bin/Xvfb', '/opt/homebrew/bin/Xvfb']);
    expect(which('Xvfb', h)).toBe('/opt/homebrew/bin/Xvfb');
    expect(h.asked).toEqual(['/opt/homebrew/bin/Xvfb']);
    expect(which('ffmpeg', h)).toBeUndefined();
  });

  it('POSIX: a name with a slash is checked as given, not searched', () => {
    const h = host('darwin', { PATH: '/usr/bin' }, ['/opt/X11/bin/Xvfb']);
    expect(which('/opt/X11/bin/Xvfb', h)).toBe('/opt/X11/bin/Xvfb');
    expect(which('./Xvfb', h)).toBeUndefined();
    expect(h.asked).toEqual(['/opt/X11/bin/Xvfb', './Xvfb']);
  });

  it('Windows: tries every PATHEXT extension in each ;-separated entry (quotes stripped), Path spelt in any case', () => {
    const h = host('win32', { Path: '"C:\\Program Files\\Git\\cmd";C:\\Windows\\System32', PATHEXT: '.COM;.EXE;.CMD' }, [
      'C:\\Windows\\System32\\taskkill.EXE',
      'C:\\Program Files\\Git\\cmd\\git.CMD',
    ]);
    expect(which('taskkill', h)).toBe('C:\\Windows\\System32\\taskkill.EXE');
    expect(h.asked.slice(0, 4)).toEqual([
      'C:\\Program Files\\Git\\cmd\\taskkill.COM',
      'C:\\Program Files\\Git\\cmd\\taskkill.EXE',
      'C:\\Program Files\\Git\\cmd\\taskkill.CMD',
      'C:\\Windows\\System32\\taskkill.COM',
    ]);
    expect(which('git', h)).toBe('C:\\Program Files\\Git\\cmd\\git.CMD');
  });

  it('Windows: a name that already has an extension is tried as is first; default PATHEXT when unset', () => {
    const h = host('win32', { PATH: 'C:\\bin' }, ['C:\\bin\\tool.exe', 'C:\\bin\\run.bat']);
    expect(which('tool.exe', h)).toBe('C:\\bin\\tool.exe');
    expect(h.asked[0]).toBe('C:\\bin\\tool.exe');
    expect(which('run', h)).toBeUndefined(); // default PATHEXT is upper case: .BAT, not .bat
    expect(which('run.bat', h)).toBe('C:\\bin\\run.bat');
  });

  it('finds a real executable on this OS and ignores a file without the execute bit (POSIX)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'avsock-which-'));
    try {
      const name = process.platform === 'win32' ? 'avsock-probe.cmd' : 'avsock-probe';
      const file = join(dir, name);
      writeFileSync(file, process.platform === 'win32' ? '@echo off\r\n' : '#!/bin/sh\n');
      const env = { PATH: [join(dir, 'missing'), dir].join(delimiter), PATHEXT: '.CMD' };
      if (process.platform !== 'win32') {
        chmodSync(file, 0o644);
        expect(which('avsock-probe', { platform: process.platform, env, isRunnable: realIsRunnable })).toBeUndefined();
        chmodSync(file, 0o755);
      }
      expect(which('avsock-probe', { platform: process.platform, env, isRunnable: realIsRunnable })?.toLowerCase()).toBe(file.toLowerCase());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
