/**
 * The repository readiness check: is this repo ready to hand in? (the tutorial's mandatory steps:
 * an effective .gitignore, a screenshot, pushed to GitHub, addable as a submodule of the practice repo).
 *
 * Everything is asked of real `git`, never read from files by hand: `git check-ignore` decides what
 * is ignored, `git ls-files -s` what is tracked (with modes: 160000 is a gitlink), `git config -f`
 * whether .gitmodules parses, and a real `git submodule add` proves the repo can be added.
 *
 * Folder src/check/: the readiness check students run (`npm run check`, the git hooks); the grader's
 * checks phase calls it. May import: src/platform/, src/errors.ts.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { foreignRepoEnv, git, gitBuffer, lastLine, ownRepoEnv, splitZ } from '../platform/git.ts';
import { classifyOrigin, classifySubmoduleUrl, readGitmodules as readGitmodulesOf, type SubmoduleEntry } from '../platform/gitmodules.ts';

export type FindingStatus = 'pass' | 'warn' | 'fail';

export interface Finding {
  /** Stable id, e.g. `gitignore.effective`; tests and the grader match on it. */
  readonly id: string;
  readonly status: FindingStatus;
  /** One line: what was found. */
  readonly message: string;
  /** One line: the command or step that fixes it (warn/fail only). */
  readonly fix?: string;
}

export interface RepoCheckOptions {
  /** Any path inside the repository to check. */
  readonly repo: string;
  /** Pre-commit mode: only what is staged; skips screenshots, remote and submodule-ready. */
  readonly staged?: boolean;
  /** Prove submodule-readiness by cloning the origin URL (network) instead of the local path. */
  readonly online?: boolean;
  /** Pre-push mode: HEAD being ahead of its upstream is expected, the push is in progress. */
  readonly pushing?: boolean;
  /** CI mode: a detached checkout or a branch without upstream is a pushed commit by definition. */
  readonly ci?: boolean;
}

/** GitHub warns above 50 MiB and refuses files above 100 MiB (docs.github.com, "About large files on GitHub"). */
export const WARN_FILE_BYTES = 50 * 1024 * 1024;
export const MAX_FILE_BYTES = 100 * 1024 * 1024;

/** Paths that must be ignored, probed with `git check-ignore --no-index` (the tutorial's list plus build output). */
export const MUST_IGNORE_PROBES: readonly string[] = ['node_modules/x', '.cache/x', 'temp.wav', 'a.log', 'crash.log', '.env', 'build/x', 'dist/x'];

/** Probes that only concern a Node project (npm's node_modules/, this template's .cache/, bundler output). */
const NODE_ONLY_PROBES: ReadonlySet<string> = new Set(['node_modules/x', '.cache/x', 'build/x', 'dist/x']);

/** The probes for this repo: a repo without package.json (a Python submission) is not asked to ignore node_modules/. */
async function ignoreProbes(top: string): Promise<readonly string[]> {
  const node = await stat(join(top, 'package.json')).then(
    (s) => s.isFile(),
    () => false,
  );
  return node ? MUST_IGNORE_PROBES : MUST_IGNORE_PROBES.filter((p) => !NODE_ONLY_PROBES.has(p));
}

