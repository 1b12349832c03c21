import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git } from './git.ts';
import { parseGitmodules } from './gitmodules.ts';

describe('parseGitmodules()', () => {
  it('reads path and url per submodule from real `git config --list -z`, dotted names and missing keys included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'avsock-git-'));
    try {
      const file = join(dir, '.gitmodules');
      writeFileSync(
        file,
        [
          '[submodule "a"]',
          '\tpath = lib/a',
          '\turl = https://example.com/a.git',
          '\tbranch = main',
          '[submodule "v1.2"]',
          '\tpath = "with space"',
          '[submodule "b"]',
          '\turl = ../b.git',
          '',
        ].join('\n'),
      );
      const listed = await git(dir, ['config', '--file', file, '--list', '-z']);
      expect(parseGitmodules(listed.stdout)).toEqual([
        { name: 'a', path: 'lib/a', url: 'https://example.com/a.git' },
        { name: 'v1.2', path: 'with space' },
        { name: 'b', url: '../b.git' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('returns nothing for empty output', () => {
    expect(parseGitmodules('')).toEqual([]);
  });
});
