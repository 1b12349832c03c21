import { describe, it, expect, afterAll } from 'vitest';
import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { findLabInPractice } from './lab-in-practice.ts';
import { normalizeRepoUrl } from '../../src/platform/gitmodules.ts';
import { gradeClass, parseCsv, csvField, readRoster } from './grade-class.ts';
import { loadRubric } from '../score/rubric.ts';
import { need } from '../../test/support/requirements.ts';

const noPython = await need('python3');
import { git, gitInit, makeTutorialSubmission, tempDir } from '../testing/fixtures.ts';

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

/** A practice repo with `lab` as a submodule at the lab's HEAD. */
async function practiceWith(parent: string, name: string, lab: string): Promise<string> {
  const practice = join(parent, name);
  await mkdir(practice, { recursive: true });
  await writeFile(join(practice, 'README.md'), 'practice\n');
  await gitInit(practice);
  git(practice, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', lab, 'lab1');
  git(practice, 'commit', '-q', '-m', 'add lab');
  return practice;
}

describe('--practice', () => {
  it('finds the lab submodule, checks its commit is in the lab repo, and checks it out', async () => {
    const dir = await tempDir('avsock-practice-');
    made.push(dir);
    const lab = await makeTutorialSubmission(dir, 'np-lab', {});
    await gitInit(lab);
    const practice = await practiceWith(dir, 'Ivanov-fa-np-practice', lab);
    const found = await findLabInPractice(practice, { labRepo: lab });
    expect(found.path).toBeTruthy();
    expect(found.commit).toBe(git(lab, 'rev-parse', 'HEAD'));
    expect(found.message).toMatch(/lab1 \(matched by name np-lab\)/);
    made.push(found.path!);
    expect(await readFile(join(found.path!, 'server.py'), 'utf8')).toContain("host_ip = '192.168.1.21'");
  });

  it('refuses a gitlink to a commit that was never pushed to the lab repo', async () => {
    const dir = await tempDir('avsock-practice-');
    made.push(dir);
    const lab = await makeTutorialSubmission(dir, 'np-lab', {});
    await gitInit(lab);
    const practice = await practiceWith(dir, 'p', lab);
    await writeFile(join(practice, 'lab1', 'extra.txt'), 'local only\n');
    git(join(practice, 'lab1'), 'add', 'extra.txt');
    git(join(practice, 'lab1'), 'commit', '-q', '-m', 'local');
    git(practice, 'add', 'lab1');
    git(practice, 'commit', '-q', '-m', 'move lab');
    const found = await findLabInPractice(practice, { lab: 'lab1' });
    expect(found.path).toBeUndefined();
    expect(found.message).toMatch(/which is not in .*np-lab \(it exists only in your local folder\): push the lab repo/);
  });

  it('normalizes https, ssh and scp-like GitHub URLs alike', () => {
    const a = normalizeRepoUrl('https://github.com/Ivanov/Lab.git');
    expect(normalizeRepoUrl('git@github.com:Ivanov/Lab.git')).toBe(a);
    expect(normalizeRepoUrl('ssh://git@github.com/Ivanov/Lab')).toBe(a);
  });
});

describe.skipIf(noPython)('class', () => {
  it('grades a folder of 3 (a lab, a practice repo with the lab, a broken one) into a gradebook', async () => {
    const dir = await tempDir('avsock-class-');
    made.push(dir);
    const students = join(dir, 'students');
    await makeTutorialSubmission(students, 'alice', { fps: 30 });
    const labs = join(dir, 'labs');
    const bobLab = await makeTutorialSubmission(labs, 'np-lab', { fps: 30 });
    await gitInit(bobLab);
    await practiceWith(students, 'bob', bobLab);
    await mkdir(join(students, 'carol'), { recursive: true }); // nothing handed in
    const rubric = await loadRubric();
    const out = join(dir, 'out');
    const book = await gradeClass({
      source: students,
      out,
      jobs: 2,
      seconds: 3,
      rubric,
      noSave: true,
      quiet: true,
      skip: ['client', 'screenshot', 'checks'],
      lab: 'lab1',
    });
    expect(book.rows).toBe(3);
    const rows = parseCsv(await readFile(book.csv, 'utf8'));
    const header = rows[0]!;
    expect(header.slice(0, 5)).toEqual(['student', 'repo', 'score', 'maxScore', 'passed']);
    expect(header).toContain('server.streams');
    const byStudent = Object.fromEntries(rows.slice(1).map((r) => [r[0], r]));
    // server.streams, not server.fps: timing thresholds belong to benchmarks, not to a busy CI box.
    const fpsCol = header.indexOf('server.streams');
    expect(byStudent.alice![fpsCol]).toBe('1');
    expect(byStudent.bob![fpsCol]).toBe('1');
    expect(byStudent.carol![2]).toBe('0');
    expect(byStudent.carol![header.length - 1]).toMatch(/neither a Node submission/);
    expect(JSON.parse(await readFile(join(out, 'alice', 'report.json'), 'utf8')).kind).toBe('python');
  });

  it('reads a roster.csv with quoted fields and writes CSV that spreadsheets cannot run', async () => {
    const dir = await tempDir('avsock-roster-');
    made.push(dir);
    await writeFile(join(dir, 'roster.csv'), 'student,repo\n"Ivanov, Ivan",./a\nPetrov,https://github.com/p/lab.git\n');
    const roster = await readRoster(join(dir, 'roster.csv'));
    expect(roster).toEqual([
      { student: 'Ivanov, Ivan', repo: join(dir, 'a') },
      { student: 'Petrov', repo: 'https://github.com/p/lab.git' },
    ]);
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField(-1.5)).toBe('-1.5');
  });
});
