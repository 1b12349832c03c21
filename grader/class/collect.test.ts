import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gradeSubmission } from '../grade.ts';
import { writeReports } from '../report/writers.ts';
import { loadRubric } from '../score/rubric.ts';
import { makeTutorialSubmission, tempDir } from '../testing/fixtures.ts';
import { parseCsv } from './grade-class.ts';
import { collectGradebook, parseReport } from './collect.ts';

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

describe('parseReport()', () => {
  it('names what is wrong with a file that is not a grader report', () => {
    expect(() => parseReport('{"score": 3')).toThrow(/not JSON/);
    expect(() => parseReport('[]')).toThrow(/not an avsock grader report/);
    expect(() => parseReport('{"tool":"avsock-grader","score":"9"}')).toThrow('report.json score: expected number, got "9"');
  });
});

describe('collectGradebook()', () => {
  it('builds gradebook.csv from real report folders, with a row and a reason for missing and corrupt ones', async () => {
    const dir = await tempDir('avsock-collect-');
    made.push(dir);
    const rubric = await loadRubric();
    // A real report: the grader run on a tutorial-style repo (only the repo checks, which need no CPU budget).
    const repo = await makeTutorialSubmission(dir, 'alice-repo', {});
    const artifacts = join(dir, 'artifacts');
    const alice = join(artifacts, 'report-alice');
    const report = await gradeSubmission({ repo, out: alice, rubric, skip: ['server', 'client', 'screenshot'], noSave: true });
    await writeReports(report, { json: join(alice, 'report.json') });
    // bob: the job failed before grading and left only error.txt; carol: a truncated upload; dave: a stray JSON.
    await mkdir(join(artifacts, 'report-bob'), { recursive: true });
    await writeFile(join(artifacts, 'report-bob', 'error.txt'), 'cannot clone https://github.com/bob/lab: not found\n');
    await mkdir(join(artifacts, 'report-carol'), { recursive: true });
    await writeFile(join(artifacts, 'report-carol', 'report.json'), (await readFile(join(alice, 'report.json'), 'utf8')).slice(0, 200));
    await mkdir(join(artifacts, 'report-dave'), { recursive: true });
    await writeFile(join(artifacts, 'report-dave', 'report.json'), '{"score": 100}');

    const out = join(dir, 'gradebook.csv');
    const r = await collectGradebook(artifacts, out, rubric);
    expect(r).toMatchObject({ rows: 4, reports: 1 });
    const [header, ...rows] = parseCsv(await readFile(out, 'utf8'));
    expect(header!.slice(0, 5)).toEqual(['student', 'repo', 'score', 'maxScore', 'passed']);
    expect(header!.at(-1)).toBe('notes');
    const by = new Map(rows.map((row) => [row[0], row]));
    expect(by.get('alice')![2]).toBe(String(report.score));
    expect(by.get('alice')![1]).toBe(report.repo);
    for (const item of report.checks) expect(by.get('alice')![header!.indexOf(item.id)]).toBe(String(item.points));
    expect(by.get('bob')!.at(-1)).toMatch(/no report.json: cannot clone/);
    expect(by.get('carol')!.at(-1)).toMatch(/not JSON/);
    expect(by.get('dave')!.at(-1)).toMatch(/not an avsock grader report/);
    for (const s of ['bob', 'carol', 'dave']) expect(by.get(s)![2]).toBe('0');
  }, 120_000);

  it('refuses a folder that does not exist or holds no student folders, naming what it expected', async () => {
    const rubric = await loadRubric();
    const dir = await tempDir('avsock-collect-');
    made.push(dir);
    await expect(collectGradebook(join(dir, 'nope'), join(dir, 'g.csv'), rubric)).rejects.toThrow(/no such folder/);
    await expect(collectGradebook(dir, join(dir, 'g.csv'), rubric)).rejects.toThrow(/report-<student>\/report.json/);
  });
});
