/**
 * The husky hooks, run for real: the repo's own .husky/pre-commit and .husky/pre-push files, installed
 * by the real husky into a throw-away repo, triggered by real `git commit` and `git push`.
 * The temp repo's package.json maps `check` to this checkout's src/cli/check.ts.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git } from '../src/platform/git.ts';
import { GIT_IDENTITY, makeReadyRepo, tgit, writeFiles } from '../src/check/testing.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'node_modules', '.bin');

function hookEnv(): Record<string, string | undefined> {
  // HUSKY=0 would disable the hooks; the identity lets commits work on a CI machine.
  return { ...GIT_IDENTITY, HUSKY: undefined, GIT_CONFIG_COUNT: undefined };
}

async function run(cwd: string, ...args: string[]) {
  const result = await git(cwd, args, { env: hookEnv(), allowFail: true, timeoutMs: 120_000 });
  return { code: result.code, output: `${result.stdout}\n${result.stderr}` };
}

describe('git hooks (husky) in a throw-away repo', () => {
  it('pre-commit blocks a commit that stages node_modules; pre-push blocks a push whose tests fail', async () => {
    const repos = await makeReadyRepo();
    const { work, bare } = repos;
    try {
      await mkdir(join(work, '.husky'));
      await copyFile(join(ROOT, '.husky', 'pre-commit'), join(work, '.husky', 'pre-commit'));
      await copyFile(join(ROOT, '.husky', 'pre-push'), join(work, '.husky', 'pre-push'));
      const scripts = {
        check: `${join(BIN, 'tsx')} ${join(ROOT, 'src', 'cli', 'check.ts')}`,
        typecheck: 'node -e ""',
        // `--` so the hook's own linter flags (--cache …) reach the script, not node.
        lint: 'node -e "" --',
        'test:quick': 'node --test',
      };
      await writeFiles(work, {
        'package.json': JSON.stringify({ name: 'hook-test', private: true, type: 'module', scripts }, null, 2),
        'sum.test.mjs': "import test from 'node:test';\nimport assert from 'node:assert';\ntest('sum', () => assert.equal(1 + 1, 3));\n",
      });
      await new Promise<void>((resolve, reject) =>
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an Error; its Omit<> type hides that from the rule
        execFile(join(BIN, 'husky'), [], { cwd: work, env: { ...process.env, HUSKY: '' } }, (error) => (error ? reject(error) : resolve())),
      );
      expect(await tgit(work, 'config', 'core.hooksPath')).toBe('.husky/_');

      // A clean commit passes the pre-commit hook.
      await tgit(work, 'add', 'package.json', 'sum.test.mjs', '.husky/pre-commit', '.husky/pre-push');
      const clean = await run(work, 'commit', '-m', 'Add scripts and hooks');
      expect(clean.code, clean.output).toBe(0);
      const committed = await tgit(work, 'rev-parse', 'HEAD');

      // Staging node_modules is blocked, and the output says how to fix it.
      await writeFiles(work, { 'node_modules/left-pad/index.js': 'module.exports = 1;\n' });
      await tgit(work, 'add', '-f', 'node_modules');
      const blocked = await run(work, 'commit', '-m', 'oops');
      expect(blocked.code).not.toBe(0);
      expect(blocked.output).toContain('tracked.ignored');
      expect(blocked.output).toContain('fix: unstage them: git restore --staged -- node_modules/');
      expect(await tgit(work, 'rev-parse', 'HEAD')).toBe(committed);
      await tgit(work, 'rm', '-r', '-q', '--cached', 'node_modules');
      await rm(join(work, 'node_modules'), { recursive: true });

      // The push runs the full check and the tests; the failing test blocks it.
      const pushedBefore = await tgit(bare, 'rev-parse', 'main');
      const push = await run(work, 'push', 'origin', 'main');
      expect(push.code, push.output).not.toBe(0);
      expect(push.output).toMatch(/PASS {2}remote\.pushed +push of [0-9a-f]{7} in progress/);
      expect(push.output).toMatch(/fail(ed|ing)?/i);
      expect(push.output).toContain('pre-push: push blocked; fix the failing tests above');
      expect(await tgit(bare, 'rev-parse', 'main')).toBe(pushedBefore);

      // Fixed tests but a lint error: the linter, run beside the type check, blocks it and its output is shown.
      await writeFiles(work, {
        'sum.test.mjs': "import test from 'node:test';\nimport assert from 'node:assert';\ntest('sum', () => assert.equal(1 + 1, 2));\n",
      });
      const linted = { ...scripts, lint: 'node -e "console.log(\'sum.test.mjs: lint says no\'); process.exit(1)" --' };
      await writeFiles(work, { 'package.json': JSON.stringify({ name: 'hook-test', private: true, type: 'module', scripts: linted }, null, 2) });
      expect((await run(work, 'commit', '-am', 'Fix the test')).code).toBe(0);
      const push3 = await run(work, 'push', 'origin', 'main');
      expect(push3.code, push3.output).not.toBe(0);
      expect(push3.output).toContain('sum.test.mjs: lint says no');
      expect(push3.output).toContain('pre-push: push blocked; fix the lint errors above');
      expect(await tgit(bare, 'rev-parse', 'main')).toBe(pushedBefore);

      // Lint fixed too: the same hook lets the push through.
      await writeFiles(work, { 'package.json': JSON.stringify({ name: 'hook-test', private: true, type: 'module', scripts }, null, 2) });
      const fixed = await run(work, 'commit', '-am', 'Fix the lint');
      expect(fixed.code, fixed.output).toBe(0);
      const push2 = await run(work, 'push', 'origin', 'main');
      expect(push2.code, push2.output).toBe(0);
      expect(await tgit(bare, 'rev-parse', 'main')).toBe(await tgit(work, 'rev-parse', 'HEAD'));
    } finally {
      await repos.cleanup();
    }
  });
});
