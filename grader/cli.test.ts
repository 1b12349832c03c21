import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

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
});
