import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { splitCommand } from './cli.ts';

const execFileAsync = promisify(execFile);
const tsx = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx');
const cli = join(import.meta.dirname, 'cli.ts');

describe('npm run grade (cli)', () => {
  it('refuses a rubric naming an unknown figure: exit 2, one line naming it, before grading anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'avsock-grade-cli-'));
    try {
      const rubric = join(dir, 'rubric.json');
      const item = { id: 'fps', title: 'FPS', kind: 'measure', points: 1, figure: 'server.fpsErrorPtc', maxAbs: 1, fix: 'pace it' };
      await writeFile(rubric, JSON.stringify({ passMark: 0, items: [item] }));
      const r = await execFileAsync(tsx, [cli, '--rubric', rubric, '--repo', dir, '--out', join(dir, 'out'), '--quiet']).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/items\[0\]\.figure must name a measured figure .*got "server\.fpsErrorPtc"/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads a command first, and the old mode flags as their commands with one deprecation line', () => {
    const warned: string[] = [];
    const warn = (l: string): void => void warned.push(l);
    expect(splitCommand([], warn)).toEqual({ command: 'grade', args: [] });
    expect(splitCommand(['--repo', 'x', '--quiet'], warn)).toEqual({ command: 'grade', args: ['--repo', 'x', '--quiet'] });
    expect(splitCommand(['class', 'roster.csv', '--jobs', '2'], warn)).toEqual({ command: 'class', args: ['roster.csv', '--jobs', '2'] });
    expect(warned).toEqual([]);
    expect(splitCommand(['--jobs', '2', '--class', 'roster.csv', '--quiet'], warn)).toEqual({
      command: 'class',
      args: ['roster.csv', '--jobs', '2', '--quiet'],
    });
    expect(splitCommand(['--collect=reports', '--out', 'g.csv'], warn)).toEqual({ command: 'collect', args: ['reports', '--out', 'g.csv'] });
    expect(warned).toEqual([
      'warning: --class DIR|CSV is now a command: npm run grade -- class DIR|CSV (the flag still works, for now)',
      'warning: --collect DIR is now a command: npm run grade -- collect DIR (the flag still works, for now)',
    ]);
  });

  it('refuses an unknown command, two modes at once, and a mode flag without its operand, in one line each', () => {
    expect(() => splitCommand(['grades'])).toThrow(/unknown command "grades": use one of grade, class, collect/);
    expect(() => splitCommand(['--class', 'a', '--collect', 'b'])).toThrow(/use one of --repo, --practice, --class/);
    expect(() => splitCommand(['--repo', 'a', '--class', 'b'])).toThrow(/use one of --repo/);
    expect(() => splitCommand(['--class'])).toThrow(/--class needs DIR\|CSV; see npm run grade -- class --help/);
  });

  it('prints the commands, and each command its own options; an option of another command is refused', async () => {
    const run = (...args: string[]) =>
      execFileAsync(tsx, [cli, ...args]).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    const top = await run('--help');
    expect(top.stdout).toMatch(/^npm run grade -- \[command\] \[options\]/);
    for (const c of ['grade', 'class DIR|CSV', 'collect DIR', 'gradescope-package FILE.zip', 'init-class-workflow DIR']) expect(top.stdout).toContain(`  ${c}`);
    const cls = await run('class', '--help');
    expect(cls.stdout).toMatch(/^npm run grade -- class DIR\|CSV/);
    expect(cls.stdout).toContain('--regrade-not-graded');
    const wrong = await run('collect', 'reports', '--jobs', '2');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim()).toMatch(/^grade: Unknown option '--jobs'.*see npm run grade -- --help$/);
  });
});
