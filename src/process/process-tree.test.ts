import { describe, expect, it } from 'vitest';
import { killPlan, killTree, spawnsOwnGroup, treeAlive, type KillOps } from './process-tree.ts';

function recorder(opts: { throwOn?: 'kill' | 'run' } = {}): KillOps & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    kill: (pid, signal) => {
      calls.push(`kill ${pid} ${signal}`);
      if (opts.throwOn === 'kill') throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' });
    },
    run: (command, args) => {
      calls.push(`${command} ${args.join(' ')}`);
      if (opts.throwOn === 'run') throw new Error('taskkill failed');
    },
  };
}

describe('spawnsOwnGroup()', () => {
  it('detaches on Linux and macOS (a new process group), never on Windows (it would open a console)', () => {
    expect(spawnsOwnGroup('linux', true)).toBe(true);
    expect(spawnsOwnGroup('darwin', true)).toBe(true);
    expect(spawnsOwnGroup('win32', true)).toBe(false);
    expect(spawnsOwnGroup('linux', false)).toBe(false);
  });
});

describe('killPlan() / killTree()', () => {
  it('POSIX tree: signals the whole group with kill(-pid)', () => {
    for (const platform of ['linux', 'darwin'] as const) {
      const ops = recorder();
      killTree(4242, 'SIGTERM', true, platform, ops);
      expect(ops.calls).toEqual(['kill -4242 SIGTERM']);
    }
  });

  it('Windows tree: taskkill /T, politely for SIGINT, forced (/F) for SIGTERM and SIGKILL', () => {
    expect(killPlan('win32', 7, 'SIGINT', true)).toEqual({ kind: 'command', command: 'taskkill', args: ['/PID', '7', '/T'] });
    const ops = recorder();
    killTree(7, 'SIGKILL', true, 'win32', ops);
    killTree(7, 'SIGTERM', true, 'win32', ops);
    expect(ops.calls).toEqual(['taskkill /PID 7 /T /F', 'taskkill /PID 7 /T /F']);
  });

  it('a single process (no tree) gets the signal itself on every OS', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const ops = recorder();
      killTree(9, 'SIGINT', false, platform, ops);
      expect(ops.calls).toEqual(['kill 9 SIGINT']);
    }
  });

  it('a tree that is already gone is not an error', () => {
    expect(() => killTree(1, 'SIGKILL', true, 'linux', recorder({ throwOn: 'kill' }))).not.toThrow();
    expect(() => killTree(1, 'SIGKILL', true, 'win32', recorder({ throwOn: 'run' }))).not.toThrow();
  });
});

describe('treeAlive()', () => {
  it('POSIX asks the group (kill(-pid, 0)); Windows asks the leader', () => {
    const posix = recorder();
    expect(treeAlive(5, 'linux', posix)).toBe(true);
    const win = recorder();
    expect(treeAlive(5, 'win32', win)).toBe(true);
    expect([...posix.calls, ...win.calls]).toEqual(['kill -5 0', 'kill 5 0']);
    expect(treeAlive(5, 'darwin', recorder({ throwOn: 'kill' }))).toBe(false);
  });

  it('on this machine: a process started here is alive, an unused pid is not', () => {
    expect(treeAlive(process.pid, 'win32')).toBe(true); // the leader form works on every OS
    expect(treeAlive(2 ** 22 + 12345, 'win32')).toBe(false);
  });
});
