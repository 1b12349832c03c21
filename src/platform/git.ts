/**
 * Running real `git` (no git library): the checks must see exactly what the student's git sees,
 * including their config, hooks' temporary index files and insteadOf rewrites.
 */
import { execFile } from 'node:child_process';

export interface GitResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface GitOptions {
  /** Written to git's stdin. */
  readonly input?: string | Buffer;
  /** Extra environment; `undefined` values remove a variable. */
  readonly env?: Record<string, string | undefined>;
  /** Resolve with a non-zero code instead of rejecting. */
  readonly allowFail?: boolean;
  readonly timeoutMs?: number;
}

/**
 * Variables git sets for hooks that pin commands to one repository (`git rev-parse --local-env-vars`,
 * minus the GIT_CONFIG_* ones that carry -c options and test configuration). A command aimed at a
 * different repository (a temp practice repo) must not inherit them, or it would act on ours.
 */
const REPO_LOCAL_ENV = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_IMPLICIT_WORK_TREE',
  'GIT_GRAFT_FILE',
  'GIT_NO_REPLACE_OBJECTS',
  'GIT_REPLACE_REF_BASE',
  'GIT_PREFIX',
  'GIT_INTERNAL_SUPER_PREFIX',
  'GIT_SHALLOW_FILE',
  'GIT_QUARANTINE_PATH',
] as const;

/** Environment for git commands run in a repository other than the one a hook runs for. */
export function foreignRepoEnv(): Record<string, string | undefined> {
  return Object.fromEntries(REPO_LOCAL_ENV.map((name) => [name, undefined]));
}

/**
 * Environment for git commands aimed at `-C repo`: GIT_DIR/GIT_WORK_TREE are dropped so -C decides
 * the repository, but GIT_INDEX_FILE is kept — during `git commit -- paths` the pre-commit hook's
 * staged content lives in that temporary index.
 */
export function ownRepoEnv(): Record<string, string | undefined> {
  return { GIT_DIR: undefined, GIT_WORK_TREE: undefined, GIT_PREFIX: undefined };
}

function mergeEnv(extra: Record<string, string | undefined> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  for (const [key, value] of Object.entries(extra ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

function run(cwd: string, args: readonly string[], options: GitOptions, encoding: 'utf8' | 'buffer'): Promise<{ code: number; stdout: string | Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      ['-C', cwd, ...args],
      {
        encoding,
        env: mergeEnv(options.env),
        maxBuffer: 512 * 1024 * 1024,
        timeout: options.timeoutMs ?? 120_000,
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        const stderrText = Buffer.isBuffer(stderr) ? stderr.toString('utf8') : String(stderr);
        if (error && typeof (error as NodeJS.ErrnoException).code === 'string') {
          // ENOENT and friends: git itself could not run.
          reject(new Error(`git could not run (${(error as NodeJS.ErrnoException).code}); install git and put it on PATH`));
          return;
        }
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        if (code !== 0 && !options.allowFail) {
          const detail = lastLine(stderrText) || `exit code ${code}`;
          reject(new Error(`git ${args.join(' ')} failed: ${detail}`));
          return;
        }
        resolve({ code, stdout, stderr: stderrText });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** Runs `git -C cwd ...args` and returns its text output. */
export async function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  const result = await run(cwd, args, options, 'utf8');
  return { code: result.code, stdout: String(result.stdout), stderr: result.stderr };
}

/** Runs `git -C cwd ...args` and returns its raw stdout (for blobs). */
export async function gitBuffer(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<Buffer> {
  const result = await run(cwd, args, options, 'buffer');
  return result.stdout as Buffer;
}

export function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? '';
}

/** Splits NUL-separated output (`-z`), dropping the empty tail. */
export function splitZ(text: string): string[] {
  return text.split('\0').filter((s) => s.length > 0);
}

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
