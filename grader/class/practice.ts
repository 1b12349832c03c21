/**
 * --practice PATH: the student's practice repository (Surname-fa-np-practice) holds each lab as a
 * submodule (the tutorial's last mandatory step). Find this lab among them, check that the gitlink
 * points at a commit that exists in the lab's repository, and hand back a checkout of exactly that
 * commit to grade (what the instructor sees on GitHub, not whatever is in the student's folder).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

export interface LabLocation {
  /** Checkout of the gitlink's commit to grade; undefined when not found. */
  path?: string;
  name?: string;
  url?: string;
  commit?: string;
  /** One line: what was found, or why not and how to fix it. */
  message: string;
}

function git(args: string[], cwd: string, timeoutMs = 60_000): { ok: boolean; out: string; err: string } {
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: 'file:https:ssh:git' },
  });
  return { ok: r.status === 0, out: (r.stdout ?? '').trim(), err: (r.stderr ?? '').trim().split('\n').pop() ?? '' };
}

/** github.com/Owner/Repo(.git) from https, ssh or scp-like URLs, lower-cased; paths as given. */
export function normalizeRepoUrl(url: string): string {
  return url
    .trim()
    .replace(/^git@([^:]+):/, 'https://$1/')
    .replace(/^ssh:\/\/git@/, 'https://')
    .replace(/^https?:\/\/[^@/]+@/, 'https://')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '')
    .toLowerCase();
}

function repoName(url: string): string {
  return basename(normalizeRepoUrl(url));
}

export interface SubmoduleEntry {
  name: string;
  path: string;
  url: string;
}

export function listSubmodules(practice: string): SubmoduleEntry[] {
  if (!existsSync(join(practice, '.gitmodules'))) return [];
  const r = git(['config', '-f', '.gitmodules', '--get-regexp', '^submodule\\..*\\.(path|url)$'], practice);
  const byName = new Map<string, Partial<SubmoduleEntry>>();
  for (const line of r.out.split('\n')) {
    const m = line.match(/^submodule\.(.+)\.(path|url) (.+)$/);
    if (!m) continue;
    const e = byName.get(m[1]!) ?? { name: m[1]! };
    e[m[2] as 'path' | 'url'] = m[3]!;
    byName.set(m[1]!, e);
  }
  return [...byName.values()].filter((e): e is SubmoduleEntry => Boolean(e.path && e.url));
}

export async function findLabInPractice(practiceIn: string, opts: { labRepo?: string; lab?: string } = {}): Promise<LabLocation> {
  const practice = resolve(practiceIn);
  if (!git(['rev-parse', '--git-dir'], practice).ok) return { message: `${practice} is not a git repository` };
  const subs = listSubmodules(practice);
  if (subs.length === 0) return { message: `${practice} has no submodules: add the lab with npm run practice -- add ${practice}` };
  let chosen: SubmoduleEntry | undefined;
  let how = '';
  if (opts.lab) {
    const want = opts.lab.toLowerCase();
    chosen = subs.find((s) => s.name.toLowerCase() === want || s.path.toLowerCase() === want || normalizeRepoUrl(s.url) === normalizeRepoUrl(opts.lab!) || repoName(s.url) === want);
    how = `matched --lab ${opts.lab}`;
  } else {
    const origin = opts.labRepo ? git(['remote', 'get-url', 'origin'], opts.labRepo).out : '';
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
  const tree = git(['ls-tree', 'HEAD', '--', chosen.path], practice).out;
  const m = tree.match(/^160000 commit ([0-9a-f]{40})\t/);
  if (!m) return { name: chosen.name, url: chosen.url, message: `${chosen.path} is declared in .gitmodules but not committed as a submodule (gitlink); git add ${chosen.path} && git commit` };
  const commit = m[1]!;
  // Where to look for the commit: the initialized submodule, else a clone of its URL (relative URLs are relative to the practice repo).
  // The commit must exist in the lab's repository (its URL: what the instructor can fetch), not
  // merely in the student's submodule folder. Relative URLs are relative to the practice repo.
  const source = /^(\.\.?\/)/.test(chosen.url) ? resolve(practice, chosen.url) : chosen.url;
  const dir = await mkdtemp(join(tmpdir(), `avsock-lab-${basename(chosen.path)}-`));
  const clone = git(['clone', '-q', '--no-checkout', source, dir], tmpdir(), 120_000);
  if (!clone.ok) return { name: chosen.name, url: chosen.url, commit, message: `cannot clone the lab from ${chosen.url} (${clone.err}): is the URL public and pushed?` };
  if (!git(['cat-file', '-e', `${commit}^{commit}`], dir).ok) {
    // A commit only on the student's laptop: the gitlink points at nothing anyone else can fetch.
    const local = existsSync(join(practice, chosen.path, '.git')) ? ' (it exists only in your local folder)' : '';
    return { name: chosen.name, url: chosen.url, commit, message: `the submodule ${chosen.path} points at ${commit.slice(0, 10)}, which is not in ${chosen.url}${local}: push the lab repo, then git add ${chosen.path} in the practice repo and push` };
  }
  const co = git(['-c', 'advice.detachedHead=false', 'checkout', '-q', commit], dir);
  if (!co.ok) return { name: chosen.name, url: chosen.url, commit, message: `cannot check out ${commit.slice(0, 10)}: ${co.err}` };
  return { path: dir, name: chosen.name, url: chosen.url, commit, message: `${chosen.path} (${how}) at ${commit.slice(0, 10)}, found in ${chosen.url}` };
}
