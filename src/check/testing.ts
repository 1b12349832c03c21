/**
 * Throw-away git repositories for tests of the repo check, `practice add` and the hooks: real git
 * in os.tmpdir(), an https GitHub origin URL that `url.<bare>.insteadOf` maps to a local bare repo,
 * so pushing and cloning are real git with no network.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { git } from '../platform/git.ts';

/** A fixed identity, so commits work on machines (CI) with no git user configured. */
export const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'avsock test',
  GIT_AUTHOR_EMAIL: 'test@avsock.invalid',
  GIT_COMMITTER_NAME: 'avsock test',
  GIT_COMMITTER_EMAIL: 'test@avsock.invalid',
} as const;

/** Runs git in `cwd` with the test identity; throws on failure. */
export async function tgit(cwd: string, ...args: string[]): Promise<string> {
  const result = await git(cwd, args, { env: { ...GIT_IDENTITY } });
  return result.stdout.trim();
}

/** A noisy, non-trivial PNG like a real screenshot (320x200, random pixels). */
export async function makeScreenshotPng(width = 320, height = 200): Promise<Buffer> {
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

export async function writeFiles(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

export const TEST_GITIGNORE = ['node_modules/', '.cache/', 'temp.wav', '*.log', 'crash.log', '.env', 'build/', 'dist/', ''].join('\n');

export interface TempRepos {
  /** Root temp folder; remove it with cleanup(). */
  readonly root: string;
  /** The student's working repository (branch main). */
  readonly work: string;
  /** The bare repository standing in for GitHub. */
  readonly bare: string;
  /** The https GitHub URL configured as origin; insteadOf maps it to `bare`. */
  readonly originUrl: string;
  /** `-c` style config pairs that make any git process resolve originUrl to `bare`. */
  readonly config: Record<string, string>;
  cleanup(): Promise<void>;
}

/**
 * A repository that passes every check: .gitignore, a screenshot, origin on "GitHub", pushed.
 * Pass `push: false` or `files` to vary it.
 */
export async function makeReadyRepo(opts: { files?: Record<string, string | Buffer>; push?: boolean; name?: string } = {}): Promise<TempRepos> {
  const root = await mkdtemp(join(tmpdir(), 'avsock-repo-'));
  const name = opts.name ?? 'avsock-lab';
  const work = join(root, name);
  const bare = join(root, 'github', `${name}.git`);
  const originUrl = `https://github.com/student/${name}.git`;
  try {
    await mkdir(work, { recursive: true });
    await mkdir(bare, { recursive: true });
    await tgit(work, 'init', '-q', '-b', 'main');
    await tgit(bare, 'init', '-q', '--bare', '-b', 'main');
    await writeFiles(work, {
      '.gitignore': TEST_GITIGNORE,
      'README.md': '# lab\n',
      'screenshots/demo.png': await makeScreenshotPng(),
      ...opts.files,
    });
    await tgit(work, 'add', '-A');
    await tgit(work, 'commit', '-q', '-m', 'Initial commit');
    await tgit(work, 'remote', 'add', 'origin', originUrl);
    await tgit(work, 'config', `url.${bare}.insteadOf`, originUrl);
    if (opts.push !== false) await tgit(work, 'push', '-q', '-u', 'origin', 'main');
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return {
    root,
    work,
    bare,
    originUrl,
    config: { [`url.${bare}.insteadOf`]: originUrl, 'protocol.file.allow': 'always' },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** GIT_CONFIG_COUNT/KEY/VALUE variables (git ≥ 2.31): config that every child git process sees. */
export function gitConfigEnv(config: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(Object.keys(config).length) };
  Object.entries(config).forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** Sets environment variables for the duration of `fn`, then restores them. */
export async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}
