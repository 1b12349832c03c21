import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GIT_IDENTITY, gitConfigEnv, makeReadyRepo, tgit, withEnv, writeFiles, type TempRepos } from '../check/testing.ts';
import { addToPractice } from './add.ts';
import { repoNameFromUrl, sameRepoUrl } from '../platform/gitmodules.ts';

const execFileAsync = promisify(execFile);

/** A lab repo pushed to a fake "GitHub" plus an empty practice repo beside it; insteadOf env for every git child. */
async function withRepos(fn: (r: TempRepos & { practice: string }) => Promise<void>, opts?: Parameters<typeof makeReadyRepo>[0]): Promise<void> {
  const repos = await makeReadyRepo(opts);
  try {
    const practice = join(repos.root, 'Ivanov-fa-np-practice');
    await mkdir(practice);
    await tgit(practice, 'init', '-q', '-b', 'main');
    await withEnv({ ...gitConfigEnv(repos.config), ...GIT_IDENTITY }, () => fn({ ...repos, practice }));
  } finally {
    await repos.cleanup();
  }
}

describe('addToPractice with real git', () => {
  it('adds this repo by its origin URL at HEAD, commits in the practice repo, then updates the gitlink', async () => {
    await withRepos(async ({ work, practice, originUrl }) => {
      const head = await tgit(work, 'rev-parse', 'HEAD');
      const first = await addToPractice({ repo: work, practice });
      expect(first).toMatchObject({ action: 'added', path: 'avsock-lab', url: originUrl, commit: head, next: `git -C ${practice} push` });
      expect(await tgit(practice, 'config', '-f', '.gitmodules', 'submodule.avsock-lab.url')).toBe(originUrl);
      expect(await tgit(practice, 'ls-files', '-s', 'avsock-lab')).toMatch(new RegExp(`^160000 ${head} 0\\tavsock-lab$`));
      expect(await tgit(practice, 'log', '-1', '--format=%s')).toBe(`Add avsock-lab as a submodule at ${head.slice(0, 7)}`);
      expect(await tgit(practice, 'status', '--porcelain')).toBe('');

      expect((await addToPractice({ repo: work, practice })).action).toBe('unchanged');

      await writeFiles(work, { 'more.txt': 'more\n' });
      await tgit(work, 'add', 'more.txt');
      await tgit(work, 'commit', '-q', '-m', 'more');
      await tgit(work, 'push', '-q');
      const newHead = await tgit(work, 'rev-parse', 'HEAD');
      const second = await addToPractice({ repo: work, practice });
      expect(second).toMatchObject({ action: 'updated', path: 'avsock-lab', commit: newHead });
      expect(await tgit(practice, 'ls-files', '-s', 'avsock-lab')).toContain(`160000 ${newHead}`);
      expect(await tgit(practice, 'rev-list', '--count', 'HEAD')).toBe('2');
    });
  });

  it('honours --name', async () => {
    await withRepos(async ({ work, practice }) => {
      const result = await addToPractice({ repo: work, practice, name: 'lab4' });
      expect(result.path).toBe('lab4');
      expect(await tgit(practice, 'config', '-f', '.gitmodules', 'submodule.lab4.path')).toBe('lab4');
    });
  });

  it('refuses a PATH that is not a git repository', async () => {
    await withRepos(async ({ work, root }) => {
      const plain = join(root, 'plain');
      await mkdir(plain);
      await expect(addToPractice({ repo: work, practice: plain })).rejects.toMatchObject({ code: 'E_PRACTICE_NOT_A_REPO' });
      await expect(addToPractice({ repo: work, practice: join(root, 'missing') })).rejects.toThrow(/does not exist; clone your practice repository/);
    });
  });

  it('refuses when this repo has no origin', async () => {
    await withRepos(async ({ work, practice }) => {
      await tgit(work, 'remote', 'remove', 'origin');
      await expect(addToPractice({ repo: work, practice })).rejects.toMatchObject({
        code: 'E_NO_ORIGIN',
        message: expect.stringContaining('git remote add origin'),
      });
    });
  });

  it('refuses when HEAD is not pushed, and when the branch was never pushed', async () => {
    await withRepos(async ({ work, practice }) => {
      await writeFiles(work, { 'wip.txt': 'wip\n' });
      await tgit(work, 'add', 'wip.txt');
      await tgit(work, 'commit', '-q', '-m', 'wip');
      await expect(addToPractice({ repo: work, practice })).rejects.toMatchObject({ code: 'E_NOT_PUSHED', message: expect.stringContaining('run: git push') });
      expect(await tgit(practice, 'status', '--porcelain')).toBe('');
    });
    await withRepos(
      async ({ work, practice }) => {
        await expect(addToPractice({ repo: work, practice })).rejects.toThrow(/git push -u origin main/);
      },
      { push: false },
    );
  });

  it('the CLI prints what it did and what to push, and refusals as one line with exit 1', async () => {
    await withRepos(async ({ work, practice, root }) => {
      const cli = join(import.meta.dirname, '..', 'cli', 'practice.ts');
      const tsx = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'tsx');
      const ok = await execFileAsync(tsx, [cli, 'add', practice], { cwd: work, env: process.env });
      expect(ok.stdout).toContain(`Next: git -C ${practice} push`);
      const bad = await execFileAsync(tsx, [cli, 'add', root], { cwd: work, env: process.env }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(bad?.code).toBe(1);
      expect(bad?.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad?.stderr).toMatch(/^practice: .* is not a git repository/);
    });
  });
});

describe('URL helpers', () => {
  it('sameRepoUrl ignores .git, a trailing slash and host case', () => {
    expect(sameRepoUrl('https://GitHub.com/a/b.git', 'https://github.com/a/b/')).toBe(true);
    expect(sameRepoUrl('https://github.com/a/b.git', 'https://github.com/a/c.git')).toBe(false);
  });
  it('repoNameFromUrl takes the last path segment', () => {
    expect(repoNameFromUrl('https://github.com/a/avsock.git')).toBe('avsock');
    expect(repoNameFromUrl('git@github.com:a/lab4')).toBe('lab4');
  });
});
