/** Throw-away submissions for the grader's tests, made in a temp folder. */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

export const FAKE_SERVER = new URL('./fake_tutorial_server.py', import.meta.url).pathname;

export async function makeTutorialSubmission(
  parent: string,
  name: string,
  cfg: { fps?: number; rate?: number; mode?: string; pacedAudio?: boolean },
): Promise<string> {
  const dir = join(parent, name);
  await mkdir(dir, { recursive: true });
  await copyFile(FAKE_SERVER, join(dir, 'server.py'));
  await writeFile(join(dir, 'fake.json'), JSON.stringify(cfg));
  const jpeg = await sharp({ create: { width: 400, height: 226, channels: 3, background: { r: 90, g: 40, b: 160 } } })
    .jpeg({ quality: 80 })
    .toBuffer();
  await writeFile(join(dir, 'frame.jpg'), jpeg);
  return dir;
}

export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
      GIT_ALLOW_PROTOCOL: 'file',
    },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

export async function gitInit(dir: string): Promise<void> {
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'init');
}

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}
