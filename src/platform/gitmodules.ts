/**
 * The one reader of .gitmodules and of repository URLs: which submodules a repository declares (as
 * git itself reads the file), and what a URL names — the same repository under another spelling,
 * its name, whether another machine can fetch it. Used by `npm run practice -- add`, the readiness
 * check and the grader's --practice.
 *
 * May import: src/platform/git.ts, src/errors.ts.
 */
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { git, lastLine, splitZ } from './git.ts';

/** One `[submodule "name"]` section of a .gitmodules; path or url is missing when the file lacks it. */
export interface SubmoduleEntry {
  readonly name: string;
  readonly path?: string;
  readonly url?: string;
}

/**
 * The submodules declared in `git config --list -z` output of a .gitmodules (`--file .gitmodules`
 * or `--blob :.gitmodules`), in file order. Parsing git's own reading of the file, not the text,
 * keeps quoting, escapes and includes exactly as git sees them. Other keys (branch, update …) are
 * ignored; a name may itself contain dots, so it is everything between `submodule.` and the last dot.
 */
export function parseGitmodules(listZ: string): SubmoduleEntry[] {
  const byName = new Map<string, { name: string; path?: string; url?: string }>();
  for (const record of splitZ(listZ)) {
    // -z: "key\nvalue" per record; a key without a value has no newline.
    const nl = record.indexOf('\n');
    const key = nl >= 0 ? record.slice(0, nl) : record;
    const value = nl >= 0 ? record.slice(nl + 1) : '';
    const match = /^submodule\.(.+)\.(path|url)$/.exec(key);
    if (!match) continue;
    const name = match[1] as string;
    const entry = byName.get(name) ?? { name };
    if (match[2] === 'path') entry.path = value;
    else entry.url = value;
    byName.set(name, entry);
  }
  return [...byName.values()];
}

/** Where to read a .gitmodules from: the work tree's file, or the staged blob (a pre-commit hook). */
export type GitmodulesSource = 'work-tree' | 'index';

/**
 * The submodules `repo` declares; `present: false` when it has no .gitmodules, `error` when git
 * cannot read it.
 */
export async function readGitmodules(
  repo: string,
  source: GitmodulesSource = 'work-tree',
  env?: Record<string, string | undefined>,
): Promise<{ entries: SubmoduleEntry[]; present: boolean; error?: string }> {
  let args: string[];
  if (source === 'index') {
    args = ['config', '--blob', ':.gitmodules', '--list', '-z'];
  } else {
    const file = join(repo, '.gitmodules');
    if (
      !(await stat(file).then(
        (s) => s.isFile(),
        () => false,
      ))
    )
      return { entries: [], present: false };
    args = ['config', '--file', file, '--list', '-z'];
  }
  const result = await git(repo, args, { allowFail: true, ...(env ? { env } : {}) });
  if (result.code !== 0) return { entries: [], error: lastLine(result.stderr) || 'git config cannot read it', present: true };
  return { entries: parseGitmodules(result.stdout), present: true };
}

/** A repository URL without what does not change the repository: surrounding blanks, trailing slashes, `.git`. */
function trimRepoUrl(url: string): string {
  return url
    .trim()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
}

/** Compares repository URLs ignoring case of the host, a trailing slash and `.git`. */
export function sameRepoUrl(a: string, b: string): boolean {
  const norm = (u: string) => trimRepoUrl(u).replace(/^(https?:\/\/[^/]+)/i, (h) => h.toLowerCase());
  return norm(a) === norm(b);
}

/** github.com/Owner/Repo(.git) from https, ssh or scp-like URLs, lower-cased; paths as given. */
export function normalizeRepoUrl(url: string): string {
  return trimRepoUrl(
    url
      .trim()
      .replace(/^git@([^:]+):/, 'https://$1/')
      .replace(/^ssh:\/\/git@/, 'https://')
      .replace(/^https?:\/\/[^@/]+@/, 'https://'),
  ).toLowerCase();
}

/** The default folder name: the repository name at the end of the URL. */
export function repoNameFromUrl(url: string): string {
  return basename(trimRepoUrl(url).replace(/^.*:/, '/'));
}

/** Whether a submodule URL passes, warns or fails the readiness check. */
export type UrlVerdict = 'pass' | 'warn' | 'fail';

/** Classifies a submodule URL by whether a clone on another machine can fetch it. */
export function classifySubmoduleUrl(url: string): { status: UrlVerdict; why: string } {
  if (/^https:\/\//i.test(url)) return { status: 'pass', why: 'https' };
  if (/^http:\/\//i.test(url)) return { status: 'warn', why: 'plain http' };
  if (/^(ssh:\/\/|git:\/\/|[\w.-]+@[\w.-]+:)/i.test(url)) return { status: 'warn', why: 'ssh needs the cloner to have a key' };
  if (/^\.\.?\//.test(url)) return { status: 'warn', why: "relative: resolved against the superproject's origin" };
  return { status: 'fail', why: 'a local path, which no other machine can reach' };
}

/** Classifies an origin URL: https GitHub passes; ssh GitHub warns; anything else fails. */
export function classifyOrigin(url: string): { status: UrlVerdict; httpsUrl?: string } {
  if (/^https:\/\/(www\.)?github\.com\/[\w.-]+\/[\w.-]+?(\.git)?\/?$/i.test(url)) return { status: 'pass' };
  const ssh = /^(?:git@github\.com:|ssh:\/\/git@github\.com(?::\d+)?\/)([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/i.exec(url);
  if (ssh) return { status: 'warn', httpsUrl: `https://github.com/${ssh[1]}/${ssh[2]}.git` };
  return { status: 'fail' };
}
