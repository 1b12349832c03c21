/**
 * The hooks every test file that runs the commands needs: a temp folder with the clip it plays
 * (made once, before its tests), every process a test started stopped after that test, the folder
 * removed at the end.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { makeTestClip, type TestClipOptions } from '../../src/media/index.ts';
import { stopAll, tempDir, type TempDir } from './processes.ts';

export function makeClip(dir: TempDir, name: string, opts: TestClipOptions): Promise<string> {
  return makeTestClip(join(dir.path, name), opts);
}

export interface ClipFixture {
  /** The test file's temp folder (for stats files and the like). */
  readonly dir: TempDir;
  /** Path of the clip, made in `dir`. */
  readonly clip: string;
}

/** Registers the hooks; read `dir` and `clip` inside tests (they exist once beforeAll has run). */
export function useClip(name: string, opts: TestClipOptions): ClipFixture {
  let dir: TempDir | undefined;
  let clip: string | undefined;
  beforeAll(async () => {
    dir = tempDir();
    clip = await makeClip(dir, name, opts);
  });
  afterEach(stopAll);
  afterAll(() => dir?.remove());
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useClip(): read dir and clip inside a test, after beforeAll');
    return value;
  };
  return {
    get dir() {
      return ready(dir);
    },
    get clip() {
      return ready(clip);
    },
  };
}
