/**
 * `npm run practice -- add PATH`: the tutorial's last step done right — add this repository, by its
 * origin URL (never a local path: the instructor clones the practice repo elsewhere), as a submodule
 * of the student's practice repository, pinned to the pushed HEAD, and commit there.
 *
 * Folder src/practice/: adding the lab to the practice repository. May import: src/platform/,
 * src/errors.ts.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { foreignRepoEnv, git, lastLine, ownRepoEnv } from '../platform/git.ts';
import { readGitmodules, repoNameFromUrl, sameRepoUrl } from '../platform/gitmodules.ts';
import { EnvironmentError, UsageError } from '../errors.ts';

export interface PracticeAddOptions {
  /** A path inside this (the lab) repository. */
  readonly repo: string;
  /** The practice repository (e.g. ../Surname-fa-np-practice). */
  readonly practice: string;
  /** Folder name inside the practice repo; default: the origin repository's name. */
  readonly name?: string;
}

export interface PracticeAddResult {
  /** added: new submodule; updated: gitlink moved to HEAD; unchanged: it already pointed at HEAD. */
  readonly action: 'added' | 'updated' | 'unchanged';
  readonly practiceTop: string;
  /** Submodule path inside the practice repo. */
  readonly path: string;
  readonly url: string;
  /** The lab commit the gitlink now points at (this repo's HEAD). */
  readonly commit: string;
  /** The commit made in the practice repo, when one was made. */
  readonly practiceCommit?: string;
  /** One line: what to run next. */
  readonly next: string;
}

type Env = Record<string, string | undefined>;

async function mustGit(cwd: string, args: string[], env: Env, what: string): Promise<string> {
  const result = await git(cwd, args, { env, allowFail: true, timeoutMs: 300_000 });
  if (result.code !== 0) {
    throw new EnvironmentError('E_GIT', `${what} failed: ${lastLine(result.stderr) || `git ${args.join(' ')} exited ${result.code}`}`);
  }
  return result.stdout.trim();
}

async function tryGit(cwd: string, args: string[], env: Env): Promise<string | undefined> {
  const result = await git(cwd, args, { env, allowFail: true });
  return result.code === 0 ? result.stdout.trim() : undefined;
}

function validateName(name: string): void {
  if (!name || name.startsWith('/') || name.split(/[\\/]/).some((part) => part === '..' || part === '.git') || name.startsWith('-')) {
    throw new UsageError(`--name must be a relative folder inside the practice repo, got "${name}"`);
  }
}

function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

