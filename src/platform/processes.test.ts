import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import {
  childProcesses,
  descendantsIn,
  environHas,
  isRunning,
  listProcesses,
  parseLsofFds,
  parseProcStat,
  parseProcStatusRssKb,
  parsePsEnv,
  parsePsList,
  parseWindowsList,
  parseWindowsUsage,
  processesWithEnv,
  processUsage,
} from './processes.ts';

describe('Linux: /proc/<pid>/stat and environ', () => {
  it('reads pid, parent and state; the name ends at the last parenthesis (it may hold spaces and parentheses)', () => {
    expect(parseProcStat('4242 (ffmpeg) S 4200 4242 4242 0 -1 4194304 1019 0 0 0 3 1 0 0 20 0 1 0\n')).toEqual({
      pid: 4242,
      ppid: 4200,
      name: 'ffmpeg',
      zombie: false,
    });
    expect(parseProcStat('77 (a (b) c) Z 1 77 77 0 -1')).toEqual({ pid: 77, ppid: 1, name: 'a (b) c', zombie: true });
    expect(parseProcStat('78 (x) X 1 78')?.zombie).toBe(true);
    expect(parseProcStat('')).toBeUndefined();
    expect(parseProcStat('garbage (no state')).toBeUndefined();
  });

  it('environHas() matches a whole NAME=value entry, or a value prefix when asked', () => {
    const env = 'PATH=/usr/bin\0AVSOCK_GRADER_RUN=123-4-abc\0HOME=/root\0';
    expect(environHas(env, 'AVSOCK_GRADER_RUN', '123-4-abc')).toBe(true);
    expect(environHas(env, 'AVSOCK_GRADER_RUN', '123-4')).toBe(false);
    expect(environHas(env, 'AVSOCK_GRADER_RUN', '123-', true)).toBe(true);
    expect(environHas(env, 'GRADER_RUN', '123-4-abc')).toBe(false); // a name ending in it is another name
    expect(environHas('AVSOCK_GRADER_RUN=1', 'AVSOCK_GRADER_RUN', '1')).toBe(true); // first and last entry, no trailing NUL
  });
});

describe('usage: memory and open files', () => {
  it('Linux: VmRSS in kB from /proc/<pid>/status', () => {
    expect(parseProcStatusRssKb('Name:\tnode\nVmPeak:\t  999 kB\nVmRSS:\t   53124 kB\nThreads:\t11\n')).toBe(53124);
    expect(parseProcStatusRssKb('Name:\tkthreadd\nThreads:\t1\n')).toBeUndefined(); // kernel threads have none
  });

  it('macOS: only the numbered f lines of lsof -F f are descriptors (cwd, txt, mem are not)', () => {
    expect(parseLsofFds('p812\nfcwd\nftxt\nftxt\nf0\nf1\nf2\nf23\n')).toBe(4);
    expect(parseLsofFds('')).toBe(0);
  });

  it('Windows: working set bytes → KiB, and the handle count', () => {
    expect(parseWindowsUsage('52428800 312\r\n')).toEqual({ rssKb: 51200, openFiles: 312 });
    expect(parseWindowsUsage('')).toBeUndefined();
  });

  it('descendantsIn() walks children, grandchildren and on, zombies included, nothing else', () => {
    const list = [
      { pid: 10, ppid: 1, name: 'node', zombie: false },
      { pid: 11, ppid: 10, name: 'ffmpeg', zombie: false },
      { pid: 12, ppid: 10, name: 'ffmpeg', zombie: true },
      { pid: 13, ppid: 11, name: 'sh', zombie: false },
      { pid: 20, ppid: 1, name: 'other', zombie: false },
    ];
    expect(descendantsIn(list, 10).map((p) => p.pid)).toEqual([11, 12, 13]);
    expect(descendantsIn(list, 20)).toEqual([]);
  });
});

