import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { formatFindings, hasFailure, runRepoChecks, type Finding } from './readiness.ts';
import { classifyOrigin, classifySubmoduleUrl } from '../platform/gitmodules.ts';
import { gitConfigEnv, makeReadyRepo, tgit, withEnv, writeFiles, type TempRepos } from './testing.ts';

function byId(findings: Finding[], id: string): Finding {
  const found = findings.find((f) => f.id === id);
  if (!found) throw new Error(`no finding ${id} in: ${formatFindings(findings)}`);
  return found;
}

async function withRepo(fn: (r: TempRepos) => Promise<void>, opts?: Parameters<typeof makeReadyRepo>[0]): Promise<void> {
  const repos = await makeReadyRepo(opts);
  try {
    await fn(repos);
  } finally {
    await repos.cleanup();
  }
}

describe('runRepoChecks on a throw-away repo with real git', () => {
  it('passes a correct repo: .gitignore, screenshot, https origin, pushed, submodule-ready', async () => {
    await withRepo(async ({ work }) => {
      const findings = await runRepoChecks({ repo: work });
      expect(hasFailure(findings), formatFindings(findings)).toBe(false);
      expect(
        findings.filter((f) => f.status !== 'pass'),
        formatFindings(findings),
      ).toEqual([]);
      expect(findings.map((f) => f.id)).toEqual([
        'gitignore.exists',
        'gitignore.effective',
        'tracked.ignored',
        'tracked.size',
        'gitmodules.parse',
        'submodule.declared',
        'submodule.url',
        'screenshots.present',
        'screenshots.quality',
        'remote.origin',
        'remote.pushed',
        'submodule.ready',
      ]);
    });
  });

  it('fails gitignore.exists when there is no .gitignore', async () => {
    await withRepo(async ({ work }) => {
      await tgit(work, 'rm', '-q', '.gitignore');
      await writeFiles(work, { 'package.json': '{"name":"lab"}\n' });
      await tgit(work, 'add', 'package.json');
      await tgit(work, 'commit', '-q', '-m', 'drop .gitignore');
      const findings = await runRepoChecks({ repo: work });
      expect(byId(findings, 'gitignore.exists').status).toBe('fail');
      expect(byId(findings, 'gitignore.effective')).toMatchObject({ status: 'fail', message: expect.stringContaining('node_modules/') });
      expect(hasFailure(findings)).toBe(true);
    });
  });

  it('does not ask a repo without package.json (a Python submission) to ignore node_modules/', async () => {
    await withRepo(async ({ work }) => {
      await writeFiles(work, { '.gitignore': '__pycache__/\ntemp.wav\n*.log\n.env\n', 'server.py': 'print(1)\n' });
      await tgit(work, 'add', '-A');
      await tgit(work, 'commit', '-q', '-m', 'python-style .gitignore');
      expect(byId(await runRepoChecks({ repo: work }), 'gitignore.effective').status).toBe('pass');
      await writeFiles(work, { 'package.json': '{"name":"lab"}\n' });
      await tgit(work, 'add', '-A');
      await tgit(work, 'commit', '-q', '-m', 'now a Node project');
      expect(byId(await runRepoChecks({ repo: work }), 'gitignore.effective')).toMatchObject({
        status: 'fail',
        message: expect.stringContaining('node_modules/'),
      });
    });
  });

  it('fails gitignore.effective when a pattern is missing or lives only in .git/info/exclude', async () => {
    await withRepo(async ({ work }) => {
      await writeFiles(work, { '.gitignore': 'node_modules/\n.cache/\ntemp.wav\ncrash.log\n.env\nbuild/\ndist/\n' });
      await tgit(work, 'commit', '-q', '-am', 'weaker .gitignore');
      let finding = byId(await runRepoChecks({ repo: work }), 'gitignore.effective');
      expect(finding).toMatchObject({ status: 'fail', message: expect.stringContaining('a.log') });
      expect(finding.fix).toContain('a.log');

      await writeFiles(work, { '.git/info/exclude': '*.log\n' });
      finding = byId(await runRepoChecks({ repo: work }), 'gitignore.effective');
      expect(finding).toMatchObject({ status: 'fail', message: expect.stringContaining('.git/info/exclude') });
    });
  });

  it('fails tracked.ignored when node_modules was committed before the .gitignore existed', async () => {
    await withRepo(async ({ work }) => {
      await writeFiles(work, { 'node_modules/left-pad/index.js': 'module.exports = 1;\n', 'node_modules/left-pad/package.json': '{}\n' });
      await tgit(work, 'add', '-f', 'node_modules');
      await tgit(work, 'commit', '-q', '-m', 'oops');
      await tgit(work, 'push', '-q');
      const finding = byId(await runRepoChecks({ repo: work }), 'tracked.ignored');
      expect(finding.status).toBe('fail');
      expect(finding.message).toContain('node_modules/');
      expect(finding.fix).toContain('git rm -r --cached -- node_modules/');
    });
  });

  it('warns tracked.size for a committed 60 MB file', async () => {
    await withRepo(async ({ work }) => {
      const handle = await open(join(work, 'big.bin'), 'w');
      await handle.truncate(60 * 1024 * 1024); // sparse: fast to make, git still hashes all 60 MB
      await handle.close();
      await tgit(work, 'add', 'big.bin');
      await tgit(work, 'commit', '-q', '-m', 'big file');
      const finding = byId(await runRepoChecks({ repo: work }), 'tracked.size');
      expect(finding).toMatchObject({ status: 'warn', message: expect.stringContaining('big.bin (60.0 MiB)') });
    });
  });

  it('fails submodule.declared for a gitlink with no .gitmodules entry', async () => {
    await withRepo(async ({ work }) => {
      const head = await tgit(work, 'rev-parse', 'HEAD');
      await tgit(work, 'update-index', '--add', '--cacheinfo', `160000,${head},vendor/lib`);
      await tgit(work, 'commit', '-q', '-m', 'gitlink');
      const finding = byId(await runRepoChecks({ repo: work }), 'submodule.declared');
      expect(finding).toMatchObject({ status: 'fail', message: expect.stringContaining('vendor/lib') });
    });
  });

  it('fails submodule.url for a local-path URL and gitmodules.parse for a broken file', async () => {
    await withRepo(async ({ work }) => {
      const head = await tgit(work, 'rev-parse', 'HEAD');
      await tgit(work, 'update-index', '--add', '--cacheinfo', `160000,${head},vendor/lib`);
      await writeFiles(work, { '.gitmodules': '# ours\n[submodule "vendor/lib"]\n\tpath = vendor/lib\n\turl = /home/me/lib\n' });
      await tgit(work, 'add', '.gitmodules');
      await tgit(work, 'commit', '-q', '-m', 'local submodule');
      let findings = await runRepoChecks({ repo: work, staged: false });
      expect(byId(findings, 'gitmodules.parse').status).toBe('pass');
      expect(byId(findings, 'submodule.declared').status).toBe('pass');
      expect(byId(findings, 'submodule.url')).toMatchObject({ status: 'fail', message: expect.stringContaining('/home/me/lib') });

      await writeFiles(work, { '.gitmodules': '[submodule "vendor/lib"\n\tpath = vendor/lib\n' });
      findings = await runRepoChecks({ repo: work });
      expect(byId(findings, 'gitmodules.parse').status).toBe('fail');
    });
  });

  it('fails screenshots.present when no PNG is committed', async () => {
    await withRepo(async ({ work }) => {
      await tgit(work, 'rm', '-q', 'screenshots/demo.png');
      await tgit(work, 'commit', '-q', '-m', 'no screenshot');
      await tgit(work, 'push', '-q');
      const findings = await runRepoChecks({ repo: work });
      expect(byId(findings, 'screenshots.present').status).toBe('fail');
      expect(findings.find((f) => f.id === 'screenshots.quality')).toBeUndefined();
    });
  });

  it('fails screenshots.quality for a single-colour or tiny PNG', async () => {
    await withRepo(async ({ work }) => {
      const black = await sharp({ create: { width: 800, height: 450, channels: 3, background: '#000000' } })
        .png()
        .toBuffer();
      await writeFiles(work, { 'screenshots/demo.png': black });
      await tgit(work, 'commit', '-q', '-am', 'black');
      let finding = byId(await runRepoChecks({ repo: work }), 'screenshots.quality');
      expect(finding).toMatchObject({ status: 'fail', message: expect.stringContaining('single colour') });

      const tiny = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#336699' } })
        .png()
        .toBuffer();
      await writeFiles(work, { 'screenshots/demo.png': tiny });
      await tgit(work, 'commit', '-q', '-am', 'tiny');
      finding = byId(await runRepoChecks({ repo: work }), 'screenshots.quality');
      expect(finding).toMatchObject({ status: 'fail', message: expect.stringContaining('tiny (40x30') });
    });
  });

  it('fails remote.origin when there is no origin, and warns for an ssh origin', async () => {
    await withRepo(async ({ work }) => {
      await tgit(work, 'remote', 'set-url', 'origin', 'git@github.com:student/avsock-lab.git');
      const ssh = byId(await runRepoChecks({ repo: work }), 'remote.origin');
      expect(ssh).toMatchObject({ status: 'warn', fix: 'git remote set-url origin https://github.com/student/avsock-lab.git' });

      await tgit(work, 'remote', 'remove', 'origin');
      const findings = await runRepoChecks({ repo: work });
      expect(byId(findings, 'remote.origin').status).toBe('fail');
      expect(byId(findings, 'remote.pushed').status).toBe('fail');
    });
  });

  it('fails remote.pushed for an unpushed HEAD; --pushing and --ci tolerate what they should', async () => {
    await withRepo(async ({ work }) => {
      await writeFiles(work, { 'src.txt': 'more work\n' });
      await tgit(work, 'add', 'src.txt');
      await tgit(work, 'commit', '-q', '-m', 'not pushed');
      const finding = byId(await runRepoChecks({ repo: work }), 'remote.pushed');
      expect(finding).toMatchObject({ status: 'fail', message: expect.stringContaining('1 commit(s) ahead of origin/main'), fix: 'git push' });
      expect(byId(await runRepoChecks({ repo: work, pushing: true }), 'remote.pushed').status).toBe('pass');
      expect(byId(await runRepoChecks({ repo: work, ci: true }), 'remote.pushed').status).toBe('fail');

      await tgit(work, 'checkout', '-q', '--detach');
      expect(byId(await runRepoChecks({ repo: work }), 'remote.pushed').status).toBe('fail');
      expect(byId(await runRepoChecks({ repo: work, ci: true }), 'remote.pushed').status).toBe('pass');
    });
  });

  it('fails remote.pushed for a branch that was never pushed', async () => {
    await withRepo(
      async ({ work }) => {
        const finding = byId(await runRepoChecks({ repo: work }), 'remote.pushed');
        expect(finding).toMatchObject({ status: 'fail', fix: 'git push -u origin main' });
      },
      { push: false },
    );
  });

  it('--online proves submodule-readiness by cloning the origin URL', async () => {
    await withRepo(async (repos) => {
      await withEnv(gitConfigEnv(repos.config), async () => {
        expect(byId(await runRepoChecks({ repo: repos.work, online: true }), 'submodule.ready').status).toBe('pass');
        await writeFiles(repos.work, { 'later.txt': 'x\n' });
        await tgit(repos.work, 'add', 'later.txt');
        await tgit(repos.work, 'commit', '-q', '-m', 'not pushed yet');
        const finding = byId(await runRepoChecks({ repo: repos.work, online: true }), 'submodule.ready');
        expect(finding).toMatchObject({ status: 'fail', message: expect.stringContaining('but HEAD is') });
      });
    });
  });

  it('--staged checks only what is staged, blocks node_modules and undeclared gitlinks, and is quick', async () => {
    await withRepo(async ({ work }) => {
      await tgit(work, 'remote', 'remove', 'origin'); // the remote is not the pre-commit hook's business
      await rm(join(work, 'screenshots'), { recursive: true });
      await writeFiles(work, { 'ok.txt': 'fine\n' });
      await tgit(work, 'add', '-A');
      const started = performance.now();
      const clean = await runRepoChecks({ repo: work, staged: true });
      const elapsedMs = performance.now() - started;
      expect(hasFailure(clean), formatFindings(clean)).toBe(false);
      expect(clean.map((f) => f.id)).not.toContain('remote.origin');
      expect(elapsedMs).toBeLessThan(5_000); // target < 2 s on an idle machine; generous on a shared CI core

      await writeFiles(work, { 'node_modules/x/index.js': '1\n', 'debug.log': 'x\n' });
      await tgit(work, 'add', '-f', 'node_modules', 'debug.log');
      const head = await tgit(work, 'rev-parse', 'HEAD');
      await tgit(work, 'update-index', '--add', '--cacheinfo', `160000,${head},lib`);
      const findings = await runRepoChecks({ repo: work, staged: true });
      expect(byId(findings, 'tracked.ignored')).toMatchObject({ status: 'fail', fix: expect.stringContaining('git restore --staged') });
      expect(byId(findings, 'tracked.ignored').message).toMatch(/node_modules\/.*debug\.log|debug\.log.*node_modules\//);
      expect(byId(findings, 'submodule.declared').status).toBe('fail');
    });
  });

  it('reports repo.git for a folder that is not a repository', async () => {
    await withRepo(async ({ root }) => {
      const findings = await runRepoChecks({ repo: join(root, 'github') });
      // github/ holds the bare repo but is not itself inside a work tree
      expect(findings).toEqual([expect.objectContaining({ id: 'repo.git', status: 'fail' })]);
    });
  });
});

describe('URL classification', () => {
  it('classifyOrigin: https GitHub passes, ssh warns with the https fix, others fail', () => {
    expect(classifyOrigin('https://github.com/a/b.git').status).toBe('pass');
    expect(classifyOrigin('https://github.com/a/b').status).toBe('pass');
    expect(classifyOrigin('ssh://git@github.com/a/b.git')).toEqual({ status: 'warn', httpsUrl: 'https://github.com/a/b.git' });
    expect(classifyOrigin('https://gitlab.com/a/b.git').status).toBe('fail');
    expect(classifyOrigin('/srv/git/b.git').status).toBe('fail');
  });

  it('classifySubmoduleUrl: local paths fail, https passes', () => {
    expect(classifySubmoduleUrl('https://github.com/a/b.git').status).toBe('pass');
    expect(classifySubmoduleUrl('git@github.com:a/b.git').status).toBe('warn');
    expect(classifySubmoduleUrl('../b.git').status).toBe('warn');
    expect(classifySubmoduleUrl('/home/me/b').status).toBe('fail');
    expect(classifySubmoduleUrl('file:///home/me/b').status).toBe('fail');
    expect(classifySubmoduleUrl('C:\\work\\b').status).toBe('fail');
  });
});