export async function addToPractice(opts: PracticeAddOptions): Promise<PracticeAddResult> {
  const own = ownRepoEnv();
  const foreign = foreignRepoEnv();
  const top = await tryGit(resolve(opts.repo), ['rev-parse', '--show-toplevel'], own);
  if (!top) throw new EnvironmentError('E_NOT_A_REPO', `${resolve(opts.repo)} is not inside a git repository; run this from your avsock clone`);

  const practicePath = resolve(opts.practice);
  if (!(await isDirectory(practicePath))) {
    throw new EnvironmentError(
      'E_PRACTICE_NOT_A_REPO',
      `${practicePath} does not exist; clone your practice repository there first: git clone https://github.com/YOU/Surname-fa-np-practice.git ${opts.practice}`,
    );
  }
  const practiceTop = await tryGit(practicePath, ['rev-parse', '--show-toplevel'], foreign);
  if (!practiceTop || practiceTop === top) {
    throw new EnvironmentError(
      'E_PRACTICE_NOT_A_REPO',
      `${practicePath} is not a git repository; clone your practice repository there (git clone https://github.com/YOU/Surname-fa-np-practice.git)`,
    );
  }

  // The configured URL, not `git remote get-url`, which would apply local insteadOf rewrites.
  const url = await tryGit(top, ['config', '--get', 'remote.origin.url'], own);
  if (!url) {
    throw new EnvironmentError(
      'E_NO_ORIGIN',
      'this repo has no origin; create it on GitHub, then: git remote add origin https://github.com/YOU/REPO.git && git push -u origin main',
    );
  }
  const head = await tryGit(top, ['rev-parse', '--verify', '-q', 'HEAD'], own);
  if (!head) throw new EnvironmentError('E_NOT_PUSHED', 'this repo has no commits yet; commit and git push first');
  const branch = await tryGit(top, ['symbolic-ref', '-q', '--short', 'HEAD'], own);
  const upstream = await tryGit(top, ['rev-parse', '--verify', '-q', '@{u}'], own);
  if (!branch || !upstream) {
    const b = branch ?? 'main';
    throw new EnvironmentError(
      'E_NOT_PUSHED',
      `HEAD is not pushed (${branch ? `branch ${branch} has no upstream` : 'HEAD is detached'}); run: git push -u origin ${b}`,
    );
  }
  if (upstream !== head) {
    throw new EnvironmentError('E_NOT_PUSHED', `HEAD ${head.slice(0, 7)} is not pushed (origin has ${upstream.slice(0, 7)}); run: git push`);
  }

  const name = opts.name ?? repoNameFromUrl(url);
  validateName(name);
  const modules = (await readGitmodules(practiceTop, 'work-tree', foreign)).entries;
  const existing = modules.find((m) => m.url && sameRepoUrl(m.url, url)) ?? modules.find((m) => m.path === name);
  const short = head.slice(0, 7);

  if (existing?.path) {
    if (!existing.url || !sameRepoUrl(existing.url, url)) {
      throw new UsageError(`${existing.path} in ${practiceTop} is already a submodule of ${existing.url ?? 'another URL'}; choose another --name`);
    }
    const path = existing.path;
    const sub = join(practiceTop, path);
    if (
      !(await stat(join(sub, '.git')).then(
        () => true,
        () => false,
      ))
    ) {
      await mustGit(practiceTop, ['submodule', 'update', '--init', '--', path], foreign, `git submodule update --init ${path}`);
    }
    await mustGit(sub, ['fetch', '-q', 'origin'], foreign, `git fetch in ${path}`);
    await mustGit(sub, ['checkout', '-q', '--detach', head], foreign, `git checkout ${short} in ${path}`);
    await mustGit(practiceTop, ['add', '--', path], foreign, `git add ${path}`);
    const staged = await git(practiceTop, ['diff', '--cached', '--quiet', '--', path], { env: foreign, allowFail: true });
    if (staged.code === 0) {
      return { action: 'unchanged', practiceTop, path, url, commit: head, next: `already at ${short}; if not pushed yet: git -C ${practiceTop} push` };
    }
    await mustGit(practiceTop, ['commit', '-q', '-m', `Update ${path} to ${short}`, '--', path], foreign, 'git commit in the practice repo');
    const practiceCommit = await mustGit(practiceTop, ['rev-parse', 'HEAD'], foreign, 'git rev-parse');
    return { action: 'updated', practiceTop, path, url, commit: head, practiceCommit, next: `git -C ${practiceTop} push` };
  }

  if (
    await stat(join(practiceTop, name)).then(
      () => true,
      () => false,
    )
  ) {
    throw new UsageError(`${join(practiceTop, name)} already exists and is not a submodule of ${url}; choose another --name`);
  }
  await mustGit(practiceTop, ['submodule', 'add', '-q', '--', url, name], foreign, `git submodule add ${url} ${name}`);
  const sub = join(practiceTop, name);
  // The clone checked out origin's default branch; pin exactly the HEAD the student pushed.
  if ((await tryGit(sub, ['rev-parse', 'HEAD'], foreign)) !== head) {
    await mustGit(sub, ['checkout', '-q', '--detach', head], foreign, `git checkout ${short} in ${name}`);
    await mustGit(practiceTop, ['add', '--', name], foreign, `git add ${name}`);
  }
  await mustGit(
    practiceTop,
    ['commit', '-q', '-m', `Add ${name} as a submodule at ${short}`, '--', '.gitmodules', name],
    foreign,
    'git commit in the practice repo',
  );
  const practiceCommit = await mustGit(practiceTop, ['rev-parse', 'HEAD'], foreign, 'git rev-parse');
  return { action: 'added', practiceTop, path: name, url, commit: head, practiceCommit, next: `git -C ${practiceTop} push` };
}
