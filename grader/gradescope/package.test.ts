/**
 * The Gradescope autograder zip, round-tripped: written by `gradescope-package`, unpacked with
 * Info-ZIP's unzip into a temporary root laid out like /autograder, run_autograder run on a
 * submission there, and results.json checked against Gradescope's format.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTutorialSubmission, tempDir } from '../testing/fixtures.ts';
import { gradescopeEntries, writeGradescopePackage } from './package.ts';
import { zip } from './zip.ts';
import { need } from '../../test/support/requirements.ts';

const noPython = await need('python3');

const ROOT = new URL('../..', import.meta.url).pathname;
const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

/** Python's zipfile: an independent reader of what zip() wrote. */
function pythonList(file: string): Array<[string, number, string]> {
  const r = spawnSync(
    'python3',
    [
      '-c',
      'import sys, zipfile, json\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps([[i.filename, i.external_attr >> 16, z.read(i).hex()] for i in z.infolist()]))',
      file,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Array<[string, number, string]>;
}

describe('zip()', () => {
  it.skipIf(noPython)("writes archives that Python's zipfile reads back byte for byte, with their modes", async () => {
    const dir = await tempDir('avsock-zip-');
    made.push(dir);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          fc.record({
            name: fc.stringMatching(/^[a-z][a-z0-9_/]{0,20}[a-z0-9]$/).filter((n) => !n.includes('//')),
            data: fc.uint8Array({ maxLength: 3000 }),
            exec: fc.boolean(),
          }),
          { selector: (e) => e.name, maxLength: 8 },
        ),
        async (files) => {
          const names = new Set(files.map((f) => f.name));
          // A name may not also be a folder of another (unzip could not create both).
          const ok = files.filter((f) => ![...names].some((n) => n.startsWith(`${f.name}/`)));
          const file = join(dir, 'r.zip');
          const { writeFile } = await import('node:fs/promises');
          await writeFile(file, zip(ok.map((f) => ({ name: f.name, data: Buffer.from(f.data), mode: f.exec ? 0o755 : 0o644 }))));
          expect(pythonList(file)).toEqual(ok.map((f) => [f.name, 0o100000 | (f.exec ? 0o755 : 0o644), Buffer.from(f.data).toString('hex')]));
        },
      ),
      { numRuns: 15 },
    );
  });
  it('refuses names that would escape the folder it is unpacked into', () => {
    expect(() => zip([{ name: '../x', data: Buffer.alloc(1) }])).toThrow(/unsafe name/);
    expect(() => zip([{ name: '/etc/x', data: Buffer.alloc(1) }])).toThrow(/unsafe name/);
    expect(() =>
      zip([
        { name: 'a', data: Buffer.alloc(1) },
        { name: 'a', data: Buffer.alloc(1) },
      ]),
    ).toThrow(/duplicate/);
  });
});

describe('gradescope-package', () => {
  it('ships setup.sh and run_autograder at the root, executable, with the grader beside them', async () => {
    const names = (await gradescopeEntries()).map((e) => [e.name, e.mode]);
    expect(names).toContainEqual(['setup.sh', 0o755]);
    expect(names).toContainEqual(['run_autograder', 0o755]);
    for (const f of ['package.json', 'package-lock.json', 'grader/cli.ts', 'grader/rubric.json', 'src/cli/server.ts'])
      expect(names.map((n) => n[0])).toContain(f);
    expect(names.some(([n]) => String(n).includes('node_modules') || String(n).endsWith('.test.ts'))).toBe(false);
    for (const script of ['setup.sh', 'run_autograder']) expect(spawnSync('bash', ['-n', join(ROOT, 'grader', 'gradescope', script)]).status, script).toBe(0);
  });

  it.skipIf(noPython)(
    'unpacked into a root laid out like /autograder, run_autograder grades the submission into a valid results.json',
    async () => {
      const root = await tempDir('avsock-autograder-');
      made.push(root);
      const zipFile = join(root, 'autograder.zip');
      expect(await writeGradescopePackage(zipFile)).toMatch(/wrote .*autograder\.zip/);
      const unzip = spawnSync('unzip', ['-q', zipFile, '-d', join(root, 'source')], { encoding: 'utf8' });
      expect(unzip.status, unzip.stderr).toBe(0);
      expect((await stat(join(root, 'source', 'run_autograder'))).mode & 0o111).not.toBe(0);
      // What Gradescope does: run_autograder is copied beside source/; setup.sh's `npm ci` is stood in
      // for by this checkout's node_modules (the test machine has no business installing packages).
      await copyFile(join(root, 'source', 'run_autograder'), join(root, 'run_autograder'));
      await symlink(join(ROOT, 'node_modules'), join(root, 'source', 'node_modules'));
      await mkdir(join(root, 'results'));
      const sub = await makeTutorialSubmission(root, 'submission', { fps: 20 });
      expect(sub).toBe(join(root, 'submission'));
      const child = spawn(join(root, 'run_autograder'), [], {
        cwd: root,
        env: { ...process.env, AUTOGRADER_ROOT: root, AUTOGRADER_GRADE_ARGS: '--seconds 3' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      try {
        const code = await new Promise<number | null>((r) => child.on('close', r));
        expect(code, output).toBe(0);
      } finally {
        child.kill('SIGKILL');
      }
      const results = JSON.parse(await readFile(join(root, 'results', 'results.json'), 'utf8')) as Record<string, unknown>;
      expect(typeof results.score).toBe('number');
      expect(results.visibility).toBe('visible');
      const tests = results.tests as Array<Record<string, unknown>>;
      expect(tests.length).toBeGreaterThan(3);
      for (const t of tests) {
        expect(Object.keys(t).sort()).toEqual(['max_score', 'name', 'number', 'output', 'output_format', 'score', 'status', 'tags', 'visibility']);
        expect(['passed', 'failed']).toContain(t.status);
        expect(t.score as number).toBeLessThanOrEqual(t.max_score as number);
      }
      expect(results.score).toBe(tests.reduce((s, t) => s + (t.score as number), 0));
      // The fake server streams: its streaming item passed, measured from outside.
      expect(
        tests.some((t) => t.status === 'passed' && /stream/i.test(t.name as string)),
        JSON.stringify(tests.map((t) => [t.name, t.status, t.output])),
      ).toBe(true);
    },
    300_000,
  );
});