/** Tracked paths that are wrong whatever the .gitignore says (it may be missing or too weak). */
const NEVER_TRACK: readonly RegExp[] = [/(^|\/)node_modules\//, /^\.cache\//, /(^|\/)temp\.wav$/, /\.log$/, /(^|\/)\.env$/];

/** Folders that are reported as one entry when files inside them are tracked. */
const COLLAPSE_DIRS = ['node_modules', '.cache', 'build', 'dist', 'out', 'coverage'];

/** A screenshot smaller than this (pixels or bytes) is not a screenshot of the windows. */
export const MIN_SCREENSHOT = { width: 200, height: 100, bytes: 2048 } as const;

const pass = (id: string, message: string): Finding => ({ id, status: 'pass', message });
const warn = (id: string, message: string, fix: string): Finding => ({ id, status: 'warn', message, fix });
const fail = (id: string, message: string, fix: string): Finding => ({ id, status: 'fail', message, fix });

interface IndexEntry {
  readonly mode: string;
  readonly sha: string;
  readonly path: string;
}

interface Repo {
  readonly top: string;
  readonly entries: IndexEntry[];
  /** Paths whose staged content differs from HEAD (added, copied, modified, renamed, type-changed). */
  readonly staged: Set<string> | undefined;
}

async function g(repo: string, args: readonly string[], input?: string) {
  return git(repo, args, { env: ownRepoEnv(), allowFail: true, ...(input === undefined ? {} : { input }) });
}

function summarize(paths: readonly string[], max = 3): string {
  const shown = paths.slice(0, max).join(', ');
  return paths.length > max ? `${shown} (+${paths.length - max} more)` : shown;
}

function collapse(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const path of paths) {
    const parts = path.split('/');
    const at = parts.findIndex((part, i) => i < parts.length - 1 && COLLAPSE_DIRS.includes(part));
    out.add(at >= 0 ? `${parts.slice(0, at + 1).join('/')}/` : path);
  }
  return [...out];
}