describe('macOS: ps output', () => {
  it('parsePsList() takes the executable name from comm, which may be a path with spaces; Z marks a zombie', () => {
    const text =
      '    1     0 Ss   /sbin/launchd\n  812   700 S    /opt/homebrew/bin/ffmpeg\n  813   700 Z    (ffmpeg)\n  900   812 S+   /Applications/Google Chrome.app/Contents/MacOS/Google Chrome\n\n';
    expect(parsePsList(text)).toEqual([
      { pid: 1, ppid: 0, name: 'launchd', zombie: false },
      { pid: 812, ppid: 700, name: 'ffmpeg', zombie: false },
      { pid: 813, ppid: 700, name: '(ffmpeg)', zombie: true },
      { pid: 900, ppid: 812, name: 'Google Chrome', zombie: false },
    ]);
  });

  it('parsePsEnv() finds NAME=value among the environment ps -E appends after the arguments', () => {
    const text = [
      '  501 /usr/bin/python3 server.py TERM=xterm AVSOCK_GRADER_RUN=9-1-abc HOME=/Users/s',
      '  502 /usr/bin/python3 client.py AVSOCK_GRADER_RUN=9-10-xyz',
      '  503 /bin/echo AVSOCK_GRADER_RUN=9-1-abcdef',
      '  504 /bin/sh -c true',
    ].join('\n');
    expect(parsePsEnv(text, 'AVSOCK_GRADER_RUN', '9-1-abc')).toEqual([501]);
    expect(parsePsEnv(text, 'AVSOCK_GRADER_RUN', '9-', true)).toEqual([501, 502, 503]);
    expect(parsePsEnv(text, 'AVSOCK_GRADER_RUN', '9.1', true)).toEqual([]); // the value is literal, not a pattern
  });
});

describe('Windows: Win32_Process lines', () => {
  it('parseWindowsList() reads "pid ppid name" lines (CRLF), names with spaces included', () => {
    expect(parseWindowsList('4 0 System\r\n5120 4400 ffmpeg.exe\r\n6000 5120 Google Chrome Helper.exe\r\n\r\n')).toEqual([
      { pid: 4, ppid: 0, name: 'System', zombie: false },
      { pid: 5120, ppid: 4400, name: 'ffmpeg.exe', zombie: false },
      { pid: 6000, ppid: 5120, name: 'Google Chrome Helper.exe', zombie: false },
    ]);
  });

  it("processesWithEnv() finds nothing on Windows (no supported way to read another process's environment)", async () => {
    expect(await processesWithEnv('PATH', '', { prefix: true, platform: 'win32' })).toEqual([]);
  });
});

describe(`on this machine (${process.platform})`, () => {
  it('finds a child it started by parent and name, and by an environment variable it carries; not once it has exited', async () => {
    const marker = `probe-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env: { ...process.env, AVSOCK_PROCESS_PROBE: marker }, stdio: 'ignore' });
    try {
      await once(child, 'spawn');
      const pid = child.pid!;
      const kids = await childProcesses(process.pid, 'node');
      expect(kids.map((k) => k.pid)).toContain(pid);
      expect((await listProcesses()).find((p) => p.pid === process.pid)?.ppid).toBe(process.ppid);
      expect(await isRunning(pid)).toBe(true);
      const usage = await processUsage(pid);
      expect(usage?.rssKb).toBeGreaterThan(1024); // a Node.js process holds megabytes
      expect(usage?.openFiles).toBeGreaterThanOrEqual(3); // stdin, stdout, stderr at least
      // The environment is what the process was started with, so it is there from the start.
      expect(await processesWithEnv('AVSOCK_PROCESS_PROBE', marker)).toEqual(process.platform === 'win32' ? [] : [pid]);
      expect(await processesWithEnv('AVSOCK_PROCESS_PROBE', marker.slice(0, -2))).toEqual([]);
      child.kill();
      await once(child, 'exit');
      await vi.waitFor(async () => expect(await isRunning(pid)).toBe(false));
      expect(await processUsage(pid)).toBeUndefined();
      expect((await childProcesses(process.pid, 'node')).map((k) => k.pid)).not.toContain(pid);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
