/**
 * --practice PATH: the student's practice repository (Surname-fa-np-practice) holds each lab as a
 * submodule (the tutorial's last mandatory step). Find this lab among them, check that the gitlink
 * points at a commit that exists in the lab's repository, and hand back a checkout of exactly that
 * commit to grade (what the instructor sees on GitHub, not whatever is in the student's folder).
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { git as runGit, lastLine } from '../../src/platform/git.ts';
import { normalizeRepoUrl, readGitmodules, repoNameFromUrl, type SubmoduleEntry } from '../../src/platform/gitmodules.ts';

export interface LabLocation {
  /** Checkout of the gitlink's commit to grade; undefined when not found. */
  path?: string;
  name?: string;
  url?: string;
  commit?: string;
  /** One line: what was found, or why not and how to fix it. */
  message: string;
}

/** `git args` in `cwd`; never rejects (a git that cannot run is a failed command with the reason). */
async function git(args: string[], cwd: string, timeoutMs = 60_000): Promise<{ ok: boolean; out: string; err: string }> {
  try {
    const r = await runGit(cwd, args, { allowFail: true, timeoutMs, env: { GIT_ALLOW_PROTOCOL: 'file:https:ssh:git' } });
    return { ok: r.code === 0, out: r.stdout.trim(), err: lastLine(r.stderr) };
  } catch (error) {
    return { ok: false, out: '', err: (error as Error).message };
  }
}

function repoName(url: string): string {
  return repoNameFromUrl(normalizeRepoUrl(url));
}

/** The submodules of `practice` that name both a path and a URL. */
export async function listSubmodules(practice: string): Promise<Array<Required<SubmoduleEntry>>> {
  const { entries } = await readGitmodules(practice);
  return entries.filter((e): e is Required<SubmoduleEntry> => Boolean(e.path && e.url));
}

export async function findLabInPractice(practiceIn: string, opts: { labRepo?: string; lab?: string } = {}): Promise<LabLocation> {
  const practice = resolve(practiceIn);
  if (!(await git(['rev-parse', '--git-dir'], practice)).ok) return { message: `${practice} is not a git repository` };
  const subs = await listSubmodules(practice);
  if (subs.length === 0) return { message: `${practice} has no submodules: add the lab with npm run practice -- add ${practice}` };
  let chosen: Required<SubmoduleEntry> | undefined;
  let how = '';
  if (opts.lab) {
    const want = opts.lab.toLowerCase();
    chosen = subs.find(
      (s) =>
        s.name.toLowerCase() === want || s.path.toLowerCase() === want || normalizeRepoUrl(s.url) === normalizeRepoUrl(opts.lab!) || repoName(s.url) === want,
    );
    how = `matched --lab ${opts.lab}`;
  } else {
    const origin = opts.labRepo ? (await git(['remote', 'get-url', 'origin'], opts.labRepo)).out : '';
    if (origin) {
      chosen = subs.find((s) => normalizeRepoUrl(s.url) === normalizeRepoUrl(origin));
      how = 'matched by origin URL';
    }
    if (!chosen && opts.labRepo) {
      const name = (origin ? repoName(origin) : basename(resolve(opts.labRepo))).toLowerCase();
      chosen = subs.find((s) => repoName(s.url) === name || basename(s.path).toLowerCase() === name);
      how = `matched by name ${name}`;
    }
    if (!chosen && subs.length === 1) {
      chosen = subs[0];
      how = 'the only submodule';
    }
  }
  if (!chosen) {
    return { message: `no submodule of ${practice} is this lab (${subs.map((s) => `${s.path} → ${s.url}`).join(', ')}); pass --lab NAME` };
  }
  const tree = (await git(['ls-tree', 'HEAD', '--', chosen.path], practice)).out;
  const m = tree.match(/^160000 commit ([0-9a-f]{40})\t/);
  if (!m)
    return {
      name: chosen.name,
      url: chosen.url,
      message: `${chosen.path} is declared in .gitmodules but not committed as a submodule (gitlink); git add ${chosen.path} && git commit`,
    };
  const commit = m[1]!;
  // Where to look for the commit: the initialized submodule, else a clone of its URL (relative URLs are relative to the practice repo).
  // The commit must exist in the lab's repository (its URL: what the instructor can fetch), not
  // merely in the student's submodule folder. Relative URLs are relative to the practice repo.
  const source = /^(\.\.?\/)/.test(chosen.url) ? resolve(practice, chosen.url) : chosen.url;
  const dir = await mkdtemp(join(tmpdir(), `avsock-lab-${basename(chosen.path)}-`));
  const clone = await git(['clone', '-q', '--no-checkout', source, dir], tmpdir(), 120_000);
  if (!clone.ok)
    return { name: chosen.name, url: chosen.url, commit, message: `cannot clone the lab from ${chosen.url} (${clone.err}): is the URL public and pushed?` };
  if (!(await git(['cat-file', '-e', `${commit}^{commit}`], dir)).ok) {
    // A commit only on the student's laptop: the gitlink points at nothing anyone else can fetch.
    const local = existsSync(join(practice, chosen.path, '.git')) ? ' (it exists only in your local folder)' : '';
    return {
      name: chosen.name,
      url: chosen.url,
      commit,
      message: `the submodule ${chosen.path} points at ${commit.slice(0, 10)}, which is not in ${chosen.url}${local}: push the lab repo, then git add ${chosen.path} in the practice repo and push`,
    };
  }
  const co = await git(['-c', 'advice.detachedHead=false', 'checkout', '-q', commit], dir);
  if (!co.ok) return { name: chosen.name, url: chosen.url, commit, message: `cannot check out ${commit.slice(0, 10)}: ${co.err}` };
  return { path: dir, name: chosen.name, url: chosen.url, commit, message: `${chosen.path} (${how}) at ${commit.slice(0, 10)}, found in ${chosen.url}` };
}
