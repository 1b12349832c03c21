/**
 * Running real `git` (no git library): the checks must see exactly what the student's git sees,
 * including their config, hooks' temporary index files and insteadOf rewrites.
 */
import { ChildStartError } from '../process/children.ts';
import { runProgramBytes } from '../process/exec.ts';

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

async function run(cwd: string, args: readonly string[], options: GitOptions): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  try {
    const result = await runProgramBytes('git', ['-C', cwd, ...args], {
      env: mergeEnv(options.env),
      maxOutputBytes: 512 * 1024 * 1024,
      timeoutMs: options.timeoutMs ?? 120_000,
      allowFailure: true,
      ...(options.input !== undefined ? { input: options.input } : {}),
    });
    if (result.code !== 0 && !options.allowFail) {
      const detail = lastLine(result.stderr) || `exit code ${result.code}`;
      throw new Error(`git ${args.join(' ')} failed: ${detail}`);
    }
    return result;
  } catch (error) {
    // ENOENT and friends: git itself could not run.
    if (error instanceof ChildStartError) throw new Error(`git could not run (${error.syscallCode ?? error.message}); install git and put it on PATH`);
    throw error;
  }
}

/** Runs `git -C cwd ...args` and returns its text output. */
export async function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  const result = await run(cwd, args, options);
  return { code: result.code, stdout: result.stdout.toString('utf8'), stderr: result.stderr };
}

/** Runs `git -C cwd ...args` and returns its raw stdout (for blobs). */
export async function gitBuffer(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<Buffer> {
  return (await run(cwd, args, options)).stdout;
}

export function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? '';
}

/** Splits NUL-separated output (`-z`), dropping the empty tail. */
export function splitZ(text: string): string[] {
  return text.split('\0').filter((s) => s.length > 0);
}