function shellQuote(path: string): string {
  return /^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

async function readIndex(top: string): Promise<IndexEntry[]> {
  const result = await g(top, ['ls-files', '-s', '-z']);
  if (result.code !== 0) throw new Error(`git ls-files failed: ${lastLine(result.stderr)}`);
  return splitZ(result.stdout).flatMap((record) => {
    const tab = record.indexOf('\t');
    const [mode, sha] = record.slice(0, tab).split(' ');
    return mode && sha ? [{ mode, sha, path: record.slice(tab + 1) }] : [];
  });
}

async function readStaged(top: string): Promise<Set<string>> {
  // On an unborn branch git compares the index with the empty tree, so the first commit works too.
  const result = await g(top, ['diff', '--cached', '--name-only', '-z', '--no-renames', '--diff-filter=ACMT']);
  if (result.code !== 0) throw new Error(`git diff --cached failed: ${lastLine(result.stderr)}`);
  return new Set(splitZ(result.stdout));
}

// ---------------------------------------------------------------------------------------------
// .gitignore

async function checkGitignore(repo: Repo): Promise<Finding[]> {
  const findings: Finding[] = [];
  const exists = await stat(join(repo.top, '.gitignore')).then(
    (s) => s.isFile(),
    () => false,
  );
  const tracked = repo.entries.some((e) => e.path === '.gitignore');
  if (!exists) {
    findings.push(
      fail(
        'gitignore.exists',
        'no .gitignore at the top of the repository',
        'create .gitignore (node_modules/, .cache/, temp.wav, *.log, crash.log, .env, build/, dist/) and commit it',
      ),
    );
  } else if (!tracked) {
    findings.push(fail('gitignore.exists', '.gitignore exists but is not committed', 'git add .gitignore && git commit -m "Add .gitignore"'));
  } else {
    findings.push(pass('gitignore.exists', '.gitignore is committed'));
  }

  // -v -n prints one line per probe, "source:line:pattern<TAB>path"; "::<TAB>path" when nothing matched.
  const probes = await ignoreProbes(repo.top);
  const probe = await g(repo.top, ['check-ignore', '--no-index', '-v', '-n', '--stdin'], `${probes.join('\n')}\n`);
  if (probe.code > 1) throw new Error(`git check-ignore failed: ${lastLine(probe.stderr)}`);
  const notIgnored: string[] = [];
  const elsewhere: string[] = [];
  for (const line of probe.stdout.split('\n').filter(Boolean)) {
    const tab = line.lastIndexOf('\t');
    const info = line.slice(0, tab);
    const path = line.slice(tab + 1);
    const source = info.slice(0, info.indexOf(':'));
    const pattern = info.slice(info.indexOf(':', info.indexOf(':') + 1) + 1);
    const shown = path.endsWith('/x') ? path.slice(0, -1) : path;
    if (!source || pattern.startsWith('!')) notIgnored.push(shown);
    // Only a committed .gitignore travels with the repo: .git/info/exclude and core.excludesFile do not.
    else if (source.startsWith('/') || source.startsWith('.git/') || !source.endsWith('.gitignore')) elsewhere.push(`${shown} (by ${source})`);
  }
  if (notIgnored.length > 0) {
    findings.push(fail('gitignore.effective', `.gitignore does not ignore ${notIgnored.join(', ')}`, `add these lines to .gitignore: ${notIgnored.join(' ')}`));
  } else if (elsewhere.length > 0) {
    findings.push(
      fail(
        'gitignore.effective',
        `ignored only by files that are not committed: ${summarize(elsewhere)}`,
        'put those patterns in the committed .gitignore, so a clone elsewhere ignores them too',
      ),
    );
  } else {
    findings.push(
      pass(
        'gitignore.effective',
        `.gitignore ignores ${probes.length} probe paths (${probes
          .map((p) => (p.endsWith('/x') ? p.slice(0, -1) : p))
          .slice(0, 4)
          .join(', ')}, ...)`,
      ),
    );
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// tracked files: ignored ones and large ones

async function checkTracked(repo: Repo): Promise<Finding[]> {
  const findings: Finding[] = [];
  const files = repo.entries.filter((e) => e.mode !== '160000' && (!repo.staged || repo.staged.has(e.path)));
  const scope = repo.staged ? 'staged' : 'tracked';

  let ignored: string[] = [];
  if (files.length > 0) {
    const result = await g(repo.top, ['check-ignore', '--no-index', '--stdin', '-z'], `${files.map((f) => f.path).join('\0')}\0`);
    if (result.code > 1) throw new Error(`git check-ignore failed: ${lastLine(result.stderr)}`);
    ignored = splitZ(result.stdout);
  }
  const bad = new Set(ignored);
  for (const f of files) if (NEVER_TRACK.some((re) => re.test(f.path))) bad.add(f.path);
  if (bad.size > 0) {
    const shown = collapse([...bad].sort());
    findings.push(
      fail(
        'tracked.ignored',
        `${bad.size} ${scope} file(s) that must not be committed: ${summarize(shown)}`,
        repo.staged
          ? `unstage them: git restore --staged -- ${shown.map(shellQuote).join(' ')}`
          : `git rm -r --cached -- ${shown.map(shellQuote).join(' ')} && git commit -m "Stop tracking ignored files"`,
      ),
    );
  } else {
    findings.push(pass('tracked.ignored', `no ${scope} file is one that must be ignored`));
  }

  const blobs = files;
  const sizes = new Map<string, number>();
  if (blobs.length > 0) {
    const unique = [...new Set(blobs.map((b) => b.sha))];
    const result = await g(repo.top, ['cat-file', '--batch-check=%(objectname) %(objectsize)'], `${unique.join('\n')}\n`);
    for (const line of result.stdout.split('\n')) {
      const [sha, size] = line.split(' ');
      if (sha && size && /^\d+$/.test(size)) sizes.set(sha, Number(size));
    }
  }
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  const huge = blobs.filter((b) => (sizes.get(b.sha) ?? 0) > MAX_FILE_BYTES);
  const large = blobs.filter((b) => {
    const size = sizes.get(b.sha) ?? 0;
    return size > WARN_FILE_BYTES && size <= MAX_FILE_BYTES;
  });
  const describe = (list: IndexEntry[]) => summarize(list.map((b) => `${b.path} (${mib(sizes.get(b.sha) ?? 0)})`));
  const untrack = (list: IndexEntry[]) =>
    repo.staged
      ? `unstage: git restore --staged -- ${list.map((b) => shellQuote(b.path)).join(' ')}, and add it to .gitignore`
      : `git rm --cached -- ${list.map((b) => shellQuote(b.path)).join(' ')}, add it to .gitignore, commit (or use Git LFS)`;
  if (huge.length > 0) {
    findings.push(fail('tracked.size', `${scope} file(s) over 100 MiB, which GitHub refuses: ${describe(huge)}`, untrack(huge)));
  } else if (large.length > 0) {
    findings.push(warn('tracked.size', `${scope} file(s) over 50 MiB, which GitHub warns about: ${describe(large)}`, untrack(large)));
  } else {
    findings.push(pass('tracked.size', `no ${scope} file over 50 MiB`));
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// submodules

async function readGitmodules(repo: Repo): Promise<{ entries: SubmoduleEntry[]; error?: string; present: boolean }> {
  if (repo.staged && !repo.entries.some((e) => e.path === '.gitmodules')) return { entries: [], present: false };
  return readGitmodulesOf(repo.top, repo.staged ? 'index' : 'work-tree', ownRepoEnv());
}

async function checkSubmodules(repo: Repo): Promise<Finding[]> {
  const findings: Finding[] = [];
  const modules = await readGitmodules(repo);
  const incomplete = modules.entries.filter((e) => !e.path || !e.url);
  if (modules.error) {
    findings.push(
      fail('gitmodules.parse', `.gitmodules does not parse: ${modules.error}`, 'fix the syntax (git config -f .gitmodules --list shows the error)'),
    );
  } else if (incomplete.length > 0) {
    findings.push(
      fail(
        'gitmodules.parse',
        `.gitmodules entries without path or url: ${summarize(incomplete.map((e) => e.name))}`,
        'give every [submodule "NAME"] both path = ... and url = https://...',
      ),
    );
  } else {
    findings.push(
      pass('gitmodules.parse', modules.present ? `.gitmodules parses (${modules.entries.length} submodule(s))` : 'no .gitmodules (no submodules declared)'),
    );
  }

  const declared = new Map(modules.entries.filter((e) => e.path).map((e) => [e.path as string, e]));
  const gitlinks = repo.entries.filter((e) => e.mode === '160000');
  const checkedLinks = repo.staged ? gitlinks.filter((e) => repo.staged?.has(e.path)) : gitlinks;
  const undeclared = checkedLinks.filter((e) => !declared.has(e.path));
  const linkPaths = new Set(gitlinks.map((e) => e.path));
  const orphans = repo.staged ? [] : [...declared.keys()].filter((p) => !linkPaths.has(p));
  if (undeclared.length > 0) {
    const paths = undeclared.map((e) => e.path);
    findings.push(
      fail(
        'submodule.declared',
        `gitlink(s) with no .gitmodules entry (a clone cannot fetch them): ${summarize(paths)}`,
        `git rm --cached -- ${paths.map(shellQuote).join(' ')}, then re-add with: git submodule add https://github.com/OWNER/REPO.git ${shellQuote(paths[0] as string)}`,
      ),
    );
  } else if (orphans.length > 0) {
    findings.push(
      warn(
        'submodule.declared',
        `.gitmodules declares path(s) with no committed submodule: ${summarize(orphans)}`,
        'remove those entries from .gitmodules, or git submodule add them',
      ),
    );
  } else {
    findings.push(pass('submodule.declared', `${checkedLinks.length} ${repo.staged ? 'staged ' : ''}gitlink(s), each declared in .gitmodules`));
  }

  const urlProblems = modules.entries
    .filter((e) => e.url)
    .map((e) => ({ entry: e, ...classifySubmoduleUrl(e.url as string) }))
    .filter((x) => x.status !== 'pass');
  const worst = urlProblems.some((x) => x.status === 'fail') ? 'fail' : urlProblems.length > 0 ? 'warn' : 'pass';
  if (worst === 'pass') {
    findings.push(pass('submodule.url', `${modules.entries.length} submodule URL(s), all reachable from another machine`));
  } else {
    const detail = summarize(
      urlProblems.map((x) => `${x.entry.name} = ${x.entry.url} (${x.why})`),
      2,
    );
    const fix = `git config -f .gitmodules submodule.${urlProblems[0]?.entry.name}.url https://github.com/OWNER/REPO.git && git submodule sync`;
    findings.push(worst === 'fail' ? fail('submodule.url', detail, fix) : warn('submodule.url', detail, fix));
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// screenshots

async function checkScreenshots(repo: Repo): Promise<Finding[]> {
  const pngs = repo.entries.filter((e) => /^screenshots\/.+\.png$/i.test(e.path) && e.mode !== '160000');
  if (pngs.length === 0) {
    return [
      fail(
        'screenshots.present',
        'no PNG committed under screenshots/',
        'take a screenshot of both windows running, save it as screenshots/demo.png, git add it and commit',
      ),
    ];
  }
  const findings = [pass('screenshots.present', `${pngs.length} PNG(s) under screenshots/`)];
  const sharp = (await import('sharp')).default;
  const bad: string[] = [];
  const good: string[] = [];
  for (const png of pngs) {
    // The committed (index) content, not the working file: that is what a clone gets.
    const data = await gitBuffer(repo.top, ['cat-file', 'blob', png.sha], { env: ownRepoEnv() });
    try {
      const image = sharp(data);
      const meta = await image.metadata();
      const width = meta.width ?? 0;
      const height = meta.height ?? 0;
      if (meta.format !== 'png') bad.push(`${png.path} is ${meta.format ?? 'not an image'}, not a PNG`);
      else if (width < MIN_SCREENSHOT.width || height < MIN_SCREENSHOT.height) {
        bad.push(`${png.path} is tiny (${width}x${height}, ${data.length} bytes)`);
      } else {
        const stats = await image.stats();
        const colour = stats.channels.slice(0, Math.min(3, stats.channels.length));
        if (colour.every((c) => c.stdev < 1)) bad.push(`${png.path} is a single colour (${width}x${height})`);
        // A few hundred bytes at that size means almost nothing is on it.
        else if (data.length < MIN_SCREENSHOT.bytes) bad.push(`${png.path} is tiny (${width}x${height}, ${data.length} bytes)`);
        else good.push(`${png.path} ${width}x${height}`);
      }
    } catch (error) {
      bad.push(`${png.path} does not decode (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  if (bad.length > 0) {
    findings.push(
      fail(
        'screenshots.quality',
        summarize(bad, 2),
        `replace it with a real screenshot of both windows (at least ${MIN_SCREENSHOT.width}x${MIN_SCREENSHOT.height}), then commit`,
      ),
    );
  } else {
    findings.push(pass('screenshots.quality', summarize(good, 2)));
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// remote

async function originUrl(top: string): Promise<string | undefined> {
  // The configured URL, not `git remote get-url` (which applies insteadOf rewrites).
  const result = await g(top, ['config', '--get', 'remote.origin.url']);
  return result.code === 0 ? result.stdout.trim() || undefined : undefined;
}

async function checkRemote(repo: Repo, opts: RepoCheckOptions, head: string | undefined): Promise<Finding[]> {
  const findings: Finding[] = [];
  const url = await originUrl(repo.top);
  if (!url) {
    findings.push(fail('remote.origin', 'no remote named origin', 'create the repo on GitHub, then: git remote add origin https://github.com/YOU/REPO.git'));
  } else {
    const kind = classifyOrigin(url);
    if (kind.status === 'pass') findings.push(pass('remote.origin', `origin is ${url}`));
    else if (kind.status === 'warn') {
      findings.push(warn('remote.origin', `origin is ${url} (ssh: the instructor may not be able to clone it)`, `git remote set-url origin ${kind.httpsUrl}`));
    } else {
      findings.push(fail('remote.origin', `origin is ${url}, not a GitHub repository`, 'git remote set-url origin https://github.com/YOU/REPO.git'));
    }
  }

  if (!head) {
    findings.push(fail('remote.pushed', 'no commits yet', 'git add the project files and git commit, then git push -u origin HEAD'));
    return findings;
  }
  const branchResult = await g(repo.top, ['symbolic-ref', '-q', '--short', 'HEAD']);
  const branch = branchResult.code === 0 ? branchResult.stdout.trim() : undefined;
  const upstreamResult = await g(repo.top, ['rev-parse', '--verify', '-q', '--symbolic-full-name', '@{u}']);
  const upstreamRef = upstreamResult.code === 0 ? upstreamResult.stdout.trim() : undefined;
  if (opts.pushing) {
    findings.push(pass('remote.pushed', `push of ${head.slice(0, 7)} in progress`));
    return findings;
  }
  if (!branch || !upstreamRef) {
    if (opts.ci) {
      findings.push(pass('remote.pushed', `CI checkout of pushed commit ${head.slice(0, 7)}`));
    } else if (!branch) {
      findings.push(fail('remote.pushed', `HEAD is detached at ${head.slice(0, 7)}`, 'git switch main (or your branch), then git push'));
    } else {
      findings.push(fail('remote.pushed', `branch ${branch} has no upstream: it was never pushed`, `git push -u origin ${branch}`));
    }
    return findings;
  }
  const upstream = (await g(repo.top, ['rev-parse', '--verify', '-q', '@{u}'])).stdout.trim();
  const shortUp = upstreamRef.replace(/^refs\/remotes\//, '');
  if (upstream === head) {
    findings.push(pass('remote.pushed', `${branch} is pushed (${shortUp} = ${head.slice(0, 7)})`));
    return findings;
  }
  const counts = (await g(repo.top, ['rev-list', '--left-right', '--count', `${upstream}...${head}`])).stdout.trim().split(/\s+/);
  const behind = Number(counts[0] ?? 0);
  const ahead = Number(counts[1] ?? 0);
  if (ahead > 0) {
    findings.push(
      fail(
        'remote.pushed',
        `${branch} is ${ahead} commit(s) ahead of ${shortUp}${behind ? ` and ${behind} behind` : ''}: not pushed`,
        behind ? 'git pull --rebase && git push' : 'git push',
      ),
    );
  } else {
    findings.push(warn('remote.pushed', `${branch} is ${behind} commit(s) behind ${shortUp}`, 'git pull'));
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// submodule-ready: what the instructor's practice repo will do

async function checkSubmoduleReady(repo: Repo, opts: RepoCheckOptions, head: string | undefined): Promise<Finding> {
  if (!head) return fail('submodule.ready', 'no commits yet, nothing to add as a submodule', 'commit your work first');
  let url = repo.top;
  if (opts.online) {
    const origin = await originUrl(repo.top);
    if (!origin) return fail('submodule.ready', '--online needs an origin URL to clone', 'git remote add origin https://github.com/YOU/REPO.git');
    url = origin;
  }
  const dir = await mkdtemp(join(tmpdir(), 'avsock-practice-'));
  try {
    const env = foreignRepoEnv();
    const timeoutMs = opts.online ? 300_000 : 120_000;
    // Local paths use the file transport, which git ≥ 2.38.1 refuses for submodules unless allowed.
    const allowFile = ['-c', 'protocol.file.allow=always'];
    const init = await git(dir, ['init', '-q'], { env, allowFail: true });
    if (init.code !== 0) return fail('submodule.ready', `git init in a temp folder failed: ${lastLine(init.stderr)}`, 'check the temp folder is writable');
    const add = await git(dir, [...allowFile, 'submodule', 'add', '-q', url, 'lab'], { env, allowFail: true, timeoutMs });
    if (add.code !== 0) {
      return fail(
        'submodule.ready',
        `git submodule add ${url} failed: ${lastLine(add.stderr)}`,
        opts.online ? 'git push, and make the GitHub repo public' : 'run the command by hand to see why',
      );
    }
    const update = await git(dir, [...allowFile, 'submodule', 'update', '--init', '--recursive'], { env, allowFail: true, timeoutMs });
    if (update.code !== 0) {
      return fail(
        'submodule.ready',
        `git submodule update --init --recursive failed: ${lastLine(update.stderr)}`,
        'give every nested submodule an https URL in .gitmodules',
      );
    }
    const checkout = (await git(join(dir, 'lab'), ['rev-parse', 'HEAD'], { env, allowFail: true })).stdout.trim();
    if (checkout !== head) {
      return fail(
        'submodule.ready',
        `a submodule clone of ${opts.online ? url : 'this repo'} checks out ${checkout.slice(0, 7) || 'nothing'}, but HEAD is ${head.slice(0, 7)}`,
        opts.online ? 'git push to the default branch on GitHub' : 'check out your main branch (the clone takes the default branch)',
      );
    }
    return pass('submodule.ready', `git submodule add ${opts.online ? url : '<this repo>'} + update --init --recursive checks out HEAD ${head.slice(0, 7)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

/** Runs every check against the repository containing `opts.repo`. Never throws for a bad repo: that is a finding. */
export async function runRepoChecks(opts: RepoCheckOptions): Promise<Finding[]> {
  const where = resolve(opts.repo);
  const topResult = await git(where, ['rev-parse', '--show-toplevel'], { env: ownRepoEnv(), allowFail: true }).catch((error: unknown) => ({
    code: -1,
    stdout: '',
    stderr: error instanceof Error ? error.message : String(error),
  }));
  if (topResult.code !== 0 || !topResult.stdout.trim()) {
    return [
      fail(
        'repo.git',
        `${where} is not inside a git repository (${lastLine(topResult.stderr) || 'git rev-parse failed'})`,
        'cd into your clone, or git init it',
      ),
    ];
  }
  const top = topResult.stdout.trim();
  const entries = await readIndex(top);
  const staged = opts.staged ? await readStaged(top) : undefined;
  const repo: Repo = { top, entries, staged };

  const findings: Finding[] = [];
  if (!opts.staged) findings.push(...(await checkGitignore(repo)));
  findings.push(...(await checkTracked(repo)));
  findings.push(...(await checkSubmodules(repo)));
  if (opts.staged) return findings;

  findings.push(...(await checkScreenshots(repo)));
  const headResult = await g(top, ['rev-parse', '--verify', '-q', 'HEAD']);
  const head = headResult.code === 0 ? headResult.stdout.trim() : undefined;
  findings.push(...(await checkRemote(repo, opts, head)));
  findings.push(await checkSubmoduleReady(repo, opts, head));
  return findings;
}

export function hasFailure(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.status === 'fail');
}

/** A plain-text table: one row per finding, the fix indented under each warn/fail. */
export function formatFindings(findings: readonly Finding[]): string {
  const idWidth = Math.max(...findings.map((f) => f.id.length), 2);
  const label = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' } as const;
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${label[f.status]}  ${f.id.padEnd(idWidth)}  ${f.message}`);
    if (f.fix && f.status !== 'pass') lines.push(`${' '.repeat(6 + idWidth)}  fix: ${f.fix}`);
  }
  const fails = findings.filter((f) => f.status === 'fail').length;
  const warns = findings.filter((f) => f.status === 'warn').length;
  lines.push(fails ? `${fails} check(s) failed, ${warns} warning(s).` : `All checks passed${warns ? ` (${warns} warning(s))` : ''}.`);
  return `${lines.join('\n')}\n`;
}
