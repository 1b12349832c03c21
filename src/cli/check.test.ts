import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../check/readiness.ts';
import { makeReadyRepo, tgit } from '../check/testing.ts';

const execFileAsync = promisify(execFile);
const tsx = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'tsx');
const cli = join(import.meta.dirname, 'check.ts');

function runCli(args: string[], cwd: string) {
  return execFileAsync(tsx, [cli, ...args], { cwd }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe('npm run check (cli)', () => {
  it('exits 0 on a ready repo (quiet prints nothing) and 1 with JSON findings when one fails', async () => {
    const repos = await makeReadyRepo();
    try {
      const quiet = await runCli(['--quiet'], repos.work);
      expect(quiet).toMatchObject({ code: 0, stdout: '' });

      await tgit(repos.work, 'rm', '-q', 'screenshots/demo.png');
      await tgit(repos.work, 'commit', '-q', '-m', 'no screenshot');
      const json = await runCli(['--json', '--repo', repos.work], repos.root);
      expect(json.code).toBe(1);
      const findings = JSON.parse(json.stdout) as Finding[];
      expect(findings.find((f) => f.id === 'screenshots.present')).toMatchObject({ status: 'fail', fix: expect.any(String) });

      const table = await runCli([], repos.work);
      expect(table.code).toBe(1);
      expect(table.stdout).toMatch(/FAIL {2}screenshots\.present/);
      expect(table.stdout).toMatch(/fix: take a screenshot/);
    } finally {
      await repos.cleanup();
    }
  });

  it('rejects an unknown flag with exit 2', async () => {
    const result = await runCli(['--bogus'], import.meta.dirname);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^check: .*--bogus/);
  });
});
