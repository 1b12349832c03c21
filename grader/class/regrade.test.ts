import { describe, it, expect, afterAll } from 'vitest';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gradeClass, parseCsv } from './grade-class.ts';
import { toJson } from '../report/writers.ts';
import type { GradeReport } from '../report/types.ts';
import { loadRubric } from '../score/rubric.ts';
import { tempDir } from '../testing/fixtures.ts';

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

function report(o: Partial<GradeReport>): GradeReport {
  return {
    tool: 'avsock-grader',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationS: 30,
    repo: '/r',
    kind: 'python',
    score: 8,
    maxScore: 10,
    passMark: 7,
    passed: true,
    measured: { server: null, stream: null, client: null },
    checks: [],
    repoFindings: [],
    changes: [],
    screenshot: null,
    screenshotInfo: { ok: false },
    problems: {},
    phases: [],
    ...o,
  };
}

describe('class --regrade-not-graded', () => {
  it('grades again only the students whose earlier report says "not graded"; the others keep their row', async () => {
    const dir = await tempDir('avsock-regrade-');
    made.push(dir);
    const students = join(dir, 'students');
    const out = join(dir, 'out');
    for (const s of ['alice', 'bob']) {
      await mkdir(join(students, s), { recursive: true });
      await mkdir(join(out, s), { recursive: true });
    }
    await writeFile(join(out, 'alice', 'report.json'), toJson(report({ repo: join(students, 'alice') })));
    await writeFile(join(out, 'bob', 'report.json'), toJson(report({ score: 0, passed: false, notGraded: 'client: the reference server did not start' })));
    const rubric = await loadRubric();
    const book = await gradeClass({
      source: students,
      out,
      jobs: 1,
      seconds: 3,
      rubric,
      noSave: true,
      quiet: true,
      skip: ['server', 'client', 'screenshot', 'checks'],
      regradeNotGraded: true,
    });
    expect(book.regraded).toBe(1);
    const rows = parseCsv(await readFile(book.csv, 'utf8'));
    const header = rows[0]!;
    const byStudent: Record<string, string[]> = Object.fromEntries(rows.slice(1).map((r) => [r[0]!, r]));
    expect(byStudent.alice!.slice(2, 5)).toEqual(['8', '10', 'yes']);
    // bob's empty folder was graded now: a submission of nothing is the student's, scored 0.
    expect(byStudent.bob![2]).toBe('0');
    expect(byStudent.bob![header.length - 1]).toMatch(/neither a Node submission/);
    const bobNow = JSON.parse(await readFile(join(out, 'bob', 'report.json'), 'utf8')) as GradeReport;
    expect(bobNow.notGraded).toBeUndefined();
  });

  it('marks a not-graded row in gradebook.csv', async () => {
    const { gradebookRow } = await import('./collect.ts');
    const rubric = await loadRubric();
    const row = gradebookRow('carol', '/r', report({ notGraded: 'server: the grader failed' }), rubric);
    expect(row[4]).toBe('not graded');
    expect(row[row.length - 1]).toMatch(/^not graded: server: the grader failed; grade again/);
  });
});
